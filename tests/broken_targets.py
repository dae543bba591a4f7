"""Deliberately broken JafarShop implementations: each breaks one promise of the guide, and the contract suite must
catch it. Serve one by hand with `python -m tests.broken_targets NAME [PORT]`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver import MockState, create_app
from mockserver.domain import AccessDenied, IdempotencyConflict, Order, OrderNotFound
from mockserver.fixtures import DEFAULT_FIXTURES, load_fixtures
from mockserver.state import IdempotencyRecord, IdempotencyStore, OrderStore, SubmitOutcome

JsonRewrite = Callable[[Scope, int, Any], tuple[int, Any]]


class RewriteResponses:
    """Buffers each JSON response and lets `rewrite(scope, status, body)` change its status and body."""

    def __init__(self, app: ASGIApp, rewrite: JsonRewrite) -> None:
        self.app, self.rewrite = app, rewrite

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
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
        headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(raw)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": raw})


class RewriteRequests:
    """Reads each request body and lets `rewrite(scope, body_bytes)` replace it before the app sees it."""

    def __init__(self, app: ASGIApp, rewrite: Callable[[Scope, bytes], bytes]) -> None:
        self.app, self.rewrite = app, rewrite

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
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
        except ValueError:
            return raw
        if isinstance(body, dict):
            change(body)
        return json.dumps(body).encode()

    return rewrite


def _is_order_read(scope: Scope) -> bool:
    return scope["method"] == "GET" and "/orders/" in scope["path"]


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


class KeysNotScopedToPartner(MockState):
    def reset(self) -> None:
        super().reset()
        self.idempotency = GlobalKeys()


class LeakyOrders(OrderStore):
    def get_for_partner(self, partner_id: str, order_id: str) -> Order:
        order = self.get(order_id)
        if order is None:
            raise OrderNotFound()
        return order


class LeaksOtherPartnersOrders(MockState):
    def reset(self) -> None:
        super().reset()
        self.orders = LeakyOrders()


class HidingOrders(OrderStore):
    def get_for_partner(self, partner_id: str, order_id: str) -> Order:
        try:
            return super().get_for_partner(partner_id, order_id)
        except AccessDenied:
            raise OrderNotFound() from None


class NotFoundForOtherPartner(MockState):
    def reset(self) -> None:
        super().reset()
        self.orders = HidingOrders()


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


class LosesOrders(MockState):
    def reset(self) -> None:
        super().reset()
        self.orders = ForgetsOrders()


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
        if scope["type"] == "http" and scope["method"] == "POST":
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


@dataclass(frozen=True)
class Defect:
    name: str
    breaks: str
    build: Callable[[], ASGIApp]
    caught_by: tuple[str, ...]  # contract tests expected to fail on it (any one is enough)


def _state(cls: type[MockState]) -> Callable[[], ASGIApp]:
    return lambda: create_app(cls(load_fixtures(DEFAULT_FIXTURES)))


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
        _state(KeysNotScopedToPartner),
        ("test_partners_using_the_same_key_do_not_see_or_block_each_other",),
    ),
    Defect(
        "leaks-other-partners-order",
        "another partner's order is readable",
        _state(LeaksOtherPartnersOrders),
        ("test_another_partners_order_is_403",),
    ),
    Defect(
        "404-for-other-partners-order",
        "another partner's order is 404, not 403",
        _state(NotFoundForOtherPartner),
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
        _state(LosesOrders),
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
]
BY_NAME = {defect.name: defect for defect in DEFECTS}


if __name__ == "__main__":
    import socket

    from mockserver.server import run

    if len(sys.argv) < 2 or sys.argv[1] not in BY_NAME:
        print(
            "usage: python -m tests.broken_targets NAME [PORT]\n"
            + "\n".join(f"  {d.name}: {d.breaks}" for d in DEFECTS)
        )
        raise SystemExit(2)
    run(
        BY_NAME[sys.argv[1]].build(),
        socket.create_server(("127.0.0.1", int(sys.argv[2]) if len(sys.argv) > 2 else 8080)),
    )
