"""The outermost layer of the partner API: notes the epoch (MockState.epoch, the reset generation) each request
begins in, so that every change the request would make later is refused if a reset came meanwhile (model/state.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.http.notes import note_epoch

if TYPE_CHECKING:
    from mockserver.model.state import MockState


class ResetFence:
    """Notes the epoch each HTTP request begins in: one attribute read and one dict write per request."""

    def __init__(self, app: ASGIApp, state: MockState) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            note_epoch(scope, self.state.epoch)
        await self.app(scope, receive, send)
