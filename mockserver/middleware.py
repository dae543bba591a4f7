"""ASGI layers around the partner API: injected faults and the request journal. Both step aside at once when unused."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.auth import authorized_partner
from mockserver.control import JournalEntry
from mockserver.state import MockState

logger = logging.getLogger("mockserver")
PARTNER_PREFIX = "/v1/"
FAULT_KEY = "jafarshop.fault"
PARTNER_KEY = "jafarshop.partner"
_ERROR_STATUSES = {400, 413, 415, 422}


def partner_operation(scope: Scope) -> str | None:
    """The partner operationId a request is for, if any."""
    path, method = scope["path"], scope["method"]
    if path == "/v1/carts/submit" and method == "POST":
        return "submitCart"
    if path.startswith("/v1/orders/") and method == "GET":
        return "getOrder"
    return None


def is_partner_call(scope: Scope) -> bool:
    return (
        scope["type"] == "http" and scope["path"].startswith(PARTNER_PREFIX) and not scope["path"].startswith("/v1/ui")
    )


class FaultInjection:
    """Shapes the next partner requests as the admin's faults say: a delay, a 500/503, or a dropped connection."""

    def __init__(self, app: ASGIApp, state: MockState) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.state.faults or not is_partner_call(scope):  # the common case: one truthiness test
            await self.app(scope, receive, send)
            return
        with self.state.lock:
            fault = self.state.faults.take(partner_operation(scope))
        if fault is None:
            await self.app(scope, receive, send)
            return
        scope[FAULT_KEY] = fault.describe()
        if fault.delay_ms:
            await asyncio.sleep(fault.delay_ms / 1000)
        if fault.drop_connection:
            # Start an answer and stop half-way: the server closes the connection, as a crashed upstream would.
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"64")]})
            await send({"type": "http.response.body", "body": b'{"supplier_order_', "more_body": True})
            return
        if fault.status:
            body = json.dumps({"error": "internal server error" if fault.status == 500 else "service unavailable",
                               "details": f"injected by the mock ({fault.describe()})"}).encode()  # fmt: skip
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            if fault.status == 503:
                headers.append((b"retry-after", b"1"))
            await send({"type": "http.response.start", "status": fault.status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


class RequestJournal:
    """Records each partner request: time, partner, operation, status, idempotency key, errors. Never the API key."""

    def __init__(self, app: ASGIApp, state: MockState) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.state.journal.enabled or not is_partner_call(scope):
            await self.app(scope, receive, send)
            return
        status = 500
        error_body: list[bytes] = []

        async def observe(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif status in _ERROR_STATUSES and message["type"] == "http.response.body":
                error_body.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, observe)
        finally:
            self._record(scope, status, b"".join(error_body))

    def _record(self, scope: Scope, status: int, error_body: bytes) -> None:
        headers = Headers(scope=scope)
        errors: Any = None
        if error_body:
            try:
                errors = json.loads(error_body).get("details")
            except (ValueError, AttributeError):
                errors = None
        entry = JournalEntry(
            time=self.state.clock(),
            method=scope["method"],
            path=scope["path"],
            status=status,
            operation=partner_operation(scope),
            # The fast path leaves the partner it authenticated; otherwise the key is resolved here (never stored).
            partner_id=scope.get(PARTNER_KEY) or authorized_partner(self.state, headers.get("authorization")),
            idempotency_key=headers.get("idempotency-key") or None,
            errors=errors,
            fault=scope.get(FAULT_KEY),
        )
        with self.state.lock:
            self.state.journal.record(entry)
