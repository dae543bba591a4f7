"""A partner's project on the `jafarshop_mock` fixture, in random order (pytest-randomly): a test whose client gives up
on a delayed answer after 0.3 s, and tests that count orders, journal entries and faults exactly. The abandoned
request wakes in whichever test runs a second later; the reset between them fences it, so no seed fails.
JAFARSHOP_RANDOM_RUNS=20 runs the project 20 times instead of 5."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import pip_target

pytestmark = [pytest.mark.live, pytest.mark.slow]

RUNS = int(os.environ.get("JAFARSHOP_RANDOM_RUNS", "5"))

INI = """\
[pytest]
addopts = --strict-markers -p no:cacheprovider
filterwarnings = error
"""

# Every test but the first two counts exactly and takes about 0.4 s, so that a request abandoned in an earlier test
# would land in one of them if a reset let it.
PARTNER_TESTS = """\
import time
import uuid

import httpx
import pytest

CART = {
    "partner_order_id": "ORDER-1",
    "items": [{"sku": "JDTQ1834", "title": "JafarShop Product", "price": 29.99, "quantity": 2}],
    "customer": {"name": "John Doe"},
    "shipping": {"street": "123 Main Street", "city": "Amman", "postal_code": "11118", "country": "JO"},
    "totals": {"subtotal": 59.98, "tax": 4.8, "shipping": 5.0, "total": 69.78},
}


def submit(mock, timeout=10.0, key=None):
    headers = {"Authorization": f"Bearer {mock.api_key}", "Idempotency-Key": key or str(uuid.uuid4())}
    return httpx.post(f"{mock.base_url}/carts/submit", json=CART, headers=headers, timeout=timeout)


def settle():
    time.sleep(0.4)  # long enough for an abandoned request of an earlier test to wake in this one


@pytest.mark.parametrize("delay_ms", [1200, 900])
def test_a_slow_answer_is_given_up_after_the_timeout(jafarshop_mock, delay_ms):
    jafarshop_mock.add_fault(delay_ms=delay_ms, operation="submitCart")
    with pytest.raises(httpx.TimeoutException):
        submit(jafarshop_mock, timeout=0.3)


def test_one_submit_makes_one_order(jafarshop_mock):
    submit(jafarshop_mock).raise_for_status()
    settle()
    assert len(jafarshop_mock.orders()) == 1
    assert [e["status"] for e in jafarshop_mock.journal()] == [200]


def test_two_503s_then_the_order(jafarshop_mock):
    jafarshop_mock.add_fault(count=2, status=503, operation="submitCart")
    key = str(uuid.uuid4())
    statuses = [submit(jafarshop_mock, key=key).status_code for _ in range(3)]
    settle()
    assert statuses == [503, 503, 200]
    assert [e["status"] for e in reversed(jafarshop_mock.journal())] == [503, 503, 200]
    assert len(jafarshop_mock.orders()) == 1


def test_a_drop_after_create_and_the_retry_make_one_order(jafarshop_mock):
    jafarshop_mock.add_fault(drop_connection="after-create", operation="submitCart")
    key = str(uuid.uuid4())
    with pytest.raises(httpx.TransportError):
        submit(jafarshop_mock, key=key)
    order_id = submit(jafarshop_mock, key=key).json()["supplier_order_id"]
    settle()
    assert [o["id"] for o in jafarshop_mock.orders()] == [order_id]
    assert [e["outcome"] for e in reversed(jafarshop_mock.journal())] == ["dropped", "answered"]


def test_faults_are_used_by_this_tests_requests_only(jafarshop_mock):
    jafarshop_mock.add_fault(count=3, status=500, operation="submitCart")
    settle()
    assert [f["remaining"] for f in jafarshop_mock.admin("GET", "/faults")] == [3]
    assert [submit(jafarshop_mock).status_code for _ in range(3)] == [500, 500, 500]
    assert jafarshop_mock.orders() == []


def test_nothing_happens_without_a_request(jafarshop_mock):
    settle()
    settle()
    assert jafarshop_mock.orders() == [] and jafarshop_mock.journal() == []


def test_two_orders(jafarshop_mock):
    submit(jafarshop_mock).raise_for_status()
    submit(jafarshop_mock).raise_for_status()
    settle()
    assert len(jafarshop_mock.orders()) == 2 and len(jafarshop_mock.journal()) == 2
"""
TESTS = 8


@pytest.fixture(scope="module")
def randomly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pytest-randomly installed into a folder of its own (not into the kit's venv, whose own tests keep their order),
    put on the partner run's PYTHONPATH."""
    return pip_target(tmp_path_factory.mktemp("randomly"), "pytest-randomly")


def test_a_request_abandoned_before_a_reset_never_shows_in_a_later_test_whatever_the_order(
    randomly: Path, tmp_path: Path
) -> None:
    (tmp_path / "pytest.ini").write_text(INI)
    (tmp_path / "test_client.py").write_text(PARTNER_TESTS)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "JAFARSHOP_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(randomly), env.get("PYTHONPATH")]))
    orders, failures = set(), []
    for seed in range(1, RUNS + 1):
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-v", "-p", "no:xdist", f"--randomly-seed={seed}"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert f"--randomly-seed={seed}" in run.stdout, run.stdout[-3000:]  # it did run in random order
        orders.add(tuple(re.findall(r"::(test_\S+) (?:PASSED|FAILED|ERROR)", run.stdout)))
        if run.returncode != 0 or not re.search(rf"\b{TESTS} passed\b", run.stdout):
            failures.append(f"seed {seed}:\n{run.stdout[-2500:]}")
    assert not failures, f"{len(failures)} of {RUNS} runs failed\n" + "\n".join(failures)
    assert len(orders) > 1 or RUNS == 1, orders  # the seeds did shuffle the tests
