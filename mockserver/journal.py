"""The request journal: the last partner requests (time, partner, operation, status, Idempotency-Key, the errors the
client was told, the fault that shaped the answer, the request and answer bodies), and the ASGI layer that records
them. Never an API key: the key is resolved to its partner, and a body that quotes it has it blanked out."""

from __future__ import annotations

import json
from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.auth import authorized_partner, bearer_token
from mockserver.domain import format_timestamp
from mockserver.routes import is_partner_call, partner_operation

if TYPE_CHECKING:
    from mockserver.state import MockState

# Scope keys the inner layers leave for the journal: the fault that shaped the answer, the partner already resolved.
FAULT_KEY = "jafarshop.fault"
PARTNER_KEY = "jafarshop.partner"
_ERROR_STATUSES = {400, 413, 415, 422}
# Bodies are kept for reading what a client sent (the console shows them); a larger one is cut, and says so.
MAX_JOURNAL_BODY = 16 * 1024
REDACTED = "[API key removed]"


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
    request_body: str | None = None
    response_body: str | None = None
    seq: int = 0

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "time": format_timestamp(self.time)}


@dataclass
class Journal:
    """The last `size` partner requests, newest last. Holds no API key: only the partner id the key resolved to."""

    size: int = 1000
    entries: deque[JournalEntry] = field(init=False)
    _recorded: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.entries = deque(maxlen=max(self.size, 0))

    @property
    def enabled(self) -> bool:
        return self.size > 0

    def record(self, entry: JournalEntry) -> None:
        self._recorded += 1
        entry.seq = self._recorded  # numbers survive the bound, so a reader can tell new entries from old
        self.entries.append(entry)

    def query(
        self, partner_id: str | None = None, limit: int = 100, operation: str | None = None, status: int | None = None
    ) -> list[dict[str, Any]]:
        """Newest first, optionally one partner's, one operation's, one status's."""
        found = []
        for entry in reversed(self.entries):
            if (
                (partner_id is None or entry.partner_id == partner_id)
                and (operation is None or entry.operation == operation)
                and (status is None or entry.status == status)
            ):
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
        sent, answered = _Capture(), _Capture()
        error_body: list[bytes] = []  # whole, unlike the kept copy: the errors the client was told are all read

        async def read() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                sent.add(message.get("body", b""))
            return message

        async def observe(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                answered.add(message.get("body", b""))
                if status in _ERROR_STATUSES:
                    error_body.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, read, observe)
        finally:
            self._record(scope, status, b"".join(error_body), sent, answered)

    def _record(self, scope: Scope, status: int, error_body: bytes, sent: _Capture, answered: _Capture) -> None:
        headers = Headers(scope=scope)
        token = bearer_token(headers.get("authorization"))
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
            request_body=sent.text(token),
            response_body=answered.text(token),
        )
        self.state.record_request(entry)


class _Capture:
    """The first MAX_JOURNAL_BODY bytes of a body as it streams by."""

    def __init__(self) -> None:
        self.data, self.size = bytearray(), 0

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if len(self.data) < MAX_JOURNAL_BODY:
            self.data.extend(chunk[: MAX_JOURNAL_BODY - len(self.data)])

    @property
    def whole(self) -> bool:
        return self.size == len(self.data)

    def text(self, token: str | None) -> str | None:
        """The body as text (None when empty), the request's own bearer token blanked out, a cut one marked."""
        if not self.size:
            return None
        text = self.data.decode("utf-8", errors="replace")
        if token:
            text = text.replace(token, REDACTED)
        return text if self.whole else f"{text}\n[... {self.size - len(self.data)} more bytes not kept]"
