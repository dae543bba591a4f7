"""POST /v1/carts/submit through the app: the checks that refuse a request (401; 400, 413, 415: its form; 422: the
cart) and the order in which they are made. This module owns the parsing rules: each hostile body, content type or
Authorization value is tried here, in-process, on both paths of the mock (the fast path and connexion alone). What
only a real socket shows (header limits, sizes on the wire, paths as the server decodes them) is in
tests/test_hostile_input.py; tests/README.md says which level owns what."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver.app import create_app
from mockserver.model.state import MockState
from tests.helpers import KEY_A, SUBMIT, assert_envelope, assert_new_order, auth, load_cart, raw_post, submit

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
        {"Authorization": "Bearer ' OR '1'='1"},
    ],
    ids=[
        "missing",
        "empty",
        "no-token",
        "unknown",
        "basic-scheme",
        "no-scheme",
        "near-miss",
        "other-header",
        "tab",
        "sql",
    ],
)
def test_missing_malformed_or_unknown_key_is_401(
    client_both_paths: TestClient, state: MockState, mixed_cart: dict[str, Any], headers: dict[str, str]
) -> None:
    body = assert_envelope(client_both_paths.post(SUBMIT, json=mixed_cart, headers=headers), 401)
    assert body["error"] == "unauthorized"
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


CART = json.dumps(load_cart("guide-mixed-cart")).encode()
NOT_JSON = "the body is not valid JSON: "
NOT_UTF8 = "the body is not UTF-8 (byte "
SURROGATE = NOT_JSON + "a string holds a lone UTF-16 surrogate escape"
# id -> (body, how the 400's details begin)
MALFORMED: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "the request body is empty"),
    "blank": (b"   \n ", "the request body is empty"),
    "broken": (b"{nope", NOT_JSON + "Expecting property name"),
    "truncated": (CART[:40], NOT_JSON + "Unterminated string"),
    "single-quotes": (b"{'a': 1}", NOT_JSON + "Expecting property name"),
    "nan": (b'{"a": NaN}', NOT_JSON + "NaN is not a JSON number"),
    "infinity": (b'{"a": Infinity}', NOT_JSON + "Infinity is not a JSON number"),
    "minus-infinity": (CART.replace(b"29.99", b"-Infinity"), NOT_JSON + "-Infinity is not a JSON number"),
    "overflow": (b'{"a": 1e400}', NOT_JSON + "number 1e400 is out of range"),
    "not-utf8": (b"\xff\xfe\x00", NOT_UTF8 + "0)"),
    "latin-1": (CART.replace(b"John", b"J\xf6hn"), NOT_UTF8),
    "utf-16": (CART.decode().encode("utf-16"), NOT_UTF8 + "0)"),
    "duplicate-key": (b'{"a": 1, "a": 2}', NOT_JSON + "duplicate key 'a' in an object"),
    "100,000-nested-arrays": (b"[" * 100_000 + b"]" * 100_000, "the body is nested too deeply"),
    "50,000-nested-objects": (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "the body is nested too deeply"),
    "lone-surrogate-in-a-string": (CART.replace(b"John", b"J\\ud800ohn"), SURROGATE),
    "lone-low-surrogate-in-a-key": (
        CART.replace(b'{"partner_order_id"', b'{"\\udc00x": 1, "partner_order_id"'),
        SURROGATE,
    ),
}


@pytest.mark.parametrize(("content", "details"), list(MALFORMED.values()), ids=list(MALFORMED))
def test_body_that_is_not_strict_json_is_400_saying_why(
    client_both_paths: TestClient, state: MockState, content: bytes, details: str
) -> None:
    response = raw_post(client_both_paths, content)
    body = assert_envelope(response, 400)
    assert body["error"] == "malformed request body"
    assert body["details"].startswith(details), body
    assert "Traceback" not in response.text
    assert len(state.orders) == 0


def test_a_surrogate_pair_escape_is_one_character_and_accepted(client_both_paths: TestClient, state: MockState) -> None:
    cart = CART.replace(b"John", b"J\\ud83d\\ude00ohn")
    body = assert_new_order(raw_post(client_both_paths, cart), state, json.loads(cart))
    stored = state.orders.get(body["supplier_order_id"])
    assert stored is not None and stored.customer["name"] == "J\U0001f600ohn Doe"


def test_body_over_one_mib_is_413(client: TestClient, state: MockState, mixed_cart: dict[str, Any]) -> None:
    mixed_cart["padding"] = "x" * (1024 * 1024)
    assert_envelope(raw_post(client, json.dumps(mixed_cart).encode()), 413)
    assert len(state.orders) == 0


def test_body_of_exactly_one_mib_is_read(client: TestClient, state: MockState, mixed_cart: dict[str, Any]) -> None:
    raw = json.dumps(mixed_cart).encode()
    raw = raw[:-1] + b', "padding": "' + b"x" * (1024 * 1024 - len(raw) - 15) + b'"}'
    assert len(raw) == 1024 * 1024
    assert_new_order(raw_post(client, raw), state, mixed_cart)


def test_chunked_body_over_the_limit_is_413(client: TestClient) -> None:
    def chunks() -> Any:
        for _ in range(20):
            yield b"x" * 65536

    response = client.post(SUBMIT, content=chunks(), headers=auth(**{"Content-Type": "application/json"}))
    assert_envelope(response, 413)


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "text/json",
        "application/xml",
        None,
        "application/json x",
        "application/json charset",
    ],
    ids=["text", "form", "multipart", "text-json", "xml", "missing", "not-a-media-type", "no-semicolon"],
)
def test_non_json_content_type_is_415(
    client_both_paths: TestClient, state: MockState, mixed_cart: dict[str, Any], content_type: str | None
) -> None:
    body = assert_envelope(raw_post(client_both_paths, json.dumps(mixed_cart).encode(), content_type), 415)
    assert body["error"] == "unsupported media type"
    assert len(state.orders) == 0


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


@pytest.mark.parametrize(
    ("content", "details"),
    [
        (b"[]", "body: must be an object, not an array"),
        (b'"cart"', "body: must be an object, not a string"),
        (b"null", "body: must be an object, not null"),
        (b"42", "body: must be an object, not a number"),
        (b"{}", "partner_order_id: is required; items: is required;"),
    ],
)
def test_json_that_is_not_a_cart_object_is_422(
    client_both_paths: TestClient, state: MockState, content: bytes, details: str
) -> None:
    body = assert_envelope(raw_post(client_both_paths, content), 422)
    assert body["error"] == "validation failed" and body["details"].startswith(details), body
    assert len(state.orders) == 0


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


# --- the order of checks --------------------------------------------------------------------------------------


def test_auth_is_checked_before_the_body(client_both_paths: TestClient) -> None:
    client = client_both_paths
    answers = [
        raw_post(client, b"{nope", **{"Authorization": "Bearer wrong"}),
        client.post(SUBMIT, content=b"x" * (2 * 1024 * 1024), headers={"Content-Type": "application/json"}),
        client.post(SUBMIT, content=b"a=b", headers={"Content-Type": "text/plain"}),
    ]
    assert [assert_envelope(answer, 401)["error"] for answer in answers] == ["unauthorized"] * 3


def test_form_is_checked_before_validation_and_validation_before_idempotency(
    client_both_paths: TestClient, state: MockState, mixed_cart: dict[str, Any]
) -> None:
    client = client_both_paths
    assert assert_envelope(raw_post(client, b"[]", "text/plain"), 415)["error"] == "unsupported media type"
    assert_new_order(submit(client, mixed_cart, "key-1"), state, mixed_cart)
    broken = dict(mixed_cart, items=[])
    refused = assert_envelope(submit(client, broken, "key-1"), 422)  # not 409
    assert refused == {"error": "validation failed", "details": "items: must have at least 1 item"}
