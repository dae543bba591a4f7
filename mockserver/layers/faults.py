"""Injected faults: the admin's store of them, and the ASGI layer that shapes the next partner requests with them
(a delay, a 500 or 503 in the envelope, or a connection dropped half-way through the answer)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.http.envelope import send_envelope
from mockserver.http.routes import is_partner_call, partner_operation
from mockserver.layers.journal import FAULT_KEY

if TYPE_CHECKING:
    from mockserver.model.state import MockState


@dataclass
class Fault:
    id: int
    count: int
    remaining: int
    operation: str | None = None
    status: int | None = None
    delay_ms: int = 0
    drop_connection: bool = False

    def as_json(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}

    def describe(self) -> str:
        parts = [f"fault {self.id}"]
        if self.delay_ms:
            parts.append(f"delay {self.delay_ms} ms")
        if self.drop_connection:
            parts.append("dropped connection")
        elif self.status:
            parts.append(f"status {self.status}")
        return ", ".join(parts)


class FaultStore:
    """Faults waiting for partner requests; each matching request uses up one count of the first matching fault."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)

    def add(self, count: int, **options: Any) -> Fault:
        fault = Fault(id=next(self._ids), count=count, remaining=count, **options)
        self._faults.append(fault)
        return fault

    def take(self, operation: str | None) -> Fault | None:
        """The fault that shapes this request, if any, with one count used."""
        for fault in self._faults:
            if fault.operation is None or fault.operation == operation:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self._faults.clear()

    def __bool__(self) -> bool:
        return bool(self._faults)

    def __iter__(self) -> Iterator[Fault]:
        return iter(list(self._faults))


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
        if not self.state.faults or not is_partner_call(scope):  # the common case: one truthiness test
            await self.app(scope, receive, send)
            return
        fault = self.state.take_fault(partner_operation(scope))
        if fault is None:
            await self.app(scope, receive, send)
            return
        scope[FAULT_KEY] = fault.describe()
        if fault.delay_ms:
            await asyncio.sleep(fault.delay_ms / 1000)
        if fault.drop_connection:
            await drop_connection(send)
        elif fault.status:
            headers = {"retry-after": "1"} if fault.status == 503 else None
            await send_envelope(send, fault.status, f"injected by the mock ({fault.describe()})", headers=headers)
        else:
            await self.app(scope, receive, send)
