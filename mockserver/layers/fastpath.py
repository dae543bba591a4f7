"""The partner API's common requests, answered without connexion's per-request machinery.

connexion stays the reference implementation. This layer finishes a request only when it can tell that connexion
would accept its form: a known key, `application/json`, a valid Idempotency-Key or none, no query string, a body that
parses strictly and passes the compiled check of the spec's schema. Then it calls the same MockState method as the
connexion handler and sends the same bytes, also when the state refuses (403, 404, 409, 503: the envelope the error
handlers write). Anything else it hands on untouched, with the body it has read replayed, and connexion answers.
About three times the throughput of connexion alone (`make bench`); equal to it answer for answer
(tests/layers/test_fastpath.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from connexion.jsonifier import Jsonifier
from starlette.types import ASGIApp, Receive, Scope, Send

from jafarshop_kit.media_types import parse_media_type
from mockserver.http.body import parse_json_body_once, read_body, replaying
from mockserver.http.envelope import envelope_body, report_api_error, report_unexpected_error, send_answer
from mockserver.http.limits import MAX_BODY_BYTES, MAX_HEADER_BYTES, headers_size
from mockserver.http.notes import noted_epoch
from mockserver.http.routes import partner_routes
from mockserver.http.schema_check import idempotency_key_rule, submit_body_check
from mockserver.http.security import authorized_partner
from mockserver.model.domain import ApiError
from mockserver.model.state import MockState

_WATCHED = {b"authorization", b"content-type", b"content-length", b"transfer-encoding", b"idempotency-key"}


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
        routes = partner_routes()
        self.submit_path, self.orders_prefix = routes["submitCart"].path, routes["getOrder"].prefix
        self.body_check = submit_body_check(spec_path)
        self.max_key_length, self.key_pattern = idempotency_key_rule(spec_path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["query_string"]:
            method, path = scope["method"], scope["path"]
            if method == "GET" and path.startswith(self.orders_prefix):
                if await self._get_order(scope, path[len(self.orders_prefix) :], send):
                    return
            elif method == "POST" and path == self.submit_path and self.body_check is not None:
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
        read = await read_body(receive, self.max_body_bytes)
        if not read.complete:
            return replaying(read.messages, receive)
        try:
            body = await parse_json_body_once(scope, read.raw)
        except ApiError:
            return replaying(read.messages, receive)
        if not isinstance(body, dict) or not self.body_check(body):  # type: ignore[misc]
            return replaying(read.messages, receive)

        epoch = noted_epoch(scope)

        def submit() -> tuple[int, Any]:
            outcome = self.state.submit_cart(partner_id, body, key, epoch)  # type: ignore[arg-type]
            return outcome.status, outcome.body

        await self._answer(send, submit)
        return None

    def _partner(self, scope: Scope, headers: dict[bytes, str]) -> str | None:
        """The partner the Authorization header names, or None (connexion then answers 401)."""
        return authorized_partner(self.state, scope, headers.get(b"authorization"))

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
        await send_answer(send, status, body, headers)


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
