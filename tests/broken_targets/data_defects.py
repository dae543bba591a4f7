"""Defects in what a real store sends and reads back (issue: the data a store sends, read back exactly): text cut at
a column's width, lines dropped, amounts rounded to cents, emoji lost to a 3-byte UTF-8 column, order ids cut, the
payload compared on its first 16 KiB only; times reported in local time labelled UTC; identifiers whose other
spellings break ownership or idempotency. Each is caught only by the test of its promise."""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver import MockState, create_app
from mockserver.model.domain import Order
from mockserver.model.fixtures import DEFAULT_FIXTURES, load_fixtures
from mockserver.model.state import SubmitOutcome
from mockserver.model.stores import IdempotencyRecord, IdempotencyStore, OrderStore
from tests.broken_targets.asgi import (
    RewriteResponses,
    canonical_json,
    is_order_read,
    is_partner_api,
    keyed_submit,
    mock_with_requests,
    read_all,
    replay,
)
from tests.broken_targets.targets import Defect

TEXT_FIELDS = (("customer", "name"), ("shipping", "street"), ("shipping", "city"), ("shipping", "state"))


def _cut_text_at_100(body: dict[str, Any]) -> None:
    """A VARCHAR(100) somewhere: titles, names and address lines stored cut."""
    for item in body.get("items") or []:
        if isinstance(item, dict) and isinstance(item.get("title"), str):
            item["title"] = item["title"][:100]
    for group, name in TEXT_FIELDS:
        part = body.get(group)
        if isinstance(part, dict) and isinstance(part.get(name), str):
            part[name] = part[name][:100]


def _keep_100_lines(body: dict[str, Any]) -> None:
    if isinstance(body.get("items"), list):
        body["items"] = body["items"][:100]


def _round_to_cents(body: dict[str, Any]) -> None:
    """Amounts kept as DECIMAL(12, 2): fils (the third decimal) lost."""
    for item in body.get("items") or []:
        if isinstance(item, dict) and isinstance(item.get("price"), float):
            item["price"] = round(item["price"], 2)
    totals = body.get("totals")
    if isinstance(totals, dict):
        for name, value in totals.items():
            if isinstance(value, float):
                totals[name] = round(value, 2)


def _beyond_bmp_dropped(value: Any) -> Any:
    """MySQL's utf8 (3 bytes): characters beyond the Basic Multilingual Plane, emoji among them, are stored as "?"."""
    if isinstance(value, str):
        return "".join(char if ord(char) <= 0xFFFF else "?" for char in value)
    if isinstance(value, list):
        return [_beyond_bmp_dropped(item) for item in value]
    if isinstance(value, dict):
        return {name: _beyond_bmp_dropped(item) for name, item in value.items()}
    return value


def _drop_beyond_bmp(body: dict[str, Any]) -> None:
    body.update(_beyond_bmp_dropped(body))


def _cut_partner_order_id(body: dict[str, Any]) -> None:
    if isinstance(body.get("partner_order_id"), str):
        body["partner_order_id"] = body["partner_order_id"][:36]


class ComparesFirst16KiB:
    """Idempotency that compares the payload's first 16 KiB only (a VARCHAR(16384) column): a retry whose head
    matches the first submission is handed the first body, so the mock replays it whatever its tail says."""

    HEAD = 16384

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.first: dict[tuple[str, str], tuple[str, bytes]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        keyed = keyed_submit(scope)
        if keyed is None:
            await self.app(scope, receive, send)
            return
        raw = await read_all(receive)
        head = hashlib.sha256(canonical_json(raw)[: self.HEAD]).hexdigest()
        seen = self.first.setdefault(keyed, (head, raw))
        if seen[0] == head:
            raw = seen[1]
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(raw)).encode()))
        await self.app({**scope, "headers": headers}, replay(raw, receive), send)


class DiesOnLargeCarts:
    """The whole server process dies on a request body over 20 KiB (an out-of-memory kill, a crashing parser). Not
    in DEFECTS, which are served inside the test process: tests/test_contract_verdicts.py serves it in its own."""

    LIMIT = 20 * 1024

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if is_partner_api(scope) and scope["method"] == "POST":
            raw = await read_all(receive)
            if len(raw) > self.LIMIT:
                os._exit(1)
            receive = replay(raw, receive)
        await self.app(scope, receive, send)


LOCAL_OFFSET = timedelta(hours=3)  # Amman's time, labelled as UTC


def _later(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    moment = datetime.fromisoformat(value.replace("Z", "+00:00")) + LOCAL_OFFSET
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _local_times(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    if status == 200 and is_order_read(scope):
        body["created_at"], body["updated_at"] = _later(body["created_at"]), _later(body["updated_at"])
    return status, body


def _local_times_on_change(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    if status == 200 and is_order_read(scope) and body["status"] != "PENDING_CONFIRMATION":
        body["updated_at"] = _later(body["updated_at"])
        if body.get("tracking"):
            body["tracking"]["shipped_at"] = _later(body["tracking"]["shipped_at"])
    return status, body


def _frozen_times(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    """updated_at and shipped_at never move from created_at (set once, at insert)."""
    if status == 200 and is_order_read(scope):
        body["updated_at"] = body["created_at"]
        if body.get("tracking"):
            body["tracking"]["shipped_at"] = body["created_at"]
    return status, body


class SpellingsSkipOwnership(OrderStore):
    """Reads an order id in any case, but checks the owner only on the id as it was issued."""

    def get_for_partner(self, partner_id: str, order_id: str) -> Order:
        order = self.get(order_id)
        if order is not None and order_id != order.id:
            return order
        return super().get_for_partner(partner_id, order_id)


class ReplaysKeySpellings(MockState):
    """Takes keys without regard to case, and a key spelled otherwise than at first as a retry of the first
    submission: replays it without comparing the payload."""

    def submit_cart(
        self, partner_id: str, cart: dict[str, Any], idempotency_key: str | None, epoch: int | None = None
    ) -> SubmitOutcome:
        if idempotency_key:
            spelled: dict[tuple[str, str], str] = self.__dict__.setdefault("_first_spelling", {})
            first = spelled.setdefault((partner_id, idempotency_key.lower()), idempotency_key)
            record = self.idempotency.get(partner_id, idempotency_key.lower())
            if first != idempotency_key and record is not None:
                return replace(record.outcome, replayed=True)
            idempotency_key = idempotency_key.lower()
        return super().submit_cart(partner_id, cart, idempotency_key, epoch)


class KeysCutAt36(IdempotencyStore):
    """Keys stored in a CHAR(36), the length of a UUID: longer keys that share their first 36 characters collide."""

    def get(self, partner_id: str, key: str) -> IdempotencyRecord | None:
        return super().get(partner_id, key[:36])

    def put(self, partner_id: str, key: str, record: IdempotencyRecord) -> None:
        super().put(partner_id, key[:36], record)


def _mock(**stores: Any) -> ASGIApp:
    app: ASGIApp = create_app(MockState(load_fixtures(DEFAULT_FIXTURES), **stores))
    return app


READ_BACK = ("test_the_largest_cart_a_store_sends", "test_cart_with_mapped_sku_creates_pending_order_that_reads_back")

DATA_DEFECTS = [
    Defect("cuts-long-text", "titles, names and address lines are stored cut at 100 characters",
           mock_with_requests(_cut_text_at_100), READ_BACK, only=True),
    Defect("keeps-100-lines", "a cart's lines after the 100th are lost", mock_with_requests(_keep_100_lines),
           READ_BACK, only=True),
    Defect("rounds-amounts-to-cents", "prices and totals are stored with two decimals: JOD fils are lost",
           mock_with_requests(_round_to_cents), READ_BACK, only=True),
    Defect("drops-emoji", 'characters beyond the Basic Multilingual Plane (emoji) become "?", as in MySQL\'s utf8',
           mock_with_requests(_drop_beyond_bmp),
           (*READ_BACK, "test_non_ascii_text_is_accepted", "test_mixed_cart_keeps_both_kinds_of_items"), only=True),
    Defect("cuts-partner-order-id", "partner_order_id is stored cut at 36 characters",
           mock_with_requests(_cut_partner_order_id),
           (*READ_BACK, "test_same_key_with_different_payload_is_409_and_keeps_the_first_order"), only=True),
    Defect("compares-first-16-kib", "same key: a payload whose first 16 KiB match the first one's replays it",
           lambda: ComparesFirst16KiB(create_app()), ("test_the_largest_cart_a_store_sends",), only=True),
    Defect("times-in-local-time", "created_at and updated_at are Amman's local time labelled Z (3 h ahead)",
           lambda: RewriteResponses(create_app(), _local_times),
           ("test_an_order_reports_when_it_was_created_in_utc", "test_every_documented_transition_reads_back"),
           only=True),
    Defect("change-times-in-local-time", "after a status change, updated_at and shipped_at are local time labelled Z",
           lambda: RewriteResponses(create_app(), _local_times_on_change),
           ("test_every_documented_transition_reads_back",), only=True),
    Defect("times-never-move", "updated_at and shipped_at stay at created_at, whatever changes later",
           lambda: RewriteResponses(create_app(), _frozen_times), ("test_every_documented_transition_reads_back",),
           only=True),
    Defect("order-id-spellings-skip-ownership", "an order id in other case reads another partner's order",
           lambda: _mock(orders=SpellingsSkipOwnership),
           ("test_each_spelling_of_an_order_id_is_403_for_another_partner", "keeps_every_rule_of_the_model"),
           only=True),
    Defect("key-spellings-replay-any-payload", "a key in other case replays the first order whatever the payload",
           lambda: create_app(ReplaysKeySpellings(load_fixtures(DEFAULT_FIXTURES))),
           ("test_each_spelling_of_an_idempotency_key",), only=True),
    Defect("keys-cut-at-36", "Idempotency-Keys are compared on their first 36 characters",
           lambda: _mock(idempotency=KeysCutAt36),
           ("test_different_keys_create_different_orders", "keeps_every_rule_of_the_model"), only=True),
]  # fmt: skip
