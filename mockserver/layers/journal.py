"""The ASGI layer that records each partner request in the journal (model/journal.py) as it is finally answered,
with the partner_order_id it concerns (the cart's, or the order read's), its request and answer bodies (cut at
MAX_JOURNAL_BODY; the request's own key blanked out) and what became of the answer (sent whole, dropped after N
bytes, or the client hung up after N seconds). A request that began before a reset is not journalled after it
(model/state.py)."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.http.notes import noted_delay, noted_drop, noted_epoch, noted_fault
from mockserver.http.routes import is_partner_call, partner_operation
from mockserver.http.security import authorized_partner
from mockserver.model.credentials import bearer_token
from mockserver.model.domain import idempotency_key
from mockserver.model.journal import JournalEntry, Outcome

if TYPE_CHECKING:
    from mockserver.model.state import MockState

_ERROR_STATUSES = {400, 413, 415, 422}
# Bodies are kept for reading what a client sent (the console shows them); a larger one is cut, and says so.
MAX_JOURNAL_BODY = 16 * 1024
REDACTED = "[API key removed]"


class RequestJournal:
    """Records each partner request as it is finally answered. Steps aside at once when the journal is off."""

    def __init__(self, app: ASGIApp, state: MockState) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.state.journal_enabled() or not is_partner_call(scope):
            await self.app(scope, receive, send)
            return
        status = 500
        sent, answered = _Capture(), _Capture()
        error_body: list[bytes] = []  # whole, unlike the kept copy: the errors the client was told are all read
        started = time.monotonic()
        complete = False
        hung_up_after: float | None = None

        async def read() -> Message:
            nonlocal hung_up_after
            message = await receive()
            if message["type"] == "http.request":
                sent.add(message.get("body", b""))
            elif message["type"] == "http.disconnect" and not complete and hung_up_after is None:
                hung_up_after = round(time.monotonic() - started, 3)
            return message

        async def observe(message: Message) -> None:
            nonlocal status, complete
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                answered.add(message.get("body", b""))
                if status in _ERROR_STATUSES:
                    error_body.append(message.get("body", b""))
                complete = not message.get("more_body", False)
            await send(message)

        try:
            await self.app(scope, read, observe)
        finally:
            self._record(scope, status, b"".join(error_body), sent, answered, hung_up_after)

    def _record(
        self,
        scope: Scope,
        status: int,
        error_body: bytes,
        sent: _Capture,
        answered: _Capture,
        hung_up_after: float | None,
    ) -> None:
        headers = Headers(scope=scope)
        token = bearer_token(headers.get("authorization"))
        errors: Any = None
        if error_body:
            try:
                errors = json.loads(error_body).get("details")
            except (ValueError, AttributeError):
                errors = None
        operation = partner_operation(scope)
        entry = JournalEntry(
            time=self.state.clock(),
            method=scope["method"],
            path=scope["path"],
            status=status,
            operation=operation,
            # Resolved by an inner layer already, or here (the key is never stored).
            partner_id=authorized_partner(self.state, scope, headers.get("authorization")),
            idempotency_key=idempotency_key(headers.get("idempotency-key")),
            partner_order_id=(sent if operation == "submitCart" else answered).partner_order_id(token),
            errors=errors,
            fault=noted_fault(scope),
            request_body=sent.text(token),
            response_body=answered.text(token),
            answer_bytes=answered.size,
            dropped=(dropped := noted_drop(scope)),
            hung_up_after=hung_up_after,
            delay_ms=noted_delay(scope),
        )
        if dropped is not None:
            entry.outcome = Outcome.DROPPED
        elif hung_up_after is not None:
            entry.outcome = Outcome.HUNG_UP
        self.state.record_request(entry, noted_epoch(scope))


class _Capture:
    """The first MAX_JOURNAL_BODY bytes of a body as it streams by."""

    def __init__(self) -> None:
        self.data, self.size = bytearray(), 0

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if len(self.data) < MAX_JOURNAL_BODY:
            self.data.extend(chunk[: MAX_JOURNAL_BODY - len(self.data)])

    def partner_order_id(self, token: str | None) -> str | None:
        """The `partner_order_id` of a whole JSON object body (a cart sent, an order answered), if it has one, the
        request's own bearer token blanked out (an id may quote it, as a body may)."""
        if not self.whole or b"partner_order_id" not in self.data:
            return None
        try:
            body = json.loads(self.data)
        except ValueError:
            return None
        found = body.get("partner_order_id") if isinstance(body, dict) else None
        if not isinstance(found, str) or not found:
            return None
        return found.replace(token, REDACTED) if token else found

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
