"""The request journal: the last partner requests (time, partner, operation, status, Idempotency-Key, the errors the
client was told, the fault that shaped the answer), and the ASGI layer that records them. Never an API key."""

from __future__ import annotations

import json
from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.http.routes import is_partner_call, partner_operation
from mockserver.http.security import authorized_partner
from mockserver.model.domain import format_timestamp

if TYPE_CHECKING:
    from mockserver.model.state import MockState

# Scope keys the inner layers leave for the journal: the fault that shaped the answer, the partner already resolved.
FAULT_KEY = "jafarshop.fault"
PARTNER_KEY = "jafarshop.partner"
_ERROR_STATUSES = {400, 413, 415, 422}


@dataclass
class JournalEntry:
    time: datetime
    method: str
    path: str
    status: int
    operation: str | None
    partner_id: str | None
    idempotency_key: str | None
    errors: Any = None
    fault: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "time": format_timestamp(self.time)}


@dataclass
class Journal:
    """The last `size` partner requests, newest last. Holds no API key: only the partner id the key resolved to."""

    size: int = 1000
    entries: deque[JournalEntry] = field(init=False)

    def __post_init__(self) -> None:
        self.entries = deque(maxlen=max(self.size, 0))

    @property
    def enabled(self) -> bool:
        return self.size > 0

    def record(self, entry: JournalEntry) -> None:
        self.entries.append(entry)

    def query(self, partner_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Newest first, optionally one partner's."""
        found = []
        for entry in reversed(self.entries):
            if partner_id is None or entry.partner_id == partner_id:
                found.append(entry.as_json())
                if len(found) >= limit:
                    break
        return found

    def clear(self) -> None:
        self.entries.clear()


class RequestJournal:
    """Records each partner request as it is finally answered. Steps aside at once when the journal is off."""

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
        self.state.record_request(entry)
