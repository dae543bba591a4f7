"""POST /v1/carts/submit through the app: what it accepts (200, 204), the wrong method, unknown routes and a full
store. The checks that refuse a request are in test_submit_checks.py, idempotency in test_submit_idempotency.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import create_app
from mockserver.model.state import MockState
from tests.helpers import SUBMIT, assert_envelope, assert_new_order, auth, raw_post

# --- 200 and 204 ---------------------------------------------------------------------------------------------


def test_mapped_cart_answers_200_with_a_pending_order(client: TestClient, mixed_cart: dict[str, Any]) -> None:
    response = client.post(SUBMIT, json=mixed_cart, headers=auth())
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"supplier_order_id", "status"}
    assert body["status"] == "PENDING_CONFIRMATION"
    assert len(body["supplier_order_id"]) == 36


def test_unmapped_cart_answers_204_with_no_body_and_no_order(
    client: TestClient, state: MockState, unmapped_cart: dict[str, Any]
) -> None:
    response = client.post(SUBMIT, json=unmapped_cart, headers=auth())
    assert response.status_code == 204
    assert response.content == b""
    assert "content-type" not in response.headers
    assert len(state.orders) == 0


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c.update(payment_method=None, payment_status=None),
        lambda c: [c.pop("payment_method"), c.pop("payment_status")],
        lambda c: c["customer"].update(phone=None),
        lambda c: c["shipping"].pop("state"),
        lambda c: c["items"][0].pop("product_url"),
        lambda c: c.update(unknown_field={"nested": [1, 2]}),
        lambda c: c["totals"].update(total=1.0),  # a total that differs from the sum is accepted
        lambda c: c["items"][0].update(price=0),
        lambda c: c.update(payment_status="some new status"),
        lambda c: c["shipping"].update(country="NO"),  # "NO" stays a string, not YAML's false
        lambda c: c.update(partner_order_id=" "),  # non-empty, not trimmed
    ],
    ids=[
        "null-optionals",
        "absent-optionals",
        "null-phone",
        "no-state",
        "no-url",
        "unknown-field",
        "total-not-sum",
        "free-item",
        "any-payment-status",
        "norway",
        "blank-but-non-empty",
    ],
)
def test_what_the_guide_allows_is_accepted(
    client: TestClient, state: MockState, mixed_cart: dict[str, Any], change: Callable[[dict[str, Any]], Any]
) -> None:
    change(mixed_cart)
    assert_new_order(client.post(SUBMIT, json=mixed_cart, headers=auth()), state, mixed_cart)
    assert len(state.orders) == 1


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/json ;charset=utf-8",
        "application/json\t; charset=UTF-8 ",
        'application/json;charset="utf-8"',
        'APPLICATION/Json ; Charset="UTF-8"',
        "application/json;",
    ],
)
def test_json_content_type_variants_are_accepted(
    client_both_paths: TestClient, state: MockState, mixed_cart: dict[str, Any], content_type: str
) -> None:
    """RFC 9110: a media type in any case, white space around ";", quoted parameter values."""
    response = raw_post(client_both_paths, json.dumps(mixed_cart).encode(), content_type)
    assert_new_order(response, state, mixed_cart)
    assert response.headers["content-type"] == "application/json"


# --- 405 and unknown routes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_wrong_method_is_405_with_allow(
    client_both_paths: TestClient, state: MockState, mixed_cart: dict[str, Any], method: str
) -> None:
    response = client_both_paths.request(method, SUBMIT, json=mixed_cart, headers=auth())
    assert assert_envelope(response, 405) == {"error": "method not allowed"}
    assert response.headers["allow"] == "POST"
    assert len(state.orders) == 0


def test_unknown_route_is_404_envelope_naming_the_routes(client: TestClient) -> None:
    body = assert_envelope(client.get("/v1/carts", headers=auth()), 404)
    assert body["details"] == (
        "no such route; the partner API is POST /v1/carts/submit and GET /v1/orders/{supplier_order_id}"
    )


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast-path", "connexion-only"])
def test_full_order_store_is_a_503_envelope_that_says_when_to_retry(
    default_fixtures: Any, mixed_cart: dict[str, Any], fast_path: bool
) -> None:
    with create_app(MockState(default_fixtures, max_orders=1), fast_path=fast_path).test_client() as client:
        assert client.post(SUBMIT, json=mixed_cart, headers=auth()).status_code == 200
        full = client.post(SUBMIT, json=mixed_cart, headers=auth())
    body = assert_envelope(full, 503)
    assert body["error"] == "order store full" and "/__admin/reset" in body["details"]
    assert full.headers["retry-after"] == "1"  # as every 503 of the mock: the guide's first backoff step
