"""The partner API's common requests, answered without connexion's per-request machinery.

connexion stays the reference implementation. This layer finishes a request only when it can tell that connexion
would accept its form: a known key, `application/json`, a valid Idempotency-Key or none, no query string, a body that
parses strictly and passes the compiled check of the spec's schema. Then it calls the same MockState method as the
connexion handler and sends the same bytes, also when the state refuses (403, 404, 409, 503: the envelope the error
handlers write). Anything else it hands on untouched, with the body it has read replayed, and connexion answers.
About three times the throughput of connexion alone (`make bench`); equal to it answer for answer
(tests/test_fastpath.py).
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from connexion.json_schema import resolve_refs
from connexion.jsonifier import Jsonifier
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.auth import authorized_partner
from mockserver.domain import ApiError
from mockserver.errors import envelope_body, report_api_error, report_unexpected_error
from mockserver.middleware import PARTNER_KEY
from mockserver.spec import load_spec
from mockserver.state import MockState
from mockserver.validation import (
    MAX_BODY_BYTES,
    MAX_HEADER_BYTES,
    compiled_check,
    headers_size,
    parse_json_body_off_loop,
    parse_media_type,
)

SUBMIT_PATH = "/v1/carts/submit"
ORDERS_PREFIX = "/v1/orders/"
_WATCHED = {b"authorization", b"content-type", b"content-length", b"transfer-encoding", b"idempotency-key"}


@functools.cache
def submit_body_schema(spec_path: Path) -> dict[str, Any]:
    """submitCart's body schema with its $refs resolved, as connexion resolves it."""
    spec = resolve_refs(copy.deepcopy(load_spec(spec_path)))
    schema: dict[str, Any] = spec["paths"]["/carts/submit"]["post"]["requestBody"]["content"]["application/json"]
    return schema["schema"]  # type: ignore[no-any-return]


def submit_body_check(spec_path: Path) -> Callable[[Any], bool] | None:
    """The compiled check of submitCart's body schema (None if the schema ever leaves what it covers)."""
    return compiled_check(submit_body_schema(spec_path))


@functools.cache
def idempotency_key_rule(spec_path: Path) -> tuple[int, re.Pattern[str]]:
    """The Idempotency-Key header's maximum length and pattern, from the spec (as connexion checks them)."""
    schema = load_spec(spec_path)["components"]["parameters"]["IdempotencyKey"]["schema"]
    return schema["maxLength"], re.compile(schema["pattern"])


class FastPath:
    """Finishes accepted submitCart and getOrder requests itself; hands everything else to connexion."""

    def __init__(
        self,
        app: ASGIApp,
        state: MockState,
        jsonifier: Jsonifier,
        spec_path: Path,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.app, self.state, self.jsonifier, self.max_body_bytes = app, state, jsonifier, max_body_bytes
        self.body_check = submit_body_check(spec_path)
        self.max_key_length, self.key_pattern = idempotency_key_rule(spec_path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["query_string"]:
            method, path = scope["method"], scope["path"]
            if method == "GET" and path.startswith(ORDERS_PREFIX):
                if await self._get_order(scope, path[len(ORDERS_PREFIX) :], send):
                    return
            elif method == "POST" and path == SUBMIT_PATH and self.body_check is not None:
                handed_on = await self._submit(scope, receive, send)
                if handed_on is None:
                    return
                receive = handed_on
        await self.app(scope, receive, send)

    async def _get_order(self, scope: Scope, order_id: str, send: Send) -> bool:
        headers = _headers(scope)
        if headers is None or not order_id or "/" in order_id:
            return False
        partner_id = self._partner(scope, headers)
        if partner_id is None:
            return False
        await self._answer(send, lambda: (200, self.state.read_order(partner_id, order_id)))
        return True

    async def _submit(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """None when answered; otherwise the receive channel to hand on (replaying any body read)."""
        headers = _headers(scope)
        if headers is None or not _is_json(headers.get(b"content-type")):
            return receive
        declared = headers.get(b"content-length")
        if declared is None or not declared.isdigit() or int(declared) > self.max_body_bytes:
            return receive
        key = self._idempotency_key(headers.get(b"idempotency-key"))
        partner_id = self._partner(scope, headers)
        if key is False or partner_id is None:
            return receive
        messages, raw = await _read_body(receive, self.max_body_bytes)
        if raw is None:
            return _replaying(messages, receive)
        try:
            body = await parse_json_body_off_loop(raw)
        except ApiError:
            return _replaying(messages, receive)
        if not isinstance(body, dict) or not self.body_check(body):  # type: ignore[misc]
            return _replaying(messages, receive)

        def submit() -> tuple[int, Any]:
            outcome = self.state.submit_cart(partner_id, body, key)  # type: ignore[arg-type]
            return outcome.status, outcome.body

        await self._answer(send, submit)
        return None

    def _partner(self, scope: Scope, headers: dict[bytes, str]) -> str | None:
        """The partner the Authorization header names, or None (connexion then answers 401). Kept in the scope, so
        that the journal does not hash the key a second time."""
        partner_id = authorized_partner(self.state, headers.get(b"authorization"))
        if partner_id is not None:
            scope[PARTNER_KEY] = partner_id
        return partner_id

    def _idempotency_key(self, value: str | None) -> str | bool | None:
        """The key; None when absent; False when connexion must judge it (empty, too long, against the pattern)."""
        if value is None:
            return None
        if not 0 < len(value) <= self.max_key_length or not self.key_pattern.search(value):
            return False
        return value

    async def _answer(self, send: Send, operation: Callable[[], tuple[int, Any]]) -> None:
        """Run the state's operation and send its answer as the reference would: the JSON body (none for a 204), or
        the envelope of the error it raised (ApiError as is, anything else a 500 without a trace)."""
        headers: dict[str, str] = {}
        try:
            status, payload = operation()
            body = b"" if payload is None else self.jsonifier.dumps(payload).encode("utf-8")
        except ApiError as exc:
            status, headers, body = exc.status, report_api_error(exc), envelope_body(exc.error, exc.details)
        except Exception as exc:  # the reference's catch-all error handler, in this layer
            status, body = 500, envelope_body(report_unexpected_error(exc))
        raw_headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
        if body:
            raw_headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": body})


def _is_json(content_type: str | None) -> bool:
    """application/json, with no parameter but charset=utf-8 (parsed as RequireContentType parses it)."""
    parsed = parse_media_type(content_type) if content_type else None
    return parsed is not None and parsed[0] == "application/json" and parsed[1] in ({}, {"charset": "utf-8"})


def _headers(scope: Scope) -> dict[bytes, str] | None:
    """The headers this layer reads, decoded as starlette decodes them; None when one of them is repeated or all
    headers together are over the limit (left to connexion)."""
    found: dict[bytes, str] = {}
    for name, value in scope["headers"]:
        if name in _WATCHED:
            if name in found:
                return None
            found[name] = value.decode("latin-1")
    if b"transfer-encoding" in found or headers_size(scope) > MAX_HEADER_BYTES:
        return None
    return found


async def _read_body(receive: Receive, limit: int) -> tuple[list[Message], bytes | None]:
    """The messages read, and the whole body; the body is None when it is over `limit` or the client left."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, None
        size += len(message.get("body", b""))
        if size > limit:
            return messages, None
        if not message.get("more_body", False):
            break
    return messages, b"".join(message.get("body", b"") for message in messages)


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    """A receive channel that gives back `messages` first, then the rest from `receive`."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
