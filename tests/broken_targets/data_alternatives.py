"""Correct targets that decide the guide's silences about transport, time, identifiers and size otherwise than the
mock: the contract suite must pass each (no false positives)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver import MockState, create_app
from mockserver.model.fixtures import DEFAULT_FIXTURES, load_fixtures
from mockserver.model.stores import IdempotencyRecord, IdempotencyStore
from tests.broken_targets.asgi import JsonRewrite, is_order_read, is_partner_api, mock_with_responses
from tests.broken_targets.targets import Alternative


class NoKeepAlive:
    """Closes the connection after every answer (Connection: close), as some proxies and CGI stacks do."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, closing if scope["type"] == "http" else send)


class SlowAnswers:
    """Answers every partner request 15 ms late, as a target across a network does."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if is_partner_api(scope):
            await asyncio.sleep(0.015)
        await self.app(scope, receive, send)


def _offset_form(value: Any) -> Any:
    """The same moment as RFC 3339 with a +00:00 offset and milliseconds (the mock: microseconds and Z)."""
    if not isinstance(value, str):
        return value
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.isoformat(timespec="milliseconds")


def _lower_case_nanoseconds(value: Any) -> Any:
    """The same moment as RFC 3339 allows it too: lower-case t and z, nine digits of fraction."""
    if not isinstance(value, str):
        return value
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.strftime("%Y-%m-%dt%H:%M:%S.%f000z")


def _times_written(form: Callable[[Any], Any]) -> JsonRewrite:
    def rewrite(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
        if status == 200 and is_order_read(scope):
            body["created_at"], body["updated_at"] = form(body["created_at"]), form(body["updated_at"])
            if body.get("tracking"):
                body["tracking"]["shipped_at"] = form(body["tracking"]["shipped_at"])
        return status, body

    return rewrite


class CaseInsensitiveKeys(IdempotencyStore):
    """Takes an Idempotency-Key without regard to case (UUIDs are case-insensitive); payloads still compared."""

    def get(self, partner_id: str, key: str) -> IdempotencyRecord | None:
        return super().get(partner_id, key.lower())

    def put(self, partner_id: str, key: str, record: IdempotencyRecord) -> None:
        super().put(partner_id, key.lower(), record)


class OrderIdsWithoutDashes:
    """Reads an order id written without its dashes (32 hex digits) as that order, as uuid.UUID() does; the owner
    is checked as for the id itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_order_read(scope):
            prefix, _, last = str(scope["path"]).rpartition("/")
            if len(last) == 32:
                with contextlib.suppress(ValueError):
                    path = f"{prefix}/{uuid.UUID(last)}"
                    scope = {**scope, "path": path, "raw_path": path.encode()}
        await self.app(scope, receive, send)


DATA_ALTERNATIVES = [
    Alternative("no-keep-alive", "every answer closes its connection", lambda: NoKeepAlive(create_app()),
                ("test_idempotency", "test_orders")),
    Alternative("slow-answers", "every partner request is answered 15 ms late", lambda: SlowAnswers(create_app()),
                ("test_idempotency", "test_errors")),
    Alternative("times-with-an-offset", "times written 2026-12-05T08:00:00.123+00:00 (RFC 3339 UTC, milliseconds)",
                mock_with_responses(_times_written(_offset_form)), ("test_orders", "test_lifecycle", "test_spec")),
    Alternative("times-lower-case-nanoseconds", "times written 2026-12-05t08:00:00.123456000z (RFC 3339 allows both)",
                mock_with_responses(_times_written(_lower_case_nanoseconds)),
                ("test_orders", "test_lifecycle", "test_spec")),
    Alternative("case-insensitive-keys", "Idempotency-Keys are matched without regard to case",
                lambda: create_app(MockState(load_fixtures(DEFAULT_FIXTURES), idempotency=CaseInsensitiveKeys)),
                ("test_idempotency", "test_identifiers")),
    Alternative("100-kib-body-limit", "bodies over 100 KiB are 413 (Express's default; what a target must accept)",
                lambda: create_app(max_body_bytes=100 * 1024),
                ("test_orders", "test_idempotency", "test_validation", "test_errors")),
    Alternative("order-ids-without-dashes", "an order id without its dashes reads that order, for its partner only",
                lambda: OrderIdsWithoutDashes(create_app()), ("test_identifiers", "test_auth")),
]  # fmt: skip
