"""Media types as RFC 9110 writes them, parsed once for every layer, and the layer that requires one on a body."""

from __future__ import annotations

import re

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.http.body import declares_body
from mockserver.model.domain import UnsupportedMediaType

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_ESSENCE = re.compile(rf"[ \t]*({_TOKEN})/({_TOKEN})[ \t]*")
_PARAMETER = re.compile(rf'[ \t]*;[ \t]*(?:({_TOKEN})=({_TOKEN}|"(?:[^"\\]|\\.)*"))?[ \t]*')


def parse_media_type(value: str) -> tuple[str, dict[str, str]] | None:
    """A Content-Type as RFC 9110 writes it: `type/subtype` (lower case) and its parameters (names in lower case,
    quoted values unquoted, the charset's value in lower case); None when it is not a media type. Whitespace around
    the `;` is allowed, and so is an empty parameter (`application/json;`)."""
    match = _ESSENCE.match(value)
    if match is None:
        return None
    essence = f"{match[1]}/{match[2]}".lower()
    parameters: dict[str, str] = {}
    position = match.end()
    while position < len(value):
        parameter = _PARAMETER.match(value, position)
        if parameter is None or parameter.end() == position:
            return None
        position = parameter.end()
        if parameter[1] is not None:
            name, raw = parameter[1].lower(), parameter[2]
            text = re.sub(r"\\(.)", r"\1", raw[1:-1]) if raw.startswith('"') else raw
            parameters[name] = text.lower() if name == "charset" else text
    return essence, parameters


def canonical_media_type(essence: str, parameters: dict[str, str]) -> str:
    """The parsed media type written back in one form, the one connexion's own header parsing reads."""
    return essence + "".join(f";{name}={_quoted(value)}" for name, value in parameters.items())


def _quoted(value: str) -> str:
    if re.fullmatch(_TOKEN, value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def is_json_content_type(value: str | None) -> bool:
    """Whether a Content-Type says application/json, whatever its parameters."""
    parsed = parse_media_type(value or "")
    return parsed is not None and parsed[0] == "application/json"


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
