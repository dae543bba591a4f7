"""POST /v1/carts/submit through the app: every documented status, the order of checks, and idempotency."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver.app import create_app
from mockserver.state import MockState
from tests.conftest import KEY_A, KEY_B, auth

SUBMIT = "/v1/carts/submit"


def assert_envelope(response: Any, status: int) -> dict[str, Any]:
    """The response has `status` and the documented error envelope."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert isinstance(body.get("error"), str) and body["error"]
    assert set(body) <= {"error", "details"}
    return body


def raw_post(client: TestClient, content: bytes, content_type: str | None = "application/json", **headers: str) -> Any:
    if content_type is not None:
        headers["Content-Type"] = content_type
    return client.post(SUBMIT, content=content, headers=auth(**headers))


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
    client: TestClient, mixed_cart: dict[str, Any], change: Callable[[dict[str, Any]], Any]
) -> None:
    change(mixed_cart)
    assert client.post(SUBMIT, json=mixed_cart, headers=auth()).status_code == 200


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/json ;charset=utf-8",
        "application/json\t; charset=UTF-8 ",
        'application/json;charset="utf-8"',
        "application/json;",
    ],
)
def test_json_content_type_variants_are_accepted(
    client: TestClient, mixed_cart: dict[str, Any], content_type: str
) -> None:
    response = raw_post(client, json.dumps(mixed_cart).encode(), content_type)
    assert response.status_code == 200


# --- 401 ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer wrong-key"},
        {"Authorization": f"Basic {KEY_A}"},
        {"Authorization": KEY_A},
        {"Authorization": f"Bearer {KEY_A}x"},
        {"X-API-Key": KEY_A},
        {"Authorization": f"Bearer\t{KEY_A}"},
    ],
    ids=["missing", "empty", "no-token", "unknown", "basic-scheme", "no-scheme", "near-miss", "other-header", "tab"],
)
def test_missing_malformed_or_unknown_key_is_401(
    client: TestClient, state: MockState, mixed_cart: dict[str, Any], headers: dict[str, str]
) -> None:
    body = assert_envelope(client.post(SUBMIT, json=mixed_cart, headers=headers), 401)
    assert KEY_A not in json.dumps(body)
    assert len(state.orders) == 0


@pytest.mark.parametrize(
    ("authorization", "partner"),
    [(f"Bearer {KEY_A}", "partner-a"), (f"bearer  {KEY_A}", "partner-a"), (f"Bearer\t{KEY_A}", None)],
    ids=["one-space", "scheme-in-lower-case-two-spaces", "tab"],
)
@pytest.mark.parametrize("fast_path", [True, False], ids=["fast-path", "connexion-only"])
def test_the_answer_and_the_journal_read_the_authorization_header_alike(
    state: MockState, mixed_cart: dict[str, Any], authorization: str, partner: str | None, fast_path: bool
) -> None:
    """One parser (RFC 6750: "Bearer" 1*SP token): a tab is no Bearer credential, for the answer and the journal."""
    with create_app(state, fast_path=fast_path).test_client(raise_server_exceptions=False) as client:
        response = client.post(SUBMIT, json=mixed_cart, headers={"Authorization": authorization})
    assert response.status_code == (200 if partner else 401)
    assert [entry["partner_id"] for entry in state.journal.query()] == [partner]


def test_401_names_the_bearer_scheme(client: TestClient) -> None:
    response = client.post(SUBMIT, json={})
    assert response.headers["www-authenticate"].startswith("Bearer")


# --- 400, 413, 415: the request's form ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"   ",
        b"{nope",
        b"{'a': 1}",
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'{"a": 1e400}',
        b"\xff\xfe\x00",
        b'{"a": 1, "a": 2}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a": ' + b"1" * 5000 + b"}",
    ],
    ids=[
        "empty",
        "blank",
        "broken",
        "single-quotes",
        "nan",
        "infinity",
        "overflow",
        "not-utf8",
        "duplicate-key",
        "deep-nesting",
        "huge-integer",
    ],
)
def test_body_that_is_not_json_is_400(client: TestClient, state: MockState, content: bytes) -> None:
    assert_envelope(raw_post(client, content), 400)
    assert len(state.orders) == 0


@pytest.mark.parametrize("key", ["k" * 256, "caf\u00e9", "tab\there"], ids=["too-long", "non-ascii", "control"])
def test_invalid_idempotency_key_is_400(client: TestClient, mixed_cart: dict[str, Any], key: str) -> None:
    body = assert_envelope(
        client.post(SUBMIT, json=mixed_cart, headers={**auth(), "Idempotency-Key": key.encode("utf-8")}),
        400,
    )
    assert "Idempotency-Key" in body["details"]


@pytest.mark.parametrize("key", ["k" * 255, "a", "~!@# $%^&*()"], ids=["255", "one", "punctuation"])
def test_valid_idempotency_keys_are_accepted(client: TestClient, mixed_cart: dict[str, Any], key: str) -> None:
    assert client.post(SUBMIT, json=mixed_cart, headers=auth(**{"Idempotency-Key": key})).status_code == 200


def test_empty_idempotency_key_counts_as_absent(
    client: TestClient, state: MockState, mixed_cart: dict[str, Any]
) -> None:
    for _ in range(2):
        assert client.post(SUBMIT, json=mixed_cart, headers=auth(**{"Idempotency-Key": ""})).status_code == 200
    assert len(state.orders) == 2
    assert len(state.idempotency) == 0


def test_body_over_one_mib_is_413(client: TestClient, state: MockState, mixed_cart: dict[str, Any]) -> None:
    mixed_cart["padding"] = "x" * (1024 * 1024)
    assert_envelope(raw_post(client, json.dumps(mixed_cart).encode()), 413)
    assert len(state.orders) == 0


def test_body_of_exactly_one_mib_is_read(client: TestClient, mixed_cart: dict[str, Any]) -> None:
    raw = json.dumps(mixed_cart).encode()
    raw = raw[:-1] + b', "padding": "' + b"x" * (1024 * 1024 - len(raw) - 15) + b'"}'
    assert len(raw) == 1024 * 1024
    assert raw_post(client, raw).status_code == 200


def test_chunked_body_over_the_limit_is_413(client: TestClient) -> None:
    def chunks() -> Any:
        for _ in range(20):
            yield b"x" * 65536

    response = client.post(SUBMIT, content=chunks(), headers=auth(**{"Content-Type": "application/json"}))
    assert_envelope(response, 413)


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "text/json", "application/xml", None, "application/json x"],
    ids=["text", "form", "text-json", "xml", "missing", "not-a-media-type"],
)
def test_non_json_content_type_is_415(
    client: TestClient, state: MockState, mixed_cart: dict[str, Any], content_type: str | None
) -> None:
    assert_envelope(raw_post(client, json.dumps(mixed_cart).encode(), content_type), 415)
    assert len(state.orders) == 0


# --- 422 ------------------------------------------------------------------------------------------------------

Change = Callable[[dict[str, Any]], Any]
INVALID: list[tuple[str, Change, str]] = [
    ("no-partner-order-id", lambda c: c.pop("partner_order_id"), "partner_order_id: is required"),
    ("empty-partner-order-id", lambda c: c.update(partner_order_id=""), "partner_order_id: must not be empty"),
    ("no-items", lambda c: c.pop("items"), "items: is required"),
    ("empty-items", lambda c: c.update(items=[]), "items: must have at least 1 item"),
    ("no-customer", lambda c: c.pop("customer"), "customer: is required"),
    ("no-customer-name", lambda c: c["customer"].pop("name"), "customer.name: is required"),
    ("no-shipping", lambda c: c.pop("shipping"), "shipping: is required"),
    ("no-street", lambda c: c["shipping"].pop("street"), "shipping.street: is required"),
    ("no-city", lambda c: c["shipping"].pop("city"), "shipping.city: is required"),
    ("no-postal-code", lambda c: c["shipping"].pop("postal_code"), "shipping.postal_code: is required"),
    ("no-country", lambda c: c["shipping"].pop("country"), "shipping.country: is required"),
    ("no-totals", lambda c: c.pop("totals"), "totals: is required"),
    ("no-total", lambda c: c["totals"].pop("total"), "totals.total: is required"),
    ("no-tax", lambda c: c["totals"].pop("tax"), "totals.tax: is required"),
    ("no-sku", lambda c: c["items"][0].pop("sku"), "items[0].sku: is required"),
    ("empty-sku", lambda c: c["items"][0].update(sku=""), "items[0].sku: must not be empty"),
    ("no-title", lambda c: c["items"][1].pop("title"), "items[1].title: is required"),
    ("no-price", lambda c: c["items"][0].pop("price"), "items[0].price: is required"),
    ("no-quantity", lambda c: c["items"][0].pop("quantity"), "items[0].quantity: is required"),
    ("quantity-zero", lambda c: c["items"][0].update(quantity=0), "items[0].quantity: must be >= 1"),
    ("quantity-negative", lambda c: c["items"][0].update(quantity=-3), "items[0].quantity: must be >= 1"),
    ("quantity-fractional", lambda c: c["items"][0].update(quantity=1.5), "items[0].quantity: must be an integer"),
    ("quantity-string", lambda c: c["items"][0].update(quantity="2"), "items[0].quantity: must be an integer"),
    ("price-negative", lambda c: c["items"][0].update(price=-0.01), "items[0].price: must be >= 0"),
    ("price-string", lambda c: c["items"][0].update(price="29.99"), "items[0].price: must be a number"),
    ("price-bool", lambda c: c["items"][0].update(price=True), "items[0].price: must be a number"),
    ("total-negative", lambda c: c["totals"].update(total=-1), "totals.total: must be >= 0"),
    ("subtotal-negative", lambda c: c["totals"].update(subtotal=-5), "totals.subtotal: must be >= 0"),
    ("tax-null", lambda c: c["totals"].update(tax=None), "totals.tax: must be a number"),
    ("country-lower", lambda c: c["shipping"].update(country="jo"), "shipping.country"),
    ("country-alpha3", lambda c: c["shipping"].update(country="JOR"), "shipping.country"),
    ("country-unassigned", lambda c: c["shipping"].update(country="ZZ"), "shipping.country"),
    ("payment-method-unknown", lambda c: c.update(payment_method="Bitcoin"), "payment_method: must be one of"),
    ("payment-method-case", lambda c: c.update(payment_method="credit card"), "payment_method: must be one of"),
    ("payment-status-number", lambda c: c.update(payment_status=1), "payment_status: must be a string"),
    ("items-object", lambda c: c.update(items={"sku": "JDTQ1834"}), "items: must be an array"),
    ("customer-string", lambda c: c.update(customer="John"), "customer: must be an object"),
    ("name-number", lambda c: c["customer"].update(name=42), "customer.name: must be a string"),
    ("item-null", lambda c: c["items"].append(None), "items[2]: must be an object"),
]


@pytest.mark.parametrize(("change", "expected"), [(c, e) for _, c, e in INVALID], ids=[i for i, _, _ in INVALID])
def test_each_validation_failure_is_422_naming_the_field(
    client: TestClient, state: MockState, mixed_cart: dict[str, Any], change: Change, expected: str
) -> None:
    change(mixed_cart)
    body = assert_envelope(client.post(SUBMIT, json=mixed_cart, headers=auth()), 422)
    assert body["error"] == "validation failed"
    assert expected in body["details"]
    assert len(state.orders) == 0


@pytest.mark.parametrize("content", [b"[]", b'"cart"', b"null", b"42", b"{}"])
def test_json_that_is_not_a_cart_object_is_422(client: TestClient, content: bytes) -> None:
    assert_envelope(raw_post(client, content), 422)


def test_422_lists_every_failing_field(client: TestClient, mixed_cart: dict[str, Any]) -> None:
    mixed_cart["items"][0]["quantity"] = 0
    mixed_cart["shipping"]["country"] = "ZZ"
    del mixed_cart["customer"]
    details = assert_envelope(client.post(SUBMIT, json=mixed_cart, headers=auth()), 422)["details"]
    for field in ["items[0].quantity", "shipping.country", "customer"]:
        assert field in details


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast-path", "connexion-only"])
def test_422_lists_errors_in_the_body_order(state: MockState, mixed_cart: dict[str, Any], fast_path: bool) -> None:
    mixed_cart["items"] = [{**copy.deepcopy(mixed_cart["items"][0]), "quantity": 0} for _ in range(12)]
    with create_app(state, fast_path=fast_path).test_client() as client:
        details = assert_envelope(client.post(SUBMIT, json=mixed_cart, headers=auth()), 422)["details"]
    positions = [details.index(f"items[{n}].quantity") for n in range(12)]
    assert positions == sorted(positions), details


# --- 409 and idempotency --------------------------------------------------------------------------------------


def submit(client: TestClient, cart: dict[str, Any], key: str | None = None, api_key: str = KEY_A) -> Any:
    headers = auth(api_key) if key is None else auth(api_key, **{"Idempotency-Key": key})
    return client.post(SUBMIT, json=cart, headers=headers)


def test_same_key_same_payload_replays_the_first_answer(
    client: TestClient, state: MockState, mixed_cart: dict[str, Any]
) -> None:
    first = submit(client, mixed_cart, "key-1")
    # Same JSON value, different bytes: key order and spacing do not matter.
    reordered = json.dumps(dict(reversed(list(mixed_cart.items()))), indent=2).encode()
    replay = raw_post(client, reordered, **{"Idempotency-Key": "key-1"})
    assert (replay.status_code, replay.json()) == (first.status_code, first.json())
    assert len(state.orders) == 1


def test_replay_after_reading_the_order_is_unchanged(client: TestClient, mixed_cart: dict[str, Any]) -> None:
    first = submit(client, mixed_cart, "key-1").json()
    assert client.get(f"/v1/orders/{first['supplier_order_id']}", headers=auth()).status_code == 200
    assert submit(client, mixed_cart, "key-1").json() == first


def test_same_key_replays_204(client: TestClient, state: MockState, unmapped_cart: dict[str, Any]) -> None:
    assert submit(client, unmapped_cart, "key-204").status_code == 204
    replay = submit(client, unmapped_cart, "key-204")
    assert (replay.status_code, replay.content) == (204, b"")


def test_same_key_different_payload_is_409(client: TestClient, state: MockState, mixed_cart: dict[str, Any]) -> None:
    submit(client, mixed_cart, "key-1")
    changed = copy.deepcopy(mixed_cart)
    changed["items"][0]["quantity"] = 3
    body = assert_envelope(submit(client, changed, "key-1"), 409)
    assert "idempotency" in body["error"]
    assert len(state.orders) == 1


def test_different_keys_create_different_orders(client: TestClient, mixed_cart: dict[str, Any]) -> None:
    a = submit(client, mixed_cart, "key-1").json()
    b = submit(client, mixed_cart, "key-2").json()
    assert a["supplier_order_id"] != b["supplier_order_id"]


def test_partners_using_the_same_key_do_not_see_or_block_each_other(
    client: TestClient, state: MockState, mixed_cart: dict[str, Any]
) -> None:
    a = submit(client, mixed_cart, "shared", KEY_A)
    other = dict(mixed_cart, partner_order_id="B-ORDER")
    b = submit(client, other, "shared", KEY_B)
    assert a.status_code == b.status_code == 200
    assert a.json()["supplier_order_id"] != b.json()["supplier_order_id"]
    assert client.get(f"/v1/orders/{b.json()['supplier_order_id']}", headers=auth(KEY_B)).status_code == 200
    assert len(state.orders) == 2


def test_rejected_requests_do_not_consume_the_key(client: TestClient, mixed_cart: dict[str, Any]) -> None:
    broken = copy.deepcopy(mixed_cart)
    broken["items"][0]["quantity"] = 0
    assert submit(client, broken, "key-1").status_code == 422
    assert submit(client, mixed_cart, "key-1").status_code == 200


# --- the order of checks --------------------------------------------------------------------------------------


def test_auth_is_checked_before_the_body(client: TestClient) -> None:
    assert raw_post(client, b"{nope", **{"Authorization": "Bearer wrong"}).status_code == 401
    assert (
        client.post(SUBMIT, content=b"x" * (2 * 1024 * 1024), headers={"Content-Type": "application/json"}).status_code
        == 401
    )
    assert client.post(SUBMIT, content=b"a=b", headers={"Content-Type": "text/plain"}).status_code == 401


def test_form_is_checked_before_validation_and_validation_before_idempotency(
    client: TestClient, mixed_cart: dict[str, Any]
) -> None:
    assert raw_post(client, b"[]", "text/plain").status_code == 415
    submit(client, mixed_cart, "key-1")
    broken = dict(mixed_cart, items=[])
    assert submit(client, broken, "key-1").status_code == 422  # not 409


# --- 405 and unknown routes -----------------------------------------------------------------------------------


def test_wrong_method_is_405_with_allow(client: TestClient) -> None:
    response = client.get(SUBMIT, headers=auth())
    assert_envelope(response, 405)
    assert response.headers["allow"] == "POST"


def test_unknown_route_is_404_envelope(client: TestClient) -> None:
    assert_envelope(client.get("/v1/carts", headers=auth()), 404)


def test_full_order_store_is_a_503_envelope(default_fixtures: Any, mixed_cart: dict[str, Any]) -> None:
    from mockserver import create_app

    with create_app(MockState(default_fixtures, max_orders=1)).test_client() as client:
        assert client.post(SUBMIT, json=mixed_cart, headers=auth()).status_code == 200
        body = assert_envelope(client.post(SUBMIT, json=mixed_cart, headers=auth()), 503)
    assert body["error"] == "order store full" and "/__admin/reset" in body["details"]


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast-path", "connexion-only"])
def test_a_number_with_too_many_digits_is_400_in_the_api_words(
    state: MockState, mixed_cart: dict[str, Any], fast_path: bool
) -> None:
    raw = json.dumps(mixed_cart).replace('"quantity": 2', '"quantity": ' + "9" * 5000, 1).encode()
    assert b"9" * 5000 in raw
    with create_app(state, fast_path=fast_path).test_client() as client:
        body = assert_envelope(raw_post(client, raw), 400)
    assert "a number in the body has too many digits" in body["details"]
    assert "sys." not in body["details"] and "set_int_max_str_digits" not in body["details"]
    assert len(state.orders) == 0
