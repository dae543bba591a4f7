"""The ASGI layer that records each partner request in the journal (model/journal.py) as it is finally answered."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.http.notes import noted_fault
from mockserver.http.routes import is_partner_call, partner_operation
from mockserver.http.security import authorized_partner
from mockserver.model.domain import idempotency_key
from mockserver.model.journal import JournalEntry

if TYPE_CHECKING:
    from mockserver.model.state import MockState

_ERROR_STATUSES = {400, 413, 415, 422}


class RequestJournal:
    """Records each partner request as it is finally answered. Steps aside at once when the journal is off."""

    def __init__(self, app: ASGIApp, state: MockState) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.state.journal_enabled() or not is_partner_call(scope):
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
            # Resolved by an inner layer already, or here (the key is never stored).
            partner_id=authorized_partner(self.state, scope, headers.get("authorization")),
            idempotency_key=idempotency_key(headers.get("idempotency-key")),
            errors=errors,
            fault=noted_fault(scope),
        )
        self.state.record_request(entry)
