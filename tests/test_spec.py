"""The contract itself: valid OpenAPI 3.0.3, one envelope for every error, examples that obey their schemas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from connexion.json_schema import Draft4RequestValidator, resolve_refs
from jsonschema import Draft4Validator
from openapi_spec_validator import validate

from mockserver.http.limits import MAX_BODY_BYTES, MAX_HEADER_BYTES
from mockserver.http.schema_check import idempotency_key_rule
from mockserver.http.spec import PARTNER_SPEC
from mockserver.model.domain import BadRequest, OrderNotFound, PayloadTooLarge, UnsupportedMediaType
from tests.helpers import ROOT

SPEC_PATH = ROOT / "openapi" / "partner-api.yaml"
SPEC: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
RESOLVED: dict[str, Any] = resolve_refs(SPEC)
OPERATIONS = {
    operation["operationId"]: operation
    for path in RESOLVED["paths"].values()
    for operation in path.values()
    if isinstance(operation, dict) and "operationId" in operation
}


def test_spec_is_valid_openapi_3_0_3() -> None:
    assert SPEC["openapi"] == "3.0.3"
    validate(SPEC)


@pytest.mark.parametrize(
    ("operation_id", "statuses"),
    [
        ("submitCart", {"200", "204", "400", "401", "409", "413", "415", "422", "500", "503"}),
        ("getOrder", {"200", "400", "401", "403", "404", "500", "503"}),
    ],
)
def test_every_documented_status_is_declared(operation_id: str, statuses: set[str]) -> None:
    assert set(OPERATIONS[operation_id]["responses"]) == statuses


@pytest.mark.parametrize("operation_id", ["submitCart", "getOrder"])
def test_every_error_uses_the_envelope(operation_id: str) -> None:
    envelope = RESOLVED["components"]["schemas"]["Error"]
    for status, response in OPERATIONS[operation_id]["responses"].items():
        if int(status) >= 400:
            assert response["content"]["application/json"]["schema"] == envelope, status


def test_204_has_no_body() -> None:
    assert "content" not in OPERATIONS["submitCart"]["responses"]["204"]


def test_submit_links_to_the_order() -> None:
    link = OPERATIONS["submitCart"]["responses"]["200"]["links"]["GetOrder"]
    assert link == {
        "operationId": "getOrder",
        "parameters": {"supplier_order_id": "$response.body#/supplier_order_id"},
        "description": link["description"],
    }


def _examples() -> list[tuple[str, Any, Any]]:
    found = []
    for operation_id, operation in OPERATIONS.items():
        body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
        for name, example in body.get("examples", {}).items():
            found.append((f"{operation_id}-request-{name}", body["schema"], example["value"]))
        for status, response in operation["responses"].items():
            media = response.get("content", {}).get("application/json", {})
            if "example" in media:
                found.append((f"{operation_id}-{status}", media["schema"], media["example"]))
    return found


@pytest.mark.parametrize(("schema", "example"), [(s, e) for _, s, e in _examples()], ids=[i for i, _, _ in _examples()])
def test_examples_obey_their_schemas(schema: Any, example: Any) -> None:
    Draft4RequestValidator(schema, format_checker=Draft4Validator.FORMAT_CHECKER).validate(example)


def test_guide_examples_are_in_the_spec() -> None:
    examples = OPERATIONS["submitCart"]["requestBody"]["content"]["application/json"]["examples"]
    assert examples["mixedCart"]["value"]["items"][0]["sku"] == "JDTQ1834"
    assert examples["mixedCart"]["value"]["items"][1]["sku"] == "YOUR-SKU-123"


# Each gap of the guide and what its written decision must say: where the mock enforces a number or a status, the
# phrase is built from the code that enforces it, so that the decision and the mock cannot drift apart.
DECISION_STATES = [
    ("required strings", "non-empty (minLength 1)"),
    ("optional fields", "may be absent or null"),
    ("unknown fields", "accepted and ignored"),
    ("payment_status", "stored and echoed back unchanged"),
    ("totals", "cart_total is totals.total as submitted"),
    ("Idempotency-Key", f"1 to {idempotency_key_rule(PARTNER_SPEC)[0]} printable ASCII characters"),
    ("Idempotency-Key", "an empty header counts as absent"),
    ("content type", f"not application/json (parameters such as charset allowed) is {UnsupportedMediaType.status}"),
    ("body size", f"({MAX_BODY_BYTES:,} bytes) is {PayloadTooLarge.status}"),
    ("order ids", f"reads as an unknown order ({OrderNotFound.status})"),
    ("error envelope", '{"error", "details"?} with a non-empty error string'),
    ("rejection and tracking", "rejection_reason (a string) is present on REJECTED orders"),
    ("status transitions", "are terminal"),
    ("request headers", f"over {MAX_HEADER_BYTES // 1024} KiB in all are {BadRequest.status}"),
]


@pytest.mark.parametrize(("topic", "says"), DECISION_STATES, ids=[f"{t}: {s[:30]}" for t, s in DECISION_STATES])
def test_every_gap_in_the_guide_has_a_decision_that_states_the_mocks_rule(topic: str, says: str) -> None:
    decisions = {item["topic"]: " ".join(item["decision"].split()) for item in SPEC["x-contract-decisions"]}
    assert says in decisions[topic]


def test_transitions_in_the_spec_match_the_mocks_rules() -> None:
    from mockserver.model.domain import TRANSITIONS, Status

    documented = RESOLVED["components"]["schemas"]["OrderStatus"]["x-transitions"]
    assert set(documented) == {status.value for status in Status}
    for status in Status:
        assert sorted(documented[status.value]) == sorted(n.value for n in TRANSITIONS.get(status, ()))


def test_country_codes_are_the_249_assigned_ones() -> None:
    codes = RESOLVED["components"]["schemas"]["CountryCode"]["enum"]
    assert len(codes) == len(set(codes)) == 249
    assert all(isinstance(code, str) and len(code) == 2 and code.isupper() for code in codes)
    assert {"JO", "NO", "US", "GB"} <= set(codes) and not {"ZZ", "XK", "UK"} & set(codes)


def test_spec_file_is_the_one_the_mock_serves() -> None:
    from mockserver.app import PARTNER_SPEC

    assert Path(PARTNER_SPEC) == SPEC_PATH
