"""The ASGI pieces the broken and alternative targets are built from: wrappers that rewrite the partner API's
requests or JSON answers on their way, and small helpers to read a request and answer one."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver import create_app

JsonRewrite = Callable[[Scope, int, Any], tuple[int, Any]]
JSON_HEADERS = [(b"content-type", b"application/json")]


def is_partner_api(scope: Scope) -> bool:
    """The partner API (/v1): the wrappers leave the mock's admin API alone, which the lifecycle tests drive."""
    return scope["type"] == "http" and str(scope["path"]).startswith("/v1/")


def is_order_read(scope: Scope) -> bool:
    """An order read of the partner API: GET /v1/orders/{id}."""
    return scope["method"] == "GET" and str(scope["path"]).startswith("/v1/orders/")


def header(scope: Scope, name: bytes) -> str | None:
    """The request header `name` (lower case), if it was sent."""
    return next((value.decode("latin-1") for key, value in scope["headers"] if key.lower() == name), None)


def is_uuid(text: str) -> bool:
    """Whether `text` reads as a UUID."""
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def keyed_submit(scope: Scope) -> tuple[str, str] | None:
    """(Authorization, Idempotency-Key) of a partner API submit that carries both; None for any other request."""
    key, authorization = header(scope, b"idempotency-key"), header(scope, b"authorization")
    if is_partner_api(scope) and scope["method"] == "POST" and key and authorization:
        return authorization, key
    return None


def canonical_json(raw: bytes) -> bytes:
    """The body as one canonical JSON text (keys sorted), or as it came when it is not JSON."""
    try:
        return json.dumps(json.loads(raw), sort_keys=True, ensure_ascii=False).encode()
    except (ValueError, RecursionError):
        return raw


async def answer(send: Send, status: int, body: Any) -> None:
    """Answer `body` as JSON with `status`."""
    raw = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})


async def read_all(receive: Receive) -> bytes:
    """The whole request body."""
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


def replay(raw: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app `raw`, a body already read, and then what `receive` brings."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}
        return await receive()

    return replayed


class RewriteResponses:
    """Buffers each JSON response of the partner API and lets `rewrite(scope, status, body)` change its status and
    body; headers named in `drop_headers` (lower case) are left out."""

    def __init__(self, app: ASGIApp, rewrite: JsonRewrite, drop_headers: frozenset[bytes] = frozenset()) -> None:
        self.app, self.rewrite, self.drop_headers = app, rewrite, drop_headers | {b"content-length"}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not is_partner_api(scope):
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
        if not is_partner_api(scope) or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        body = self.rewrite(scope, await read_all(receive))
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await self.app({**scope, "headers": headers}, replay(body, receive), send)


def json_rewrite(change: Callable[[Any], None]) -> Callable[[Scope, bytes], bytes]:
    """A request rewrite that applies `change` to a JSON object body (and re-serializes any JSON); a body that is not
    JSON passes unchanged."""

    def rewrite(_scope: Scope, raw: bytes) -> bytes:
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            return raw
        if isinstance(body, dict):
            change(body)
        return json.dumps(body).encode()

    return rewrite


def mock_with_responses(rewrite: JsonRewrite) -> Callable[[], ASGIApp]:
    """A target: the mock, with the partner API's JSON answers passed through `rewrite`."""
    return lambda: RewriteResponses(create_app(), rewrite)


def mock_with_requests(change: Callable[[dict[str, Any]], None]) -> Callable[[], ASGIApp]:
    """A target: the mock, with each JSON object body changed by `change` before the mock reads it."""
    return lambda: RewriteRequests(create_app(), json_rewrite(change))
