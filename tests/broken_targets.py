"""Deliberately broken JafarShop implementations: each breaks one promise of the guide, and the contract suite must
catch it. Also correct implementations that decide the guide's silences otherwise than the mock (ALTERNATIVES): the
suite must pass them. Serve one by hand with `python -m tests.broken_targets NAME [PORT]`."""

from __future__ import annotations

import hashlib
import json
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from http import HTTPStatus
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver import MockState, create_app
from mockserver.domain import AccessDenied, IdempotencyConflict, Order, OrderNotFound
from mockserver.fixtures import DEFAULT_FIXTURES, load_fixtures
from mockserver.state import SubmitOutcome
from mockserver.stores import IdempotencyRecord, IdempotencyStore, OrderStore

JsonRewrite = Callable[[Scope, int, Any], tuple[int, Any]]


def _is_partner_api(scope: Scope) -> bool:
    """The partner API (/v1): the wrappers leave the mock's admin API alone, which the lifecycle tests drive."""
    return scope["type"] == "http" and str(scope["path"]).startswith("/v1/")


class RewriteResponses:
    """Buffers each JSON response of the partner API and lets `rewrite(scope, status, body)` change its status and
    body; headers named in `drop_headers` (lower case) are left out."""

    def __init__(self, app: ASGIApp, rewrite: JsonRewrite, drop_headers: frozenset[bytes] = frozenset()) -> None:
        self.app, self.rewrite, self.drop_headers = app, rewrite, drop_headers | {b"content-length"}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _is_partner_api(scope):
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    await self._send_rewritten(scope, send, start, b"".join(chunks))

        await self.app(scope, receive, capture)

    async def _send_rewritten(self, scope: Scope, send: Send, start: dict[str, Any], raw: bytes) -> None:
        status = start["status"]
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        if body is not None:
            status, body = self.rewrite(scope, status, body)
            raw = json.dumps(body).encode()
        headers = [(k, v) for k, v in start["headers"] if k.lower() not in self.drop_headers]
        headers.append((b"content-length", str(len(raw)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": raw})


class RewriteRequests:
    """Reads each request body and lets `rewrite(scope, body_bytes)` replace it before the app sees it."""

    def __init__(self, app: ASGIApp, rewrite: Callable[[Scope, bytes], bytes]) -> None:
        self.app, self.rewrite = app, rewrite

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _is_partner_api(scope) or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        chunks = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = self.rewrite(scope, b"".join(chunks))
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app({**scope, "headers": headers}, replay, send)


def _json_rewrite(change: Callable[[Any], None]) -> Callable[[Scope, bytes], bytes]:
    def rewrite(_scope: Scope, raw: bytes) -> bytes:
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            return raw
        if isinstance(body, dict):
            change(body)
        return json.dumps(body).encode()

    return rewrite


def _is_order_read(scope: Scope) -> bool:
    return scope["method"] == "GET" and str(scope["path"]).startswith("/v1/orders/")


# --- state-level defects ---------------------------------------------------------------------------------------


class IgnoresIdempotency(MockState):
    def submit_cart(self, partner_id: str, cart: dict[str, Any], idempotency_key: str | None) -> SubmitOutcome:
        return super().submit_cart(partner_id, cart, None)


class ReplaysOnConflict(MockState):
    def submit_cart(self, partner_id: str, cart: dict[str, Any], idempotency_key: str | None) -> SubmitOutcome:
        try:
            return super().submit_cart(partner_id, cart, idempotency_key)
        except IdempotencyConflict:
            assert idempotency_key is not None
            record = self.idempotency.get(partner_id, idempotency_key)
            assert record is not None
            return record.outcome


class GlobalKeys(IdempotencyStore):
    def get(self, partner_id: str, key: str) -> IdempotencyRecord | None:
        return super().get("everyone", key)

    def put(self, partner_id: str, key: str, record: IdempotencyRecord) -> None:
        super().put("everyone", key, record)


class LeakyOrders(OrderStore):
    def get_for_partner(self, partner_id: str, order_id: str) -> Order:
        order = self.get(order_id)
        if order is None:
            raise OrderNotFound()
        return order


class HidingOrders(OrderStore):
    def get_for_partner(self, partner_id: str, order_id: str) -> Order:
        try:
            return super().get_for_partner(partner_id, order_id)
        except AccessDenied:
            raise OrderNotFound() from None


class OrdersUnmappedCarts(MockState):
    def _create_order(self, partner_id: str, cart: dict[str, Any]) -> SubmitOutcome:
        outcome = super()._create_order(partner_id, cart)
        if outcome.status == 204:
            sku = cart["items"][0]["sku"]
            self.catalogue.add(sku, 1)
            try:
                return super()._create_order(partner_id, cart)
            finally:
                self.catalogue.remove(sku)
        return outcome


class ForgetsOrders(OrderStore):
    """Loses every other order it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.given = 0

    def add(self, order: Order) -> None:
        self.given += 1
        if self.given % 2:
            super().add(order)


class StartsConfirmed(MockState):
    def _create_order(self, partner_id: str, cart: dict[str, Any]) -> SubmitOutcome:
        outcome = super()._create_order(partner_id, cart)
        if outcome.body is not None:
            order = self.orders.get(outcome.body["supplier_order_id"])
            assert order is not None
            order.move_to(order.status.CONFIRMED, self.clock())
            return SubmitOutcome(200, {**outcome.body, "status": "CONFIRMED"})
        return outcome


# --- HTTP-level defects ----------------------------------------------------------------------------------------


def _message_instead_of_error(_scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    if status >= 400 and isinstance(body, dict) and "error" in body:
        return status, {"message": body.pop("error"), **body}
    return status, body


def _drop_own_items(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    if status == 200 and _is_order_read(scope):
        body["items"] = [item for item in body["items"] if item["is_supplier_item"]]
    return status, body


def _everything_is_a_supplier_item(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    if status == 200 and _is_order_read(scope):
        for item in body["items"]:
            item["is_supplier_item"] = True
            item.setdefault("shopify_variant_id", 44219312570580)
    return status, body


def _total_is_subtotal(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    if status == 200 and _is_order_read(scope):
        body["cart_total"] = round(body["cart_total"] * 0.9, 2) if body["cart_total"] else 1.0
    return status, body


def _created_is_201(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    return (201 if status == 200 and scope["method"] == "POST" else status), body


def _malformed_is_422(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    return (422 if status == 400 and scope["method"] == "POST" else status), body


def _flapping_status(counter: list[int]) -> JsonRewrite:
    def rewrite(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
        if status == 200 and _is_order_read(scope):
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
        if _is_partner_api(scope) and scope["method"] == "POST":
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
        if scope["type"] == "http" and _is_order_read(scope) and anonymous:
            scope = {**scope, "headers": [*scope["headers"], (b"authorization", b"Bearer demo-key-partner-a")]}
        await self.app(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    return next((value.decode("latin-1") for key, value in scope["headers"] if key.lower() == name), None)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


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
        authorization = _header(scope, b"authorization")
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
    if status == 404 and _is_order_read(scope) and not _is_uuid(str(scope["path"]).rsplit("/", 1)[-1]):
        body["details"] = PYTHON_TRACEBACK
    return status, body


@dataclass(frozen=True)
class Defect:
    name: str
    breaks: str
    build: Callable[[], ASGIApp]
    caught_by: tuple[str, ...]  # contract tests expected to fail on it (any one is enough)
    # True: no test outside caught_by may fail either; the defect breaks one promise and proves the tests that check it.
    only: bool = False


def _state(cls: type[MockState], **stores: Any) -> Callable[[], ASGIApp]:
    """A target whose state breaks a rule: a MockState subclass, or a swapped store (MockState's store factories)."""
    return lambda: create_app(cls(load_fixtures(DEFAULT_FIXTURES), **stores))


def _responses(rewrite: JsonRewrite) -> Callable[[], ASGIApp]:
    return lambda: RewriteResponses(create_app(), rewrite)


def _requests(change: Callable[[dict[str, Any]], None]) -> Callable[[], ASGIApp]:
    return lambda: RewriteRequests(create_app(), _json_rewrite(change))


DEFECTS = [
    Defect(
        "ignores-idempotency",
        "same key + same payload creates a second order",
        _state(IgnoresIdempotency),
        ("test_replay_with_same_key_returns_same_order", "test_concurrent_submits_with_one_key"),
    ),
    Defect(
        "replays-on-conflict",
        "same key + different payload replays instead of 409",
        _state(ReplaysOnConflict),
        ("test_same_key_with_different_payload_is_409",),
    ),
    Defect(
        "keys-not-scoped-to-partner",
        "one partner's key blocks another partner",
        _state(MockState, idempotency=GlobalKeys),
        ("test_partners_using_the_same_key_do_not_see_or_block_each_other",),
    ),
    Defect(
        "leaks-other-partners-order",
        "another partner's order is readable",
        _state(MockState, orders=LeakyOrders),
        ("test_another_partners_order_is_403",),
    ),
    Defect(
        "404-for-other-partners-order",
        "another partner's order is 404, not 403",
        _state(MockState, orders=HidingOrders),
        ("test_another_partners_order_is_403",),
    ),
    Defect(
        "orders-unmapped-cart",
        "a cart with no mapped SKU creates an order (200)",
        _state(OrdersUnmappedCarts),
        ("test_cart_without_mapped_sku_answers_204",),
    ),
    Defect(
        "loses-orders",
        "every other new order cannot be read back",
        _state(MockState, orders=ForgetsOrders),
        (
            "reads_back_unchanged",
            "test_mixed_cart_keeps_both_kinds_of_items",
            "test_api_conforms_to_the_spec",
            "TestStatefulWorkflow",
        ),
    ),
    Defect(
        "new-order-not-pending",
        "new orders start CONFIRMED",
        _state(StartsConfirmed),
        ("reads_back_unchanged", "test_mixed_cart_keeps_both_kinds_of_items"),
    ),
    Defect(
        "accepts-quantity-zero",
        "quantity 0 is accepted",
        _requests(_quantity_zero_becomes_one),
        ("test_each_broken_constraint_is_422[quantity-zero]",),
    ),
    Defect(
        "accepts-unknown-payment-method",
        "an unsupported payment method is accepted",
        _requests(_unknown_payment_method_dropped),
        ("test_each_broken_constraint_is_422[payment-method",),
    ),
    Defect(
        "wrong-error-envelope",
        'errors say {"message"} instead of {"error"}',
        _responses(_message_instead_of_error),
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
        _responses(_drop_own_items),
        ("test_mixed_cart_keeps_both_kinds_of_items",),
    ),
    Defect(
        "wrong-supplier-flag",
        "every item is flagged is_supplier_item",
        _responses(_everything_is_a_supplier_item),
        ("test_mixed_cart_keeps_both_kinds_of_items",),
    ),
    Defect(
        "changes-cart-total",
        "cart_total is not the submitted total",
        _responses(_total_is_subtotal),
        ("reads_back_unchanged", "test_mixed_cart_keeps_both_kinds_of_items"),
    ),
    Defect(
        "created-is-201",
        "order creation answers 201, an undocumented status",
        _responses(_created_is_201),
        ("reads_back_unchanged", "test_api_conforms_to_the_spec"),
    ),
    Defect(
        "malformed-json-is-422",
        "a body that is not JSON gets 422, not 400",
        _responses(_malformed_is_422),
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
        "idempotency-forgets-keys-after-5-s",
        "an Idempotency-Key is remembered for 5 s, shorter than the guide's backoff (1 + 2 + 4 s)",
        lambda: create_app(MockState(load_fixtures(DEFAULT_FIXTURES), idempotency_ttl=timedelta(seconds=5))),
        ("test_retry_at_the_end_of_the_guides_backoff_replays_the_same_order",),
        only=True,
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
        _responses(_echo_rejected_key),
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
        _responses(_traceback_for_bad_order_id),
        ("test_order_id_that_is_not_a_uuid",),
        only=True,
    ),
    Defect(
        "422-names-no-field",
        'every 422 says only "validation failed", naming no field',
        _responses(_validation_error_names_no_field),
        ("test_each_missing_required_field_is_422", "test_each_broken_constraint_is_422"),
        only=True,
    ),
    Defect(
        "no-body-size-limit",
        "a 20 MiB cart is read and creates an order",
        lambda: create_app(max_body_bytes=64 * 1024 * 1024),
        ("test_oversized_body_is_refused_promptly",),
        only=True,
    ),
]
BY_NAME = {defect.name: defect for defect in DEFECTS}


# --- alternative but correct implementations --------------------------------------------------------------------
# Each decides silences of the guide otherwise than the mock; the contract suite must pass every one of them.


def _upper_case_ids(_scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    if status == 200 and isinstance(body, dict):
        for field in ("supplier_order_id", "id"):
            if isinstance(body.get(field), str):
                body[field] = body[field].upper()
    return status, body


def _richer_answers(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    """Errors worded otherwise, with details as an object and extra fields; extra fields in every answer."""
    if status >= 400 and isinstance(body, dict):
        return status, {
            "error": f"{status} {HTTPStatus(status).phrase}",
            "details": {"reason": body.get("error"), "explanation": body.get("details"), "docs": "https://x.test/e"},
            "code": f"E{status}",
            "request_id": str(uuid.uuid4()),
        }
    if status == 200 and isinstance(body, dict):
        body["request_id"] = str(uuid.uuid4())
        if _is_order_read(scope):
            body["currency"] = "JOD"
            body["notes"] = None
            body["shipping_address"]["country_name"] = "Jordan"
            for item in body["items"]:
                item["fulfilled_by"] = "jafarshop" if item["is_supplier_item"] else "partner"
    return status, body


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def _omit_null_fields(_scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    return status, _without_nulls(body)


def _not_found_for_unsupported_methods(_scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    return (404, {"error": "not found"}) if status == 405 else (status, body)


def _unsupported_media_type_is_400(_scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    return (400 if status == 415 else status), body


async def _answer(send: Send, status: int, body: Any) -> None:
    raw = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})


async def _read_all(receive: Receive) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replay(raw: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}
        return await receive()

    return replay


class FormatErrorsAre400:
    """Answers 400 ("check request format") where the mock answers 404 or 422: an order id that is not a UUID, and
    JSON that is not an object. Authentication still comes first."""

    def __init__(self, state: MockState) -> None:
        self.state, self.app = state, create_app(state)

    def _authenticated(self, scope: Scope) -> bool:
        scheme, _, key = (_header(scope, b"authorization") or "").partition(" ")
        return scheme == "Bearer" and self.state.partners.authenticate(key) is not None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if _is_partner_api(scope) and self._authenticated(scope):
            if _is_order_read(scope) and not _is_uuid(str(scope["path"]).rsplit("/", 1)[-1]):
                await _answer(send, 400, {"error": "bad request", "details": "the order id must be a UUID"})
                return
            length = _header(scope, b"content-length") or ""
            is_json = (_header(scope, b"content-type") or "").startswith("application/json")
            if scope["method"] == "POST" and is_json and length.isdigit() and int(length) <= 1024 * 1024:
                raw = await _read_all(receive)
                try:
                    parsed = json.loads(raw)
                except (ValueError, RecursionError):
                    parsed = {}
                if not isinstance(parsed, dict):
                    await _answer(send, 400, {"error": "bad request", "details": "the body must be a JSON object"})
                    return
                receive = _replay(raw, receive)
        await self.app(scope, receive, send)


CART_FIELDS: dict[str, frozenset[str]] = {
    "": frozenset({"partner_order_id", "items", "customer", "shipping", "totals", "payment_status", "payment_method"}),
    "items": frozenset({"sku", "title", "price", "quantity", "product_url"}),
    "customer": frozenset({"name", "phone"}),
    "shipping": frozenset({"street", "city", "state", "postal_code", "country"}),
    "totals": frozenset({"subtotal", "tax", "shipping", "total"}),
}


def _unknown_fields(cart: dict[str, Any]) -> list[str]:
    found = [name for name in cart if name not in CART_FIELDS[""]]
    for part in ("customer", "shipping", "totals"):
        if isinstance(cart.get(part), dict):
            found += [f"{part}.{name}" for name in cart[part] if name not in CART_FIELDS[part]]
    items = cart.get("items")
    for index, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, dict):
            found += [f"items[{index}].{name}" for name in item if name not in CART_FIELDS["items"]]
    return found


class RefusesUnknownFields(FormatErrorsAre400):
    """A strict binder (Go's DisallowUnknownFields, pydantic's extra="forbid"): a cart with a field the guide does not
    list is 422 (the mock accepts and ignores it)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        length = _header(scope, b"content-length") or ""
        is_json = (_header(scope, b"content-type") or "").startswith("application/json")
        if (
            _is_partner_api(scope)
            and scope["method"] == "POST"
            and self._authenticated(scope)
            and is_json
            and length.isdigit()
            and int(length) <= 1024 * 1024
        ):
            raw = await _read_all(receive)
            try:
                parsed = json.loads(raw)
            except (ValueError, RecursionError):
                parsed = None
            unknown = _unknown_fields(parsed) if isinstance(parsed, dict) else []
            if unknown:
                await _answer(send, 422, {"error": "validation failed", "details": f"unknown fields: {unknown}"})
                return
            receive = _replay(raw, receive)
        await self.app(scope, receive, send)


class RecordsRejectedSubmissions:
    """Keeps the answer to a submission refused by validation (400, 422) under its Idempotency-Key, as stores that
    record every first answer do: the same key and payload get the same refusal again, another payload 409."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.refused: dict[tuple[str, str], tuple[str, int, bytes]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key, authorization = _header(scope, b"idempotency-key"), _header(scope, b"authorization")
        if not (_is_partner_api(scope) and scope["method"] == "POST" and key and authorization):
            await self.app(scope, receive, send)
            return
        raw = await _read_all(receive)
        try:
            fingerprint = json.dumps(json.loads(raw), sort_keys=True)
        except (ValueError, RecursionError):
            fingerprint = raw.hex()
        refused = self.refused.get((authorization, key))
        if refused is not None:
            if refused[0] == fingerprint:
                await send({"type": "http.response.start", "status": refused[1], "headers": _JSON_HEADERS})
                await send({"type": "http.response.body", "body": refused[2]})
            else:
                await _answer(send, 409, {"error": "idempotency key conflict: same key used with different payload"})
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                chunks.append(message.get("body", b""))
                if start["status"] in (400, 422) and not message.get("more_body"):
                    self.refused[(authorization, key)] = (fingerprint, start["status"], b"".join(chunks))
            await send(message)

        await self.app(scope, _replay(raw, receive), capture)


_JSON_HEADERS = [(b"content-type", b"application/json")]


class AnyIdempotencyKey:
    """Takes an Idempotency-Key of any length and characters (the mock: 1-255 printable ASCII), by digest."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if _is_partner_api(scope):
            headers = [
                (
                    name,
                    hashlib.sha256(value).hexdigest().encode()
                    if name.lower() == b"idempotency-key" and value
                    else value,
                )
                for name, value in scope["headers"]
            ]
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)


@dataclass(frozen=True)
class Alternative:
    name: str
    decides: str
    build: Callable[[], ASGIApp]


ALTERNATIVES = [
    Alternative(
        "upper-case-order-ids",
        "order ids answered in upper case (UUIDs are case-insensitive)",
        _responses(_upper_case_ids),
    ),
    Alternative(
        "richer-answers",
        "errors worded otherwise, details an object, extra fields in every answer, 401 without WWW-Authenticate",
        lambda: RewriteResponses(create_app(), _richer_answers, frozenset({b"www-authenticate"})),
    ),
    Alternative(
        "omits-null-fields", "optional fields that are null are left out of answers", _responses(_omit_null_fields)
    ),
    Alternative(
        "16-mib-body-limit", "bodies up to 16 MiB are read", lambda: create_app(max_body_bytes=16 * 1024 * 1024)
    ),
    Alternative(
        "format-errors-are-400",
        "400 for an order id that is not a UUID, for JSON that is not an object and for a Content-Type not JSON",
        lambda: RewriteResponses(
            FormatErrorsAre400(MockState(load_fixtures(DEFAULT_FIXTURES))), _unsupported_media_type_is_400
        ),
    ),
    Alternative(
        "refuses-unknown-fields",
        "a cart with a field the guide does not list is 422 (the mock ignores it)",
        lambda: RefusesUnknownFields(MockState(load_fixtures(DEFAULT_FIXTURES))),
    ),
    Alternative(
        "records-refused-submissions",
        "a submission refused by validation keeps its Idempotency-Key (its refusal is replayed; other payloads 409)",
        lambda: RecordsRejectedSubmissions(create_app()),
    ),
    Alternative(
        "404-for-unsupported-methods",
        "an undocumented method is 404 (no Allow header), as routers without method matching answer",
        lambda: RewriteResponses(create_app(), _not_found_for_unsupported_methods, frozenset({b"allow"})),
    ),
    Alternative(
        "any-idempotency-key",
        "an Idempotency-Key of any length and characters is taken",
        lambda: AnyIdempotencyKey(create_app()),
    ),
]
BY_NAME_ALTERNATIVE = {alternative.name: alternative for alternative in ALTERNATIVES}


if __name__ == "__main__":
    import socket

    from mockserver.server import run

    targets: dict[str, Callable[[], ASGIApp]] = {
        **{d.name: d.build for d in DEFECTS},
        **{a.name: a.build for a in ALTERNATIVES},
    }
    if len(sys.argv) < 2 or sys.argv[1] not in targets:
        print(
            "usage: python -m tests.broken_targets NAME [PORT]\n"
            + "\n".join(f"  {d.name}: {d.breaks}" for d in DEFECTS)
            + "\nalternative but correct:\n"
            + "\n".join(f"  {a.name}: {a.decides}" for a in ALTERNATIVES)
        )
        raise SystemExit(2)
    run(
        targets[sys.argv[1]](),
        socket.create_server(("127.0.0.1", int(sys.argv[2]) if len(sys.argv) > 2 else 8080)),
    )
