"""GET /v1/orders/{id} through the app, and the 500 envelope."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import MockState, create_app
from tests.helpers import KEY_B, SUBMIT, assert_envelope, auth, new_order


def test_order_reads_back_what_was_submitted(client: TestClient, mixed_cart: dict[str, Any]) -> None:
    order_id = new_order(client, mixed_cart)
    response = client.get(f"/v1/orders/{order_id}", headers=auth())
    assert response.status_code == 200
    order = response.json()
    assert order["id"] == order_id
    assert order["status"] == "PENDING_CONFIRMATION"
    assert order["partner_order_id"] == mixed_cart["partner_order_id"]
    assert order["customer_name"] == mixed_cart["customer"]["name"]
    assert order["customer_phone"] == mixed_cart["customer"]["phone"]
    assert order["shipping_address"] == mixed_cart["shipping"]
    assert order["cart_total"] == mixed_cart["totals"]["total"]
    assert order["payment_status"] == mixed_cart["payment_status"]
    assert order["payment_method"] == mixed_cart["payment_method"]
    assert isinstance(order["shopify_order_id"], int) and order["shopify_order_id"] > 10**12
    assert order["created_at"] == order["updated_at"]
    assert order["created_at"].endswith("Z")
    assert order["rejection_reason"] is None and order["tracking"] is None


def test_mixed_cart_keeps_both_kinds_of_items(client: TestClient, mixed_cart: dict[str, Any]) -> None:
    order = client.get(f"/v1/orders/{new_order(client, mixed_cart)}", headers=auth()).json()
    mapped, own = order["items"]
    for submitted, item in zip(mixed_cart["items"], order["items"], strict=True):
        assert {k: item[k] for k in submitted} == submitted
    assert mapped["is_supplier_item"] is True and mapped["shopify_variant_id"] == 44219312570580
    assert own["is_supplier_item"] is False and "shopify_variant_id" not in own


def test_absent_optional_fields_read_back_as_null(client: TestClient, mixed_cart: dict[str, Any]) -> None:
    cart = copy.deepcopy(mixed_cart)
    del cart["payment_method"], cart["customer"]["phone"], cart["shipping"]["state"], cart["items"][0]["product_url"]
    cart["ignored"] = "unknown fields are not stored"
    order = client.get(f"/v1/orders/{new_order(client, cart)}", headers=auth()).json()
    assert order["payment_method"] is None and order["customer_phone"] is None
    assert order["shipping_address"]["state"] is None and order["items"][0]["product_url"] is None
    assert "ignored" not in order


def test_another_partners_order_is_403(client: TestClient, mixed_cart: dict[str, Any]) -> None:
    order_id = new_order(client, mixed_cart)
    body = assert_envelope(client.get(f"/v1/orders/{order_id}", headers=auth(KEY_B)), 403)
    assert body["error"] == "access denied"


@pytest.mark.parametrize(
    "order_id",
    ["550e8400-e29b-41d4-a716-446655440000", "not-a-uuid", "1", "%00", "ORDER-2024-001", "a" * 300],
    ids=["unknown-uuid", "text", "number", "nul", "partner-order-id", "long"],
)
def test_unknown_or_malformed_order_id_is_404(client_both_paths: TestClient, order_id: str) -> None:
    body = assert_envelope(client_both_paths.get(f"/v1/orders/{order_id}", headers=auth()), 404)
    assert body["error"] == "order not found"


@pytest.mark.parametrize("content_type", ["multipart/form-data", "application/x-www-form-urlencoded", "text/plain"])
def test_a_body_on_an_order_read_is_ignored(client: TestClient, mixed_cart: dict[str, Any], content_type: str) -> None:
    order_id = new_order(client, mixed_cart)
    response = client.request(
        "GET", f"/v1/orders/{order_id}", content=b"a=b", headers=auth(**{"Content-Type": content_type})
    )
    assert response.status_code == 200, response.text


def test_order_ids_are_case_insensitive(client: TestClient, mixed_cart: dict[str, Any]) -> None:
    order_id = new_order(client, mixed_cart)
    assert client.get(f"/v1/orders/{order_id.upper()}", headers=auth()).json()["id"] == order_id


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Bearer"}])
def test_get_without_a_valid_key_is_401(
    client_both_paths: TestClient, mixed_cart: dict[str, Any], headers: dict[str, str]
) -> None:
    order_id = new_order(client_both_paths, mixed_cart)
    body = assert_envelope(client_both_paths.get(f"/v1/orders/{order_id}", headers=headers), 401)
    assert body["error"] == "unauthorized" and order_id not in json.dumps(body)


class ExplodingState(MockState):
    """A store that fails, to prove that a fault inside the mock still answers in the envelope."""

    def submit_cart(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk on fire: /secret/path")


def test_unexpected_failure_is_a_500_envelope_without_a_trace(
    default_fixtures: Any, mixed_cart: dict[str, Any]
) -> None:
    with create_app(ExplodingState(default_fixtures)).test_client(raise_server_exceptions=False) as client:
        response = client.post(SUBMIT, json=mixed_cart, headers=auth())
    body = assert_envelope(response, 500)
    assert "disk on fire" not in response.text and "Traceback" not in response.text
    assert body == {"error": "internal server error"}


def test_get_order_failure_is_a_500_envelope(default_fixtures: Any, state: MockState) -> None:
    app = create_app(state)

    def broken(partner_id: str, order_id: str) -> Any:
        raise RuntimeError("lookup failed")

    state.orders.get_for_partner = broken  # type: ignore[method-assign]
    with app.test_client(raise_server_exceptions=False) as client:
        assert_envelope(client.get("/v1/orders/550e8400-e29b-41d4-a716-446655440000", headers=auth()), 500)


def test_swagger_ui_and_spec_are_served(client: TestClient) -> None:
    assert client.get("/v1/ui/").status_code == 200
    spec = client.get("/v1/openapi.json").json()
    assert set(spec["paths"]) == {"/carts/submit", "/orders/{supplier_order_id}"}
