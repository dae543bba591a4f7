"""The certification layer: while a run is armed, records each partner request for the grade and imposes the
run's condition on each new order of its partner (certification.py holds the run). Steps aside when none is armed."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jafarshop_kit.run_record import Auth
from mockserver.http.body import parse_json_body_once, read_body, replaying
from mockserver.http.envelope import send_answer, send_envelope
from mockserver.http.notes import note_drop, note_fault, noted_epoch
from mockserver.http.routes import is_partner_call, partner_operation, partner_routes
from mockserver.http.schema_check import schema_errors, submit_body_schema
from mockserver.http.security import authorized_partner
from mockserver.http.spec import PARTNER_SPEC
from mockserver.layers.faults import drop_connection
from mockserver.model.certification import (
    MAX_RECORDED_BODY,
    Certification,
    Entry,
    Imposed,
    classify_authorization,
    decide,
)
from mockserver.model.domain import BadRequest, IdempotencyConflict, payload_fingerprint
from mockserver.model.faults import Drop

if TYPE_CHECKING:
    from mockserver.model.state import MockState

_ENVELOPES = {409: IdempotencyConflict.error}  # the other statuses' messages are the API's own (envelope.MESSAGES)


class CertificationLayer:
    """Records partner requests and imposes the scenario while a certification is armed; steps aside otherwise."""

    def __init__(self, app: ASGIApp, state: MockState) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        certification = self.state.certification
        if certification is None or not is_partner_call(scope):
            await self.app(scope, receive, send)
            return
        await self._certify(certification, scope, receive, send)

    async def _certify(self, cert: Certification, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        partner = authorized_partner(self.state, scope, headers.get("authorization"))
        if partner is not None and partner != cert.partner_id:
            await self.app(scope, receive, send)  # another partner's traffic on a shared mock: not the client's
            return
        operation = partner_operation(scope)
        entry: Entry = {
            "seq": cert.arrival(),
            "t": cert.elapsed(),
            "method": scope["method"],
            "path": scope["path"],
            "query": scope["query_string"].decode("latin-1"),
            "operation": operation,
            "auth": Auth(classify_authorization(headers.get("authorization"), cert.api_key)),
            "key_in_url": cert.api_key in scope["path"] or cert.api_key in scope["query_string"].decode("latin-1"),
            "content_type": headers.get("content-type"),
            "idempotency_key": headers.get("idempotency-key"),
        }
        if operation == "getOrder":
            entry["order_id"] = scope["path"].removeprefix(partner_routes()["getOrder"].prefix)
        outcome = Imposed.NORMAL
        if operation == "submitCart":
            receive = await self._read_submit(scope, receive, entry)
            pid = entry.get("partner_order_id")
            if pid is not None and entry["auth"] == Auth.OK:
                slot, condition, attempt = cert.condition_for(pid)
                outcome = decide(condition, attempt)
                entry["slot"], entry["condition"], entry["attempt"], entry["imposed"] = (
                    slot,
                    condition,
                    attempt,
                    outcome,
                )
                if outcome != Imposed.NORMAL:
                    note_fault(scope, f"certification: {condition} (order {slot}, attempt {attempt})")
        answer = _Answer(send, cert.elapsed)
        try:
            if (status := outcome.envelope_status) is not None:
                await answer.envelope(status, f"imposed by the certification scenario: {entry.get('condition')}")
            elif outcome == Imposed.STATUS_204:
                await answer.no_content()
            else:
                held = outcome in {Imposed.DROP, Imposed.SLOW}
                await self.app(scope, receive, answer.capture if held else answer.send)
                if outcome == Imposed.DROP:
                    note_drop(scope, Drop.AFTER_CREATE.value)
                    await answer.drop()
                elif outcome == Imposed.SLOW:
                    entry["gave_up_at"] = await answer.slowly(receive, cert.slow_seconds / cert.time_scale)
        finally:
            self._finish(cert, entry, answer, noted_epoch(scope))

    async def _read_submit(self, scope: Scope, receive: Receive, entry: Entry) -> Receive:
        read = await read_body(receive, MAX_RECORDED_BODY)
        body, problem = None, "the body was not read whole"
        if read.complete:
            try:  # parsed as strictly as the API parses it: NaN, duplicate keys, UTF-16 are a 400
                body = await parse_json_body_once(scope, read.raw)
                problem = "the body is not a JSON object"
            except BadRequest as error:
                problem = str(error.details)
        if isinstance(body, dict):
            pid = body.get("partner_order_id")
            entry["partner_order_id"] = pid if isinstance(pid, str) and pid else None
            entry["body_hash"] = payload_fingerprint(body)[:16]
            schema = submit_body_schema(PARTNER_SPEC)
            entry["body_errors"] = await asyncio.to_thread(schema_errors, schema, body, 3)
        else:
            entry["partner_order_id"], entry["body_hash"], entry["body_errors"] = None, None, [problem]
        return replaying(read.messages, receive)

    def _finish(self, cert: Certification, entry: Entry, answer: _Answer, epoch: int | None) -> None:
        # When the answer's last byte left the mock: its clock read before that send, not after it returned (a busy
        # event loop returns late, and the client's wait, which starts when it reads the answer, looked too short).
        entry["t_answer"] = answer.answered_at if answer.answered_at is not None else cert.elapsed()
        entry["status"] = answer.status
        entry["answered"] = answer.complete
        body = answer.json()
        if isinstance(body, dict) and answer.status == 200:
            if entry["operation"] == "submitCart" and isinstance(body.get("supplier_order_id"), str):
                entry["supplier_order_id"] = body["supplier_order_id"]
            if isinstance(body.get("status"), str):
                entry["order_status"] = body["status"]
        self.state.record_certified(cert, entry, epoch)


class _Answer:
    """The answer on its way to the client: passed through, or held back to be dropped or sent late."""

    def __init__(self, send: Send, clock: Callable[[], float]) -> None:
        self._send = send
        self._clock = clock
        self.answered_at: float | None = None  # the clock just before the answer's last message was sent
        self.status = 0
        self.complete = False
        self._held: list[Message] = []
        self._body = bytearray()

    async def send(self, message: Message) -> None:
        self._observe(message)
        last = message["type"] == "http.response.body" and not message.get("more_body", False)
        if last:
            self.answered_at = self._clock()
        await self._send(message)
        if last:
            self.complete = True

    async def capture(self, message: Message) -> None:
        self._observe(message)
        self._held.append(message)

    def _observe(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body" and len(self._body) < 65536:
            self._body.extend(message.get("body", b""))

    def json(self) -> Any:
        try:
            return json.loads(bytes(self._body)) if self._body else None
        except ValueError:
            return None

    async def envelope(self, status: int, details: str) -> None:
        await send_envelope(self.send, status, details, error=_ENVELOPES.get(status))

    async def no_content(self) -> None:
        await send_answer(self.send, 204)

    async def drop(self) -> None:
        """Start the held answer and stop half-way, as a crashed upstream would. Timed after the cut answer is handed
        to the server: the client learns of the drop only when the connection closes, after this returns, so a
        retry that does not wait is not credited with the time the server took to send half an answer."""
        await drop_connection(self._send, self.status, bytes(self._body))
        self.answered_at = self._clock()

    async def slowly(self, receive: Receive, delay: float) -> float | None:
        """Send the held answer after `delay` seconds; the time the client hung up, if it did before that."""
        gave_up: float | None = None
        deadline = time.monotonic() + delay
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = await asyncio.wait_for(receive(), timeout=left)
            except TimeoutError:
                break
            if message["type"] == "http.disconnect":
                gave_up = self._clock()
                break
        if gave_up is None:
            self.answered_at = self._clock()
            for message in self._held:
                await self._send(message)
            self.complete = True
        return gave_up
