"""`jafarshop-contract --pacts DIR --spec NEW.yaml` (contract_tests/pact_spec_check.py): each kind of breaking change
of the partner spec names the interactions it breaks, and a change no pact relies on breaks none. No target."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from contract_tests.pact_files import Pact
from contract_tests.pact_spec_check import breaks, check, load_spec
from mockserver.model.pact import build_pact
from tests.helpers import ROOT
from tests.model.test_pact import read, submit

SPEC = ROOT / "openapi" / "partner-api.yaml"
RAW = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
Change = Callable[[dict[str, Any]], None]


def _schemas(spec: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = spec["components"]["schemas"]
    return found


def remove_state(spec: dict[str, Any]) -> None:
    del _schemas(spec)["ShippingAddress"]["properties"]["state"]


def require_coupon(spec: dict[str, Any]) -> None:
    _schemas(spec)["CartSubmission"]["required"].append("coupon")
    _schemas(spec)["CartSubmission"]["properties"]["coupon"] = {"type": "string"}


def narrow_status(spec: dict[str, Any]) -> None:
    _schemas(spec)["OrderStatus"]["enum"].remove("SHIPPED")


def no_204(spec: dict[str, Any]) -> None:
    del spec["paths"]["/carts/submit"]["post"]["responses"]["204"]


def harmless(spec: dict[str, Any]) -> None:
    _schemas(spec)["Order"]["properties"]["loyalty_points"] = {"type": "integer"}


def write(tmp_path: Path, change: Change) -> Path:
    spec = copy.deepcopy(RAW)
    change(spec)
    path = tmp_path / "new.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def a_pact(partner: str, *entries: dict[str, Any]) -> Pact:
    document = build_pact([{**e, "partner_id": partner} for e in entries], partner, ["JDTQ1834"])
    return Pact("(made)", partner, "jafarshop", partner, document["interactions"], document)


CREATE = "a cart with an Idempotency-Key and mapped SKUs (JDTQ1834) is submitted"
SHIPPED = {"tracking": {"carrier": "Aramex", "tracking_number": "1", "shipped_at": "2026-01-01T13:00:00Z"}}
PACT = a_pact("partner-a", submit(1, 200), read(2, "SHIPPED", **SHIPPED), submit(3, 204, key="k-2"))


@pytest.mark.parametrize(
    ("change", "broken", "says"),
    [
        (remove_state, "an order in SHIPPED is read", "response shipping_address.state: removed from the spec"),
        (require_coupon, CREATE, "newly required: 'coupon'"),
        (narrow_status, "an order in SHIPPED is read", "'SHIPPED' is no longer allowed"),
        (no_204, "a cart without any mapped SKU is submitted", "status 204 of POST /carts/submit: no longer"),
    ],
)
def test_each_breaking_change_names_the_interaction_it_breaks(
    tmp_path: Path, change: Change, broken: str, says: str
) -> None:
    verdicts = check([PACT], load_spec(write(tmp_path, change)))
    failed = {v.description: v.why for v in verdicts if v.verdict == "failed"}
    assert broken in failed and says in failed[broken], failed


@pytest.mark.parametrize("change", [harmless, lambda spec: None])
def test_a_change_no_pact_relies_on_breaks_nothing(tmp_path: Path, change: Change) -> None:
    spec = load_spec(write(tmp_path, change))
    assert [breaks(interaction, spec) for interaction in PACT.interactions] == [[], [], []]


def test_the_command_names_who_breaks_and_who_does_not(tmp_path: Path) -> None:
    folder = tmp_path / "pacts"
    folder.mkdir()
    cart_without_state = json.loads(submit(1, 200)["request_body"])
    del cart_without_state["shipping"]["state"]
    entries_b = [{**submit(1, 200), "request_body": json.dumps(cart_without_state)}]
    order_b = json.loads(read(2, "CONFIRMED")["response_body"])
    del order_b["shipping_address"]["state"]
    entries_b.append({**read(2, "CONFIRMED"), "response_body": json.dumps(order_b)})
    for pact in (PACT, a_pact("partner-b", *entries_b)):
        (folder / f"{pact.consumer}.json").write_text(json.dumps(pact.document))
    report = tmp_path / "junit.xml"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "contract_tests",
            "--pacts",
            str(folder),
            "--spec",
            str(write(tmp_path, remove_state)),
            "--report",
            str(report),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "the change breaks 1 partner(s): partner-a" in done.stdout
    assert "FAIL partner-a: an order in SHIPPED is read: response shipping_address.state: removed" in done.stdout
    assert "PASS partner-b: an order in CONFIRMED is read" in done.stdout
