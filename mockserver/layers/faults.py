"""The ASGI layer that shapes the next partner requests with the admin's injected faults (model/faults.py holds
them): a delay, a 500 or 503 in the envelope, or a connection dropped half-way through the answer."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.http.envelope import send_envelope
from mockserver.http.notes import note_fault
from mockserver.http.routes import is_partner_call, partner_operation

if TYPE_CHECKING:
    from mockserver.model.state import MockState


async def drop_connection(
    send: Send, status: int = 200, declared: int = 64, partial: bytes = b'{"supplier_order_'
) -> None:
    """Start an answer and stop half-way: the server closes the connection, as a crashed upstream would."""
    await send(
        {"type": "http.response.start", "status": status, "headers": [(b"content-length", str(declared).encode())]}
    )
    await send({"type": "http.response.body", "body": partial, "more_body": True})


class FaultInjection:
    """Shapes the next partner requests as the admin's faults say. Steps aside at once when there is none."""

    def __init__(self, app: ASGIApp, state: MockState) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.state.has_faults() or not is_partner_call(scope):  # the common case: one truthiness test
            await self.app(scope, receive, send)
            return
        fault = self.state.take_fault(partner_operation(scope))
        if fault is None:
            await self.app(scope, receive, send)
            return
        note_fault(scope, fault.describe())
        if fault.delay_ms:
            await asyncio.sleep(fault.delay_ms / 1000)
        if fault.drop_connection:
            await drop_connection(send)
        elif fault.status:
            await send_envelope(send, fault.status, f"injected by the mock ({fault.describe()})")
        else:
            await self.app(scope, receive, send)
