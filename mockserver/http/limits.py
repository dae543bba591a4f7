"""Size limits of a request (the body, the headers together) and the layer that answers 400 for headers over it."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.model.domain import BadRequest

MAX_BODY_BYTES = 1024 * 1024
MAX_HEADER_BYTES = 32 * 1024  # all request headers together, names and values; nginx's default is 8 KiB a line


def headers_size(scope: Scope) -> int:
    """All request headers together, names and values, in bytes."""
    return sum(len(name) + len(value) for name, value in scope["headers"])


class LimitHeaderSize:
    """Request headers over MAX_HEADER_BYTES in all are 400, before anything else reads them (uvicorn sets no limit
    of its own with httptools: a 1 MB header was accepted)."""

    def __init__(self, app: ASGIApp, max_header_bytes: int = MAX_HEADER_BYTES) -> None:
        self.app, self.max_header_bytes = app, max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (size := headers_size(scope)) > self.max_header_bytes:
            raise BadRequest(
                f"the request headers are {size} bytes; the limit is {self.max_header_bytes}",
                error="request headers too large",
            )
        await self.app(scope, receive, send)
