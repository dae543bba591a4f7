"""Defects of the shape the model phase exists for (contract_tests/test_model.py): wrong only when partners submit at
the same time, or only in a sequence of requests, or only for an id that is not quite right; and values past the
largest sizes answered with a 5xx or a dropped connection (contract_tests/test_limits.py). Each request pair the rest
of the suite sends alone still gets the right answer from them."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver import MockState, create_app
from mockserver.layers.faults import drop_connection
from mockserver.model.domain import IdempotencyConflict, Order, payload_fingerprint
from mockserver.model.fixtures import DEFAULT_FIXTURES, load_fixtures
from mockserver.model.state import SubmitOutcome
from mockserver.model.stores import IdempotencyRecord, OrderStore
from tests.broken_targets.asgi import answer, header, is_partner_api, read_all, replay
from tests.broken_targets.targets import Defect

MODEL = "keeps_every_rule_of_the_model"  # both tests of contract_tests/test_model.py
OVERLAP = 0.03  # s a submit waits before it is handled, so that concurrent submits overlap as on a loaded server


def _is_submit(scope: Scope) -> bool:
    return is_partner_api(scope) and scope["method"] == "POST"


async def _answer_of(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> tuple[int, Any]:
    """Call `app`, passing its answer on, and return its status and JSON body (None when not JSON)."""
    status, chunks = 0, []

    async def watch(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
        await send(message)

    await app(scope, receive, watch)
    try:
        return status, json.loads(b"".join(chunks))
    except ValueError:
        return status, None


class LosesConcurrentOrders:
    """A submit that overlaps another (an unguarded read-modify-write of the orders table): answered 200 with its
    order, which is then gone; it reads 404. Alone, a submit keeps its order."""

    def __init__(self) -> None:
        self.state = MockState(load_fixtures(DEFAULT_FIXTURES))
        self.app = create_app(self.state)
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _is_submit(scope):
            await self.app(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await asyncio.sleep(OVERLAP)
            overlapped = self.in_flight > 1
            status, body = await _answer_of(self.app, scope, receive, send)
        finally:
            self.in_flight -= 1
        if overlapped and status == 200 and isinstance(body, dict):
            with self.state.lock:
                self.state.orders._orders.pop(str(body.get("supplier_order_id", "")), None)


class SwapsOwnersUnderConcurrency:
    """Two partners' submits in flight at once (a partner id kept in a variable shared by the requests): the order
    that is answered while another partner's submit is under way belongs to that other partner; its own partner's
    reads of it answer 403, the other's 200."""

    def __init__(self) -> None:
        self.state = MockState(load_fixtures(DEFAULT_FIXTURES))
        self.app = create_app(self.state)
        self.in_flight: dict[int, str] = {}  # request -> partner id

    def _partner(self, scope: Scope) -> str | None:
        authorization = header(scope, b"authorization") or ""
        key = authorization.removeprefix("Bearer ").strip()
        return self.state.authenticate(key) if key else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        partner = self._partner(scope) if _is_submit(scope) else None
        if partner is None:
            await self.app(scope, receive, send)
            return
        ticket = id(scope)
        self.in_flight[ticket] = partner
        try:
            await asyncio.sleep(OVERLAP)
            others = {p for t, p in self.in_flight.items() if t != ticket and p != partner}
            status, body = await _answer_of(self.app, scope, receive, send)
        finally:
            del self.in_flight[ticket]
        if others and status == 200 and isinstance(body, dict):
            with self.state.lock:
                order = self.state.orders.get(str(body.get("supplier_order_id", "")))
                if order is not None:
                    order.partner_id = sorted(others)[0]


class ConflictRewritesTheRecord(MockState):
    """A 409 conflict stores the conflicting payload in the key's record (an UPSERT run before the comparison): the
    conflict itself is answered right, but the key's first payload no longer replays (409), and the conflicting one
    now replays the first order."""

    def submit_cart(self, partner_id: str, cart: dict[str, Any], idempotency_key: str | None,
                    *args: Any, **kwargs: Any) -> SubmitOutcome:  # fmt: skip
        try:
            return super().submit_cart(partner_id, cart, idempotency_key, *args, **kwargs)
        except IdempotencyConflict:
            assert idempotency_key is not None
            with self.lock:
                record = self.idempotency.get(partner_id, idempotency_key)
                if record is not None:
                    rewritten = IdempotencyRecord(payload_fingerprint(cart), record.outcome)
                    self.idempotency.put(partner_id, idempotency_key, rewritten)
            raise


class FindsOrdersByAlteredIds(OrderStore):
    """An id is looked up on its first 35 characters (a prefix index, a LIKE 'id%'): an id with its last character
    changed, one character cut or one added finds the order. The exact id still finds it, an unknown one does not."""

    def get(self, order_id: str) -> Order | None:
        exact = super().get(order_id)
        if exact is not None or len(order_id) < 35:
            return exact
        head = order_id.lower()[:35]
        return next((order for order in self if order.id[:35] == head), None)


def _limits() -> dict[str, int]:
    from contract_tests.spec import largest_accepted

    return largest_accepted()


class FailsPastTheLimits:
    """A cart past the largest sizes is not refused but fails: a title longer than the longest text a target must
    take answers 500 (a VARCHAR overflow left uncaught), and a cart with more lines than the most is dropped
    (the worker dies on it). Carts within the sizes are answered as the mock answers them."""

    def __init__(self) -> None:
        self.app = create_app()
        self.text, self.lines = _limits()["text_characters"], _limits()["items"]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _is_submit(scope):
            await self.app(scope, receive, send)
            return
        raw = await read_all(receive)
        try:
            cart = json.loads(raw)
            items = cart["items"] if isinstance(cart, dict) and isinstance(cart.get("items"), list) else []
        except (ValueError, RecursionError):  # not JSON, or nested too deep: the mock refuses it
            items = []
        if len(items) > self.lines:
            await drop_connection(send, 200, b'{"supplier_order_id": "00000000-0000-4000-8000-000000000000"}')
            return
        if any(isinstance(item, dict) and len(str(item.get("title", ""))) > self.text for item in items):
            await answer(send, 500, {"error": "internal error", "details": "value too long for type varchar"})
            return
        await self.app(scope, replay(raw, receive), send)


def _altered_ids() -> ASGIApp:
    app: ASGIApp = create_app(MockState(load_fixtures(DEFAULT_FIXTURES), orders=FindsOrdersByAlteredIds))
    return app


MODEL_DEFECTS = [
    Defect("loses-concurrent-orders", "a submit that overlaps another is answered 200, and its order then reads 404",
           LosesConcurrentOrders, (MODEL,), only=True),
    Defect("swaps-owners-under-concurrency",
           "two partners' concurrent submits: one's order belongs to the other (its reads 403, the other's 200)",
           SwapsOwnersUnderConcurrency, (MODEL,), only=True),
    Defect("conflict-rewrites-the-idempotency-record",
           "a 409 conflict rewrites the key's record: the first payload then 409s and the conflicting one replays",
           lambda: create_app(ConflictRewritesTheRecord(load_fixtures(DEFAULT_FIXTURES))),
           (MODEL,), only=True),
    Defect("finds-orders-by-altered-ids",
           "an order id with its last character changed, cut or extended reads the order (a 35-character prefix)",
           _altered_ids, (MODEL,), only=True),
    Defect("fails-past-the-limits",
           "past the largest sizes: a title one character too long answers 500, one line too many drops the connection",
           FailsPastTheLimits, ("test_values_past_the_largest_sizes_are_taken_or_refused_with_a_4xx",), only=True),
]  # fmt: skip
