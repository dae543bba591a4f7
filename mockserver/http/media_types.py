"""The layer that requires a media type on a body (jafarshop_kit/media_types.py parses them, RFC 9110)."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from jafarshop_kit.media_types import canonical_media_type, parse_media_type
from mockserver.http.body import declares_body
from mockserver.model.domain import UnsupportedMediaType


class RequireContentType:
    """A request with a body must name its media type (stock connexion guesses JSON, then fails), in any case;
    a read's body is ignored.

    Placed after security and before validation, so that 401 still comes first."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in {"GET", "HEAD"}:
            # A body on a read has no meaning: ignore it, rather than let connexion try to parse it as a form (400).
            scope = dict(scope)
            scope["headers"] = [(name, value) for name, value in scope["headers"] if name != b"content-type"]
        elif scope["type"] == "http" and scope["method"] in {"POST", "PUT", "PATCH"}:
            headers = Headers(scope=scope)
            content_type = headers.get("content-type")
            if declares_body(scope["headers"]) and not content_type:
                raise UnsupportedMediaType("the request has a body but no Content-Type; send application/json")
            if content_type:
                parsed = parse_media_type(content_type)
                if parsed is None:
                    raise UnsupportedMediaType(
                        f"the Content-Type {content_type[:100]!r} is not a media type; send application/json"
                    )
                # Media types are case-insensitive and may have whitespace around `;`; connexion's body parsing
                # reads neither, so it gets the one canonical form.
                canonical = canonical_media_type(*parsed).encode("latin-1", "replace")
                scope = dict(scope)
                scope["headers"] = [
                    (name, canonical if name == b"content-type" else value) for name, value in scope["headers"]
                ]
        await self.app(scope, receive, send)
