"""Consumer-driven contracts with real Pact tooling (docs/pact.md): a pact written from a partner-style run on the
`jafarshop_mock` fixture loads in pact-python and its Verifier verifies it against a fresh mock; `jafarshop-contract
--pacts` verifies it against the mock it starts (exit 0) and against a broken target that drops a field the pact
relies on (exit 1, naming the partner and the field); a pact written by hand with pact-python's consumer API
verifies too; and the gate fails closed (a pact that does not parse, no state-change URL, no target)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockserver import MockState, create_app
from mockserver.model.fixtures import load_fixtures
from mockserver.pytest_plugin import JafarShopMock
from tests.broken_targets import BY_NAME
from tests.helpers import ADMIN_TOKEN, KEY_A, KEY_B, ROOT, load_cart, serve

pact_python = pytest.importorskip("pact", reason="pact-python is the kit's `pact` extra: pip install '.[pact]'")

pytestmark = pytest.mark.live


def partner_run(mock: JafarShopMock) -> None:
    """What two partners' clients do: partner-a retries through a 503, gets a replay, polls its order to SHIPPED and
    meets a 204; partner-b never sends shipping.state and reads its order once."""
    with httpx.Client(base_url=mock.base_url, timeout=10) as client:
        a = {"Authorization": f"Bearer {mock.api_keys['partner-a']}", "Idempotency-Key": str(uuid.uuid4())}
        cart = load_cart("guide-mixed-cart")
        mock.add_fault(1, status=503, operation="submitCart")
        assert client.post("/carts/submit", json=cart, headers=a).status_code == 503
        order_id = client.post("/carts/submit", json=cart, headers=a).json()["supplier_order_id"]
        assert client.post("/carts/submit", json=cart, headers=a).json()["supplier_order_id"] == order_id
        for _ in range(3):  # polls: one interaction
            assert client.get(f"/orders/{order_id}", headers=a).json()["status"] == "PENDING_CONFIRMATION"
        mock.confirm(order_id)
        mock.ship(order_id)
        assert client.get(f"/orders/{order_id}", headers=a).json()["tracking"]["carrier"] == "Aramex"
        unmapped = {**a, "Idempotency-Key": str(uuid.uuid4())}
        assert client.post("/carts/submit", json=load_cart("unmapped-cart"), headers=unmapped).status_code == 204
        b = {"Authorization": f"Bearer {mock.api_keys['partner-b']}"}
        shipping = {k: v for k, v in cart["shipping"].items() if k != "state"}
        other = client.post("/carts/submit", json={**cart, "shipping": shipping}, headers=b).json()["supplier_order_id"]
        assert client.get(f"/orders/{other}", headers=b).status_code == 200


@pytest.fixture(scope="module")
def pacts(tmp_path_factory: pytest.TempPathFactory, jafarshop_mock_server: JafarShopMock) -> Path:
    """The two partners' pacts, written by the fixture from `partner_run`."""
    jafarshop_mock_server.reset()
    partner_run(jafarshop_mock_server)
    folder = tmp_path_factory.mktemp("pacts")
    jafarshop_mock_server.write_pact(folder, "partner-a")
    jafarshop_mock_server.write_pact(folder, "partner-b")
    return folder


def contract(env: dict[str, str], *args: str, tmp: Path) -> tuple[int, str, list[ElementTree.Element]]:
    """jafarshop-contract with `args`: its exit code, its output, the JUnit test cases."""
    report = tmp / f"junit-{uuid.uuid4().hex[:6]}.xml"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("JAFARSHOP_")}
    done = subprocess.run(
        [sys.executable, "-m", "contract_tests", "--report", str(report), *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    cases = list(ElementTree.parse(report).iter("testcase")) if report.exists() else []
    return done.returncode, done.stdout + done.stderr, cases


@pytest.fixture
def target() -> Iterator[str]:
    """A fresh mock on a real socket; its /v1 URL."""
    with serve(create_app(MockState(load_fixtures(), admin_token=ADMIN_TOKEN))) as base:
        yield base


def env_for(base: str) -> dict[str, str]:
    return {
        "JAFARSHOP_BASE_URL": base,
        "JAFARSHOP_ADMIN_TOKEN": ADMIN_TOKEN,
        "JAFARSHOP_PACT_API_KEYS": f"partner-a={KEY_A},partner-b={KEY_B}",
    }


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def test_the_pact_holds_what_the_client_relied_on_once_and_no_key(pacts: Path) -> None:
    document = load(pacts / "partner-a-jafarshop.json")
    descriptions = [i["description"] for i in document["interactions"]]
    assert descriptions == [
        "a cart with an Idempotency-Key and mapped SKUs (JDTQ1834) is submitted",
        "the same cart submitted again with the same Idempotency-Key",
        "an order in PENDING_CONFIRMATION is read",
        "an order in SHIPPED is read",
        "a cart without any mapped SKU is submitted",
    ]
    states = {s["name"] for i in document["interactions"] for s in i["providerStates"]}
    assert states == {
        "SKU JDTQ1834 is mapped",
        "a cart was submitted with an Idempotency-Key",
        "an order exists for partner-a in PENDING_CONFIRMATION",
        "an order exists for partner-a in SHIPPED",
        "no SKU of the cart is mapped",
    }
    assert document["metadata"]["jafarshop"]["left_out"] == {"shaped by a fault or a certification condition": 1}
    text = (pacts / "partner-a-jafarshop.json").read_text()
    assert KEY_A not in text and KEY_B not in text and "demo-key" not in text


def test_pact_python_verifies_the_written_pacts_against_a_fresh_mock(pacts: Path, target: str) -> None:
    from contract_tests.pact_states import relay

    origin = target.removesuffix("/v1")
    for consumer, key in (("partner-a", KEY_A), ("partner-b", KEY_B)):
        with relay(f"{origin}/__admin/pact/state", ADMIN_TOKEN) as states:
            verifier = pact_python.Verifier("jafarshop", host="127.0.0.1").add_transport(url=origin)
            verifier.add_source(str(pacts / f"{consumer}-jafarshop.json")).state_handler(states.url, body=True)
            verifier.add_custom_header("Authorization", f"Bearer {key}").verify()  # raises on a failed interaction
        results = verifier.results["interactionResults"]
        assert results and all(result["result"] == "OK" for result in results), results


@pytest.mark.slow
def test_jafarshop_contract_verifies_the_pacts_against_the_mock_it_starts(pacts: Path, tmp_path: Path) -> None:
    code, output, cases = contract({}, "--pacts", str(pacts), tmp=tmp_path)
    assert code == 0, output
    assert len(cases) == 7 and not any(case.find("failure") is not None for case in cases)
    assert {case.get("classname") for case in cases} == {"pact.partner-a", "pact.partner-b"}
    coverage = load(tmp_path / "contract-coverage.json")["pacts"]
    assert coverage["failed"] == [] and set(coverage["consumers"]) == {"partner-a", "partner-b"}


@pytest.mark.parametrize(("defect", "field"), [("drops-shipping-state", "state"), ("drops-tracking", "tracking")])
def test_a_target_that_drops_a_field_a_pact_relies_on_fails_naming_the_partner_and_the_field(
    pacts: Path, tmp_path: Path, defect: str, field: str
) -> None:
    with serve(BY_NAME[defect].build()) as base:
        code, output, cases = contract(env_for(base), "--pacts", str(pacts), tmp=tmp_path)
    assert code == 1, output
    failed = [line for line in output.splitlines() if line.startswith("  FAIL ")]
    assert failed and all("partner-a" in line for line in failed), output
    assert any(f"missing the following keys: {field}" in line for line in failed), output
    assert "failed: partner-a" in output, "partner-b never relied on the field"
    failures = [case for case in cases if case.find("failure") is not None]
    assert [case.get("classname") for case in failures] == ["pact.partner-a"] * len(failed)


def test_a_pact_written_by_hand_with_pact_pythons_consumer_api_verifies(target: str, tmp_path: Path) -> None:
    from pact import match

    handwritten = pact_python.Pact("my-store", "jafarshop").with_specification("V4")
    cart = load_cart("guide-mixed-cart")
    (
        handwritten.upon_receiving("a guide cart is submitted")
        .given("SKU JDTQ1834 is mapped", sku="JDTQ1834")
        .with_request("POST", "/v1/carts/submit")
        .with_header("Authorization", match.regex("Bearer my-test-key", regex=r"^Bearer \S+$"))
        .with_header("Idempotency-Key", match.uuid())
        .with_body(cart, content_type="application/json")
        .will_respond_with(200)
        .with_body(
            {"supplier_order_id": match.uuid(), "status": "PENDING_CONFIRMATION"}, content_type="application/json"
        )
    )
    (
        handwritten.upon_receiving("an unknown order is read")
        .with_request("GET", "/v1/orders/00000000-0000-4000-8000-000000000000")
        .with_header("Authorization", match.regex("Bearer my-test-key", regex=r"^Bearer \S+$"))
        .will_respond_with(404)
        .with_body({"error": match.str("Order not found")}, content_type="application/json")
    )
    # The consumer's own test, against Pact's mock server.
    with handwritten.serve() as server, httpx.Client(base_url=str(server.url), timeout=10) as client:
        headers = {"Authorization": "Bearer my-test-key", "Idempotency-Key": str(uuid.uuid4())}
        assert client.post("/v1/carts/submit", json=cart, headers=headers).status_code == 200
        assert client.get("/v1/orders/00000000-0000-4000-8000-000000000000", headers=headers).status_code == 404
    folder = tmp_path / "pacts"
    handwritten.write_file(folder)
    code, output, cases = contract(
        {**env_for(target), "JAFARSHOP_API_KEY": KEY_A}, "--pacts", str(folder), tmp=tmp_path
    )
    assert code == 0, output
    assert [case.get("name") for case in cases] == ["a guide cart is submitted", "an unknown order is read"]


@pytest.mark.parametrize(
    ("setup", "args", "code", "says"),
    [
        ("not-json", [], 2, "not JSON"),
        ("no-pact", [], 2, "not a pact"),
        ("ok", ["--pact-state-url", "{origin}/no-such-url"], 5, "no provider state-change URL at {origin}/no-such-url"),
        ("ok-no-token", [], 5, "refused the state token"),
        ("ok-bad-key", [], 5, "refused the API key for consumer 'partner-a'"),
        ("ok", ["--spec", "/nonexistent.yaml"], 2, "cannot be read as YAML"),
    ],
)
def test_the_gate_fails_closed(
    pacts: Path, target: str, tmp_path: Path, setup: str, args: list[str], code: int, says: str
) -> None:
    origin = target.removesuffix("/v1")
    folder = tmp_path / "in"
    folder.mkdir()
    source = (pacts / "partner-a-jafarshop.json").read_text()
    (folder / "partner-a.json").write_text({"not-json": "{", "no-pact": "{}"}.get(setup, source))
    env = env_for(target)
    if setup == "ok-no-token":
        env.pop("JAFARSHOP_ADMIN_TOKEN")
    if setup == "ok-bad-key":
        env["JAFARSHOP_PACT_API_KEYS"] = "partner-a=rotated-key"
    found, output, cases = contract(env, "--pacts", str(folder), *[a.format(origin=origin) for a in args], tmp=tmp_path)
    assert found == code, output
    assert says.format(origin=origin) in output
    assert len(cases) == 1 and cases[0].find("failure") is not None, "a run without a verdict is a failed case"


def test_a_target_that_does_not_answer_is_exit_3(pacts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from contract_tests import pact_cli, runner

    monkeypatch.setattr(pact_cli, "CONNECT_WAITS", ())
    for name in [k for k in os.environ if k.startswith("JAFARSHOP_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("JAFARSHOP_BASE_URL", "http://127.0.0.1:9/v1")
    report = tmp_path / "junit.xml"
    assert runner.main(["--pacts", str(pacts), "--report", str(report)]) == 3
    assert "does not answer" in report.read_text()


def test_without_pact_python_the_run_is_one_line_naming_the_extra(
    pacts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from contract_tests import runner

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pact" else real(name, *a))
    assert runner.main(["--pacts", str(pacts), "--report", str(tmp_path / "junit.xml")]) == 2
    err = capsys.readouterr().err
    assert "pip install 'jafarshop-contract-kit[pact]'" in err and "Traceback" not in err
