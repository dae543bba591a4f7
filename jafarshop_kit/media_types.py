"""Media types as RFC 9110 writes them, parsed once: for the mock's layers and for the graders."""

from __future__ import annotations

import re

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
