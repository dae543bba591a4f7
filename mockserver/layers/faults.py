"""The ASGI layer that shapes the next partner requests with the admin's injected faults (model/faults.py holds
them): a delay, a 500 or 503 in the envelope, or a connection dropped before the request is handled or after (the
order made, its answer cut half-way)."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.http.body import read_body, replaying
from mockserver.http.envelope import send_envelope
from mockserver.http.limits import MAX_BODY_BYTES
from mockserver.http.notes import note_delay, note_drop, note_fault, noted_epoch
from mockserver.http.routes import is_partner_call, partner_operation
from mockserver.model.domain import ResetMeanwhile
from mockserver.model.faults import Drop, Fault

if TYPE_CHECKING:
    from mockserver.model.state import MockState


async def drop_connection(send: Send, status: int, body: bytes) -> int:
    """Start the answer `body` and stop half-way (nothing of it when it is empty): the server closes the connection,
    as a crashed upstream would. Returns how many of its bytes were sent."""
    partial = body[: len(body) // 2]
    declared = max(len(body), 64)  # an empty answer still promises a body, so the cut shows
    await send(
        {"type": "http.response.start", "status": status, "headers": [(b"content-length", str(declared).encode())]}
    )
    await send({"type": "http.response.body", "body": partial, "more_body": True})
    return len(partial)


class FaultInjection:
    """Shapes the next partner requests as the admin's faults say. Steps aside at once when there is none."""

    def __init__(self, app: ASGIApp, state: MockState) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.state.has_faults() or not is_partner_call(scope):  # the common case: one truthiness test
            await self.app(scope, receive, send)
            return
        epoch = noted_epoch(scope)
        fault = self.state.take_fault(partner_operation(scope), epoch)
        if fault is None:
            await self.app(scope, receive, send)
            return
        note_fault(scope, fault.describe())
        if fault.delay_ms:
            note_delay(scope, fault.delay_ms)
            receive = await _delay(receive, fault.delay_ms / 1000)
            if not self.state.is_current(epoch):
                # Reset while it waited: it changes nothing of the new state (and is not journalled).
                fenced = ResetMeanwhile()
                await send_envelope(send, fenced.status, fenced.details, error=fenced.error)
                return
        if fault.drop_connection is Drop.BEFORE_CREATE:
            note_drop(scope, Drop.BEFORE_CREATE.value)
            await drop_connection(send, 200, b"")
            note_fault(scope, f"{fault.describe()}, after the status line and 0 bytes")
        elif fault.drop_connection is Drop.AFTER_CREATE:
            await self._drop_after(fault, scope, receive, send)
        elif fault.status:
            await send_envelope(send, fault.status, f"injected by the mock ({fault.describe()})")
        else:
            await self.app(scope, receive, send)

    async def _drop_after(self, fault: Fault, scope: Scope, receive: Receive, send: Send) -> None:
        """Let the request be handled (the order made), then cut its answer half-way."""
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        start = next((m for m in held if m["type"] == "http.response.start"), None)
        body = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
        if not body:  # a 204 (no order made): a body-less answer has nothing to cut, so it goes out whole
            for message in held:
                await send(message)
            delay = f", delay {fault.delay_ms} ms" if fault.delay_ms else ""
            status = start["status"] if start else "answer"
            note_fault(scope, f"fault {fault.id}{delay}, not dropped: a {status} has no body to cut, sent whole")
            return
        note_drop(scope, Drop.AFTER_CREATE.value)
        sent = await drop_connection(send, start["status"] if start else 200, body)
        note_fault(scope, f"{fault.describe()}, after {sent} of {len(body)} bytes")


async def _delay(receive: Receive, seconds: float) -> Receive:
    """Hold the request `seconds` (its body read first, so that a client hanging up meanwhile is seen: the journal
    notes when); then the receive channel that replays the body. The request is handled after the delay even when
    the client left, as a slow server would: the order may exist, and only a retry with the same key can tell."""
    read = await read_body(receive, MAX_BODY_BYTES)
    deadline = time.monotonic() + seconds
    if read.complete:
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = await asyncio.wait_for(receive(), timeout=left)
            except TimeoutError:
                break
            if message["type"] == "http.disconnect":
                read.messages.append(message)  # handed on after the body, as the server would
                break
    if (left := deadline - time.monotonic()) > 0:
        await asyncio.sleep(left)
    return replaying(read.messages, receive)
