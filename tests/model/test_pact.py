"""The pact writer (mockserver/model/pact.py) on hand-made journal entries: what becomes an interaction, what is left
out, and the matching rules that let the pact hold on any correct provider."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mockserver.model import pact
from tests.helpers import load_cart

FAULT = "shaped by a fault or a certification condition"
ORDER_ID = "5b0c8c1e-8a0a-4c55-9f0e-8d0c3f5b9a11"


def entry(seq: int, operation: str, status: int, **fields: Any) -> dict[str, Any]:
    base = {
        "seq": seq,
        "partner_id": "partner-a",
        "operation": operation,
        "status": status,
        "outcome": "answered",
        "fault": None,
        "idempotency_key": None,
        "request_body": None,
        "response_body": None,
        "errors": None,
    }
    return {**base, **fields}


def submit(seq: int, status: int, key: str | None = "k-1", **fields: Any) -> dict[str, Any]:
    answer = {"supplier_order_id": ORDER_ID, "status": "PENDING_CONFIRMATION"} if status == 200 else None
    return entry(
        seq,
        "submitCart",
        status,
        idempotency_key=key,
        request_body=json.dumps(load_cart("guide-mixed-cart")),
        response_body=json.dumps(answer) if answer else None,
        **fields,
    )


def read(seq: int, status: str, **extra: Any) -> dict[str, Any]:
    cart = load_cart("guide-mixed-cart")
    order = {
        "id": ORDER_ID,
        "partner_order_id": cart["partner_order_id"],
        "status": status,
        "shopify_order_id": 6349083345108,
        "customer_name": cart["customer"]["name"],
        "shipping_address": cart["shipping"],
        "cart_total": 91.37,
        "items": [{**item, "is_supplier_item": item["sku"] == "JDTQ1834"} for item in cart["items"]],
        "created_at": "2026-01-01T12:00:00.000Z",
        "updated_at": "2026-01-01T12:00:00.000Z",
        "tracking": None,
        **extra,
    }
    return entry(seq, "getOrder", 200, response_body=json.dumps(order))


def built(*entries: dict[str, Any]) -> dict[str, Any]:
    return pact.build_pact(entries, "partner-a", ["JDTQ1834"])


def test_a_retry_after_a_fault_and_its_replay_are_one_interaction_each_and_the_fault_is_left_out() -> None:
    document = built(submit(1, 503, fault="status 503"), submit(2, 200), submit(3, 200))
    descriptions = [i["description"] for i in document["interactions"]]
    assert descriptions == [
        "a cart with an Idempotency-Key and mapped SKUs (JDTQ1834) is submitted",
        "the same cart submitted again with the same Idempotency-Key",
    ]
    assert document["metadata"]["jafarshop"]["left_out"] == {"shaped by a fault or a certification condition": 1}
    replay = document["interactions"][1]
    assert [s["name"] for s in replay["providerStates"]] == ["SKU JDTQ1834 is mapped", pact.STATE_SUBMITTED]
    assert replay["request"]["generators"]["header"]["Idempotency-Key"]["expression"] == "${idempotency_key}"


def test_a_submit_after_a_drop_after_create_is_a_replay() -> None:
    document = built(submit(1, 200, outcome="dropped", dropped="after-create"), submit(2, 200))
    assert [i["description"] for i in document["interactions"]] == [
        "the same cart submitted again with the same Idempotency-Key"
    ]


def test_polls_of_one_status_are_one_interaction_and_each_status_its_own() -> None:
    tracking = {"carrier": "Aramex", "tracking_number": "1", "tracking_url": None, "shipped_at": "2026-01-01T13:00:00Z"}
    document = built(submit(1, 200), read(2, "CONFIRMED"), read(3, "CONFIRMED"), read(4, "SHIPPED", tracking=tracking))
    reads = [i for i in document["interactions"] if i["request"]["method"] == "GET"]
    assert [i["description"] for i in reads] == ["an order in CONFIRMED is read", "an order in SHIPPED is read"]
    shipped = reads[1]
    state = shipped["providerStates"][-1]
    assert state["name"] == "an order exists for partner-a in SHIPPED"
    assert state["params"]["tracking"] == {"carrier": "Aramex", "tracking_number": "1"}
    assert shipped["request"]["generators"]["path"]["expression"] == "/v1/orders/${supplier_order_id}"
    rules = shipped["response"]["matchingRules"]["body"]
    assert rules["$.id"]["matchers"][0]["regex"] == pact.UUID_RE
    assert rules["$.tracking.shipped_at"]["matchers"][0]["regex"] == pact.TIME_RE
    assert rules["$.shopify_order_id"]["matchers"][0]["match"] == "type"
    body = shipped["response"]["body"]["content"]
    assert "tracking_url" not in body["tracking"], "a null field is one the client cannot rely on"
    assert body["shipping_address"] == load_cart("guide-mixed-cart")["shipping"], "what it sent, by equality"


@pytest.mark.parametrize(
    ("status", "description"),
    [
        (204, "a cart without any mapped SKU is submitted"),
        (409, "a cart submitted with an Idempotency-Key first used for another cart"),
        (422, "an invalid cart is submitted (schema)"),
    ],
)
def test_each_answer_a_provider_promises_is_an_interaction(status: int, description: str) -> None:
    assert [i["description"] for i in built(submit(1, status))["interactions"]] == [description]


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"status": 500}, "server error"),
        ({"status": 401}, "status 401: not promised to a client"),
        ({"status": 200, "outcome": "hung-up"}, "answer hung-up"),
        ({"status": 200, "fault": "certification: slow (order 3, attempt 1)"}, FAULT),
    ],
)
def test_what_a_provider_does_not_promise_is_left_out_and_counted(fields: dict[str, Any], reason: str) -> None:
    document = built({**submit(1, 200), **fields})
    assert document["interactions"] == []
    assert document["metadata"]["jafarshop"]["left_out"] == {reason: 1}


def test_no_api_key_and_the_authorization_header_by_a_matcher() -> None:
    document = built(submit(1, 200), read(2, "CONFIRMED"))
    for interaction in document["interactions"]:
        assert interaction["request"]["headers"]["Authorization"] == [pact.AUTH_PLACEHOLDER]
        assert interaction["request"]["matchingRules"]["header"]["Authorization"]["matchers"][0]["match"] == "regex"
    assert "demo-key" not in json.dumps(document)
    assert document["metadata"]["pactSpecification"] == {"version": "4.0"}
    assert (document["consumer"], document["provider"]) == ({"name": "partner-a"}, {"name": "jafarshop"})


def test_merge_keeps_each_interaction_once_and_sums_what_was_left_out() -> None:
    first, second = built(submit(1, 200), submit(2, 500)), built(submit(1, 200), submit(2, 204))
    merged = pact.merge(second, [first])
    assert len(merged["interactions"]) == 2
    assert merged["metadata"]["jafarshop"]["left_out"] == {"server error": 1}
    assert merged["metadata"]["jafarshop"]["requests_seen"] == 4
