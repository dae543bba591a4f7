"""The contract run's verdicts: a wrong setting or a dead target is exit 3 with one line, never a page of failures."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract_tests.client import Exchange, shell_word
from contract_tests.coverage import RULES, documented_statuses
from tests.helpers import ADMIN, KEY_A, KEY_B, ROOT, LiveServer, spawn_mock

pytestmark = pytest.mark.live
SETTINGS = {
    "JAFARSHOP_API_KEY": KEY_A,
    "JAFARSHOP_OTHER_API_KEY": KEY_B,
    "JAFARSHOP_MAPPED_SKUS": "JDTQ1834,JDTQ2001",
    "JAFARSHOP_UNMAPPED_SKU": "YOUR-SKU-123",
}


def contract(tmp_path: Path, env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run `python -m contract_tests` from tmp_path (reports land there) with exactly these settings."""
    clean = {name: value for name, value in os.environ.items() if not name.startswith("JAFARSHOP_")}
    return subprocess.run(
        [sys.executable, "-m", "contract_tests", *args],
        env={**clean, "PYTHONPATH": str(ROOT), **env}, cwd=tmp_path, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


@pytest.fixture
def stale_report(tmp_path: Path) -> Iterator[Path]:
    """A JUnit report left by an earlier run, which no later run may let stand as its own."""
    report = tmp_path / "reports" / "contract-junit.xml"
    report.parent.mkdir()
    report.write_text("<testsuites><testsuite name='an earlier run' tests='96'/></testsuites>")
    yield report


@pytest.mark.parametrize(
    ("mistake", "says"),
    [
        ({"JAFARSHOP_BASE_URL": "http://127.0.0.1:1/v1"}, "JAFARSHOP_BASE_URL=http://127.0.0.1:1/v1: nothing answers"),
        ({"JAFARSHOP_API_KEY": "not-the-key-1234"}, "JAFARSHOP_API_KEY (****1234) is not accepted"),
        ({"JAFARSHOP_OTHER_API_KEY": "not-the-other-9876"}, "JAFARSHOP_OTHER_API_KEY (****9876) is not accepted"),
        ({"BASE_WITHOUT_V1": ""}, "no JafarShop API there"),
        ({"JAFARSHOP_MAPPED_SKUS": "NOPE-1,NOPE-2"}, "JAFARSHOP_MAPPED_SKUS: none of NOPE-1, NOPE-2 is mapped"),
        ({"JAFARSHOP_MAPPED_SKUS": "JDTQ1834,NOPE-2"}, "JAFARSHOP_MAPPED_SKUS: NOPE-2: not mapped on the target"),
        ({"JAFARSHOP_UNMAPPED_SKU": "JDTQ2002"}, "JAFARSHOP_UNMAPPED_SKU=JDTQ2002 is mapped on the target"),
    ],
    ids=["nothing-listening", "wrong-key", "wrong-other-key", "no-v1", "no-sku-mapped", "one-sku-unmapped",
         "unmapped-sku-mapped"],
)  # fmt: skip
def test_a_wrong_setting_is_one_line_and_exit_3(
    live_server: LiveServer, tmp_path: Path, stale_report: Path, mistake: dict[str, str], says: str
) -> None:
    env = {**SETTINGS, "JAFARSHOP_BASE_URL": live_server.url, **mistake}
    if "BASE_WITHOUT_V1" in env:
        env["JAFARSHOP_BASE_URL"] = live_server.url.removesuffix("/v1")
    started = time.monotonic()
    result = contract(tmp_path, env)
    assert time.monotonic() - started < 10
    assert result.returncode == 3, result.stdout + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("jafarshop-contract: pre-flight: ") and says in line
    assert "Traceback" not in result.stdout + result.stderr and KEY_A not in result.stdout + result.stderr
    assert not stale_report.exists() and "no report written" in result.stdout
    assert len(live_server.state.orders) <= 2  # the pre-flight's orders: at most one, and one more when a SKU is off


def test_a_usage_error_is_exit_2_and_leaves_no_earlier_report(tmp_path: Path, stale_report: Path) -> None:
    result = contract(tmp_path, {**SETTINGS, "JAFARSHOP_BASE_URL": "http://127.0.0.1:1/v1", "JAFARSHOP_API_KEY": ""})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "jafarshop-contract: JAFARSHOP_API_KEY is not set: give the API key of a partner on the target"
    )
    assert not stale_report.exists()


def test_the_preflight_counts_its_order_against_the_cap(live_server: LiveServer, tmp_path: Path) -> None:
    env = {**SETTINGS, "JAFARSHOP_BASE_URL": live_server.url, "JAFARSHOP_MAX_ORDERS": "1"}
    result = contract(tmp_path, env)
    assert result.returncode == 2
    assert "JAFARSHOP_MAX_ORDERS=1 leaves no order for the tests after the pre-flight's 1" in result.stderr


def stop_after_first_order(base: str, mock: subprocess.Popen[str]) -> None:
    """Terminate the mock a second after it holds its first order (polled through its admin API)."""
    admin = urllib.request.Request(base.removesuffix("/v1") + "/__admin/orders", headers=ADMIN)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with urllib.request.urlopen(admin, timeout=5) as answer:
            if json.loads(answer.read()):
                break
        time.sleep(0.1)
    time.sleep(1.0)
    mock.terminate()


def test_a_target_that_stops_answering_ends_the_run_with_exit_3(tmp_path: Path) -> None:
    with spawn_mock("--log-level", "warning") as mock:
        base = mock.base_url
        assert base.endswith("/v1"), base
        # Stopped once the suite is under way (the pre-flight's order exists): tests then get "connection refused".
        threading.Thread(target=stop_after_first_order, args=(base, mock.process), daemon=True).start()
        result = contract(tmp_path, {**SETTINGS, "JAFARSHOP_BASE_URL": base}, "--examples", "20", timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 3, output[-3000:]
    assert "the target stopped answering" in output and "exit 3 (target unreachable or misconfigured)" in output
    assert "Traceback" not in output and len(output.splitlines()) < 150
    assert not (tmp_path / "reports" / "contract-junit.xml").exists()


def test_reproductions_paste_into_a_shell_with_the_keys_as_variables() -> None:
    key = 'k"$`\\ey'  # every character a double-quoted shell word treats specially
    exchange = Exchange("POST", "http://h/v1/carts/submit", {"Authorization": f"Bearer {key}"}, b'{"a": "it\'s"}')
    command = exchange.curl({key: "JAFARSHOP_API_KEY"})
    assert key not in command and '"Authorization: Bearer ${JAFARSHOP_API_KEY}"' in command
    shown = subprocess.run(
        ["bash", "-c", 'curl() { printf "%s\\n" "$@"; }; ' + command],
        env={"JAFARSHOP_API_KEY": key}, capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    assert shown == ["-i", "-X", "POST", "http://h/v1/carts/submit", "-H", f"Authorization: Bearer {key}",
                     "--data-binary", "{\"a\": \"it's\"}"]  # fmt: skip
    assert shell_word("no secret here", {key: "V"}) == "'no secret here'"


def test_every_run_reports_its_coverage_and_can_require_all_of_it(live_server: LiveServer, tmp_path: Path) -> None:
    env = {**SETTINGS, "JAFARSHOP_BASE_URL": live_server.url, "JAFARSHOP_OTHER_API_KEY": ""}
    result = contract(
        tmp_path, env, "--examples", "3", "--require-full-coverage", "--", "-k", "another_partner or replay_with"
    )
    assert result.returncode == 4, result.stdout[-3000:] + result.stderr
    assert "exit 4 (no violation found, but coverage incomplete" in result.stdout
    data = json.loads((tmp_path / "reports" / "contract-coverage.json").read_text())
    assert set(data["operations"]) == {"submitCart", "getOrder"}
    for operation, statuses in documented_statuses().items():
        assert sorted(int(code) for code in data["operations"][operation]["documented"]) == statuses
    assert data["operations"]["submitCart"]["documented"]["200"] > 0  # the replay test's submits were counted
    rules = {rule["id"]: rule for rule in data["rules"]}
    assert rules["idempotent-replay"]["verdict"] == "passed"
    isolation = rules["partner-isolation-403"]
    assert isolation["verdict"] == "not checked"
    assert any("JAFARSHOP_OTHER_API_KEY" in why for why in isolation["why_not_checked"])
    assert "partner-isolation-403" in data["unchecked_rules"]
    assert (tmp_path / "reports" / "contract-coverage.md").read_text().startswith("# Contract coverage")


def test_every_contract_test_counts_for_a_rule_of_the_guide() -> None:
    tests = {
        node.name
        for module in (ROOT / "contract_tests").glob("test_*.py")
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_")
    }
    counted = {test for rule in RULES for test in rule.tests}
    assert tests - counted == set(), "contract tests that no rule of contract_tests/coverage.py counts"
    assert {t for t in counted if t.startswith("test_")} - tests == set(), "rules that name tests which do not exist"
