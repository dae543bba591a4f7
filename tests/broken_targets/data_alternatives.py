"""Correct targets that decide the guide's silences about transport, time, identifiers and size otherwise than the
mock: the contract suite must pass each (no false positives)."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
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


def _mapped_lines_first(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    """An order read lists JafarShop's lines first, then the partner's own (each kind in the order sent)."""
    if is_order_read(scope) and status == 200 and isinstance(body, dict) and isinstance(body.get("items"), list):
        body["items"] = sorted(body["items"], key=lambda item: not item.get("is_supplier_item"))
    return status, body


class ChunkedAnswers:
    """Answers without Content-Length, their body in chunks of 7 bytes (Transfer-Encoding: chunked), as a streaming
    framework or a proxy that re-frames answers sends them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def chunked(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-length"]
                await send({**message, "headers": headers})
                return
            if message["type"] == "http.response.body":
                body, more = message.get("body", b""), message.get("more_body", False)
                pieces = [body[i : i + 7] for i in range(0, len(body), 7)] or [b""]
                for n, piece in enumerate(pieces):
                    await send({"type": "http.response.body", "body": piece, "more_body": more or n < len(pieces) - 1})
                return
            await send(message)

        await self.app(scope, receive, chunked)


HEADER_SPELLINGS = {b"content-type": b"Content-Type", b"www-authenticate": b"WWW-Authenticate", b"allow": b"Allow",
                    b"retry-after": b"Retry-After", b"content-length": b"Content-Length"}  # fmt: skip


class HeaderSpellings:
    """Header names as some stacks write them (Content-Type, WWW-Authenticate, Retry-After) and a Content-Type with
    its charset (application/json; charset=utf-8); header names are case-insensitive, and JSON's media type takes
    parameters."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def spelled(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = []
                for key, value in message.get("headers", []):
                    if key.lower() == b"content-type" and value == b"application/json":
                        value = b"application/json; charset=utf-8"
                    headers.append((HEADER_SPELLINGS.get(key.lower(), key), value))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, spelled if scope["type"] == "http" else send)


def uuid7() -> str:
    """A UUID of version 7 (RFC 9562: 48 bits of Unix milliseconds, then random bits), as many databases make ids."""
    millis = time.time_ns() // 1_000_000
    value = (millis & (2**48 - 1)) << 80 | secrets.randbits(80)
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    return str(uuid.UUID(int=value))


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
    Alternative("mapped-lines-first", "an order reads back JafarShop's lines first, then the partner's own",
                mock_with_responses(_mapped_lines_first), ()),
    Alternative("chunked-answers", "answers are chunked (no Content-Length), their bodies in 7-byte pieces",
                lambda: ChunkedAnswers(create_app()),
                ("test_orders", "test_idempotency", "test_errors", "test_model", "test_spec")),
    Alternative("header-spellings",
                "Content-Type: application/json; charset=utf-8, header names in mixed case (granian lowers them)",
                lambda: HeaderSpellings(create_app()), ("test_orders", "test_errors", "test_auth", "test_spec")),
    Alternative("uuid-v7-order-ids", "order ids are UUIDs of version 7 (time-ordered), not 4",
                lambda: create_app(MockState(load_fixtures(DEFAULT_FIXTURES), new_id=uuid7)),
                ("test_orders", "test_identifiers", "test_auth", "test_model", "test_spec")),
]  # fmt: skip
