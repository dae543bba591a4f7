"""Defects made by rewriting the mock's requests or answers on their way: the mock's state is sound, what the
partner sends or sees is not."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver import create_app
from tests.broken_targets.asgi import (
    JsonRewrite,
    RewriteRequests,
    RewriteResponses,
    header,
    is_order_read,
    is_partner_api,
    is_uuid,
    mock_with_requests,
    mock_with_responses,
)
from tests.broken_targets.targets import Defect


def _message_instead_of_error(_scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    if status >= 400 and isinstance(body, dict) and "error" in body:
        return status, {"message": body.pop("error"), **body}
    return status, body


def _drop_own_items(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    if status == 200 and is_order_read(scope):
        body["items"] = [item for item in body["items"] if item["is_supplier_item"]]
    return status, body


def _everything_is_a_supplier_item(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    if status == 200 and is_order_read(scope):
        for item in body["items"]:
            item["is_supplier_item"] = True
            item.setdefault("shopify_variant_id", 44219312570580)
    return status, body


def _total_is_subtotal(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    if status == 200 and is_order_read(scope):
        body["cart_total"] = round(body["cart_total"] * 0.9, 2) if body["cart_total"] else 1.0
    return status, body


def _created_is_201(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    return (201 if status == 200 and scope["method"] == "POST" else status), body


def _malformed_is_422(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    return (422 if status == 400 and scope["method"] == "POST" else status), body


def _flapping_status(counter: list[int]) -> JsonRewrite:
    def rewrite(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
        if status == 200 and is_order_read(scope):
            counter[0] += 1
            if counter[0] % 2 == 0:
                body["status"] = "CONFIRMED"
        return status, body

    return rewrite


def _quantity_zero_becomes_one(body: dict[str, Any]) -> None:
    for item in body.get("items") or []:
        if isinstance(item, dict) and item.get("quantity") == 0:
            item["quantity"] = 1


def _unknown_payment_method_dropped(body: dict[str, Any]) -> None:
    if body.get("payment_method") not in (
        None,
        "Cash On Delivery (COD)",
        "Card On Delivery",
        "Credit Card",
        "ZainCash",
    ):
        body["payment_method"] = None


class CrashesOnNonAscii:
    """Answers 500 to any body with non-ASCII text, like a server that encodes to ASCII somewhere."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if is_partner_api(scope) and scope["method"] == "POST":
            message = await receive()
            if not message.get("body", b"").isascii():
                body = b'{"error": "internal server error"}'
                await send(
                    {"type": "http.response.start", "status": 500, "headers": [(b"content-type", b"application/json")]}
                )
                await send({"type": "http.response.body", "body": body})
                return
            first = [message]

            async def replay() -> Message:
                return first.pop() if first else await receive()

            await self.app(scope, replay, send)
            return
        await self.app(scope, receive, send)


class NoAuthOnReads:
    """Lets order reads through without a key, as partner A."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        anonymous = not any(name.lower() == b"authorization" for name, _ in scope.get("headers", []))
        if scope["type"] == "http" and is_order_read(scope) and anonymous:
            scope = {**scope, "headers": [*scope["headers"], (b"authorization", b"Bearer demo-key-partner-a")]}
        await self.app(scope, receive, send)


def _fingerprint_raw_bytes(_scope: Scope, raw: bytes) -> bytes:
    """Tags each JSON object body with a digest of its bytes: the mock's "same payload" then means "same bytes"."""
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return raw
    if not isinstance(body, dict) or not body:
        return raw
    # Spliced in as text, so that nothing else about the body (numbers, duplicate keys) changes.
    tag = json.dumps({"_raw_body_sha256": hashlib.sha256(raw).hexdigest()})[:-1].encode()
    return tag + b", " + raw.strip()[1:]


def _echo_rejected_key(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    if status == 401 and isinstance(body, dict):
        authorization = header(scope, b"authorization")
        if authorization:
            body["details"] = f"unknown key {authorization.split(None, 1)[-1]}"
    return status, body


def _validation_error_names_no_field(_scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    return (status, {"error": "validation failed"}) if status == 422 else (status, body)


PYTHON_TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/srv/jafarshop/orders.py", line 42, in get_order\n'
    "    order = ORDERS[uuid.UUID(order_id)]\n"
    "ValueError: badly formed hexadecimal UUID string"
)


def _traceback_for_bad_order_id(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    if status == 404 and is_order_read(scope) and not is_uuid(str(scope["path"]).rsplit("/", 1)[-1]):
        body["details"] = PYTHON_TRACEBACK
    return status, body


REWRITING_DEFECTS = [
    Defect(
        "accepts-quantity-zero",
        "quantity 0 is accepted",
        mock_with_requests(_quantity_zero_becomes_one),
        ("test_each_broken_constraint_is_422[quantity-zero]",),
    ),
    Defect(
        "accepts-unknown-payment-method",
        "an unsupported payment method is accepted",
        mock_with_requests(_unknown_payment_method_dropped),
        ("test_each_broken_constraint_is_422[payment-method",),
    ),
    Defect(
        "wrong-error-envelope",
        'errors say {"message"} instead of {"error"}',
        mock_with_responses(_message_instead_of_error),
        ("test_each_documented_error_status_answers_the_envelope",),
    ),
    Defect(
        "500-on-non-ascii-text",
        "a cart with non-ASCII text gets a 500",
        lambda: CrashesOnNonAscii(create_app()),
        ("test_non_ascii_text_is_accepted_and_reads_back_unchanged",),
    ),
    Defect(
        "drops-own-items",
        "a mixed cart's order loses the partner's own items",
        mock_with_responses(_drop_own_items),
        ("test_mixed_cart_keeps_both_kinds_of_items",),
    ),
    Defect(
        "wrong-supplier-flag",
        "every item is flagged is_supplier_item",
        mock_with_responses(_everything_is_a_supplier_item),
        ("test_mixed_cart_keeps_both_kinds_of_items",),
    ),
    Defect(
        "changes-cart-total",
        "cart_total is not the submitted total",
        mock_with_responses(_total_is_subtotal),
        ("reads_back_unchanged", "test_mixed_cart_keeps_both_kinds_of_items"),
    ),
    Defect(
        "created-is-201",
        "order creation answers 201, an undocumented status",
        mock_with_responses(_created_is_201),
        ("reads_back_unchanged", "test_api_conforms_to_the_spec"),
    ),
    Defect(
        "malformed-json-is-422",
        "a body that is not JSON gets 422, not 400",
        mock_with_responses(_malformed_is_422),
        ("test_body_that_is_not_json_is_400",),
    ),
    Defect(
        "status-moves-backwards",
        "an order flips between CONFIRMED and PENDING_CONFIRMATION",
        lambda: RewriteResponses(create_app(), _flapping_status([0])),
        ("test_order_observed_over_time_moves_only_along_documented_transitions",),
    ),
    Defect(
        "no-auth-on-order-reads",
        "orders are readable without an API key",
        lambda: NoAuthOnReads(create_app()),
        ("test_get_order_without_a_valid_key_is_401[missing]",),
    ),
    Defect(
        "same-payload-means-same-bytes",
        "a cart re-serialized (other key order, spacing, escapes) under its key is 409, not a replay",
        lambda: RewriteRequests(create_app(), _fingerprint_raw_bytes),
        ("test_same_cart_serialized_differently_replays_the_same_order",),
        only=True,
    ),
    Defect(
        "401-echoes-the-key",
        'a 401 says which key was refused: "unknown key <the key>"',
        mock_with_responses(_echo_rejected_key),
        (
            "test_no_answer_echoes_a_key_or_a_stack_trace",
            "test_submit_without_a_valid_key_is_401",
            "test_get_order_without_a_valid_key_is_401",
            "with_a_malformed_authorization_header_is_401",
            "test_rotated_key_is_refused",
        ),
        only=True,
    ),
    Defect(
        "stack-trace-in-an-error",
        "a 404 for an order id that is not a UUID carries a Python traceback in its details",
        mock_with_responses(_traceback_for_bad_order_id),
        ("test_order_id_that_is_not_a_uuid", "keeps_every_rule_of_the_model"),
        only=True,
    ),
    Defect(
        "422-names-no-field",
        'every 422 says only "validation failed", naming no field',
        mock_with_responses(_validation_error_names_no_field),
        ("test_each_missing_required_field_is_422", "test_each_broken_constraint_is_422"),
        only=True,
    ),
]
