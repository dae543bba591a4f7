"""Request validation that keeps the documented statuses: 413 and 400 for the body's form, 422 for its content."""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import re
import sys
from collections.abc import Callable
from typing import Any

import jsonschema_rs
from connexion.exceptions import BadRequestProblem
from connexion.json_schema import Draft4RequestValidator
from connexion.validators import JSONRequestBodyValidator, ParameterValidator
from jsonschema import Draft4Validator, ValidationError
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.domain import BadRequest, PayloadTooLarge, UnsupportedMediaType, ValidationFailed

MAX_BODY_BYTES = 1024 * 1024
MAX_HEADER_BYTES = 32 * 1024  # all request headers together, names and values; nginx's default is 8 KiB a line
MAX_REPORTED_ERRORS = 20


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


class NoSlashRedirect:
    """A path with a trailing slash is 404 in the envelope. starlette's routers would answer 307 to the path without
    it, with a Location built from the request's Host header (undocumented, and an open redirect behind a proxy that
    passes Host on). Swagger UI's own directories (`/ui/`) are left alone."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if len(path) > 1 and path.endswith("/") and not path.endswith("/ui/"):
            raise HTTPException(404)
        await self.app(scope, receive, send)


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
            has_body = headers.get("content-length", "0") != "0" or "transfer-encoding" in headers
            content_type = headers.get("content-type")
            if has_body and not content_type:
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


class EnvelopeParameterValidator(ParameterValidator):  # type: ignore[misc]
    """connexion's parameter checks, answered in the envelope with a message that names the parameter."""

    def validate(self, scope: Scope) -> None:
        try:
            super().validate(scope)
        except BadRequestProblem as exc:
            raise BadRequest(str(exc.detail).split("\n", 1)[0]) from None

    def validate_header_parameter(self, param: dict[str, Any], request: Any) -> str | None:
        error: str | None = super().validate_header_parameter(param, request)
        if error is None:
            return None
        schema = param.get("schema", {})
        rule = f"at most {schema['maxLength']} " if "maxLength" in schema else ""
        return f"invalid {param['name']} header: must be {rule}printable ASCII characters (0x20-0x7E)"


class EnvelopeJSONBodyValidator(JSONRequestBodyValidator):  # type: ignore[misc]
    """Reads the body within a size limit, parses it strictly, and reports every schema error as one 422."""

    max_body_bytes = MAX_BODY_BYTES

    async def wrap_receive(self, receive: Receive, *, scope: Scope) -> tuple[Receive, Scope]:
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            raise PayloadTooLarge(f"the body is {declared} bytes; the limit is {self.max_body_bytes} bytes")
        # Read the body ourselves (stock connexion skips the body when Content-Length is absent, as with chunked
        # transfer), stopping as soon as it passes the limit.
        messages = []
        size = 0
        more_body = True
        while more_body:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise BadRequest("the client disconnected before sending the whole body")
            messages.append(message)
            size += len(message.get("body", b""))
            if size > self.max_body_bytes:
                raise PayloadTooLarge(f"the limit is {self.max_body_bytes} bytes")
            more_body = message.get("more_body", False)
        raw = b"".join(message.get("body", b"") for message in messages)
        if raw.strip() or self._required:  # an optional body may be left out
            body = await parse_json_body_off_loop(raw)
            fast_check = compiled_check(self._schema)
            if fast_check is None or not fast_check(body):
                # The reference validator is pure Python: on a large invalid body (20,000 bad items) it would hold
                # the event loop for seconds. In a thread the loop keeps serving (the GIL switches every 5 ms), and
                # it stops after the errors it reports.
                await asyncio.to_thread(self._validate, body)
        return self._insert_messages(receive, messages=messages), scope

    def _validate(self, body: Any) -> None:
        """Invalid (or a schema the compiled check does not cover): the reference validator finds the errors and
        reports the first MAX_REPORTED_ERRORS, in the body's order; it stops there, however many more there are."""
        validator = Draft4RequestValidator(self._schema, format_checker=Draft4Validator.FORMAT_CHECKER)
        found = list(itertools.islice(validator.iter_errors(body), MAX_REPORTED_ERRORS + 1))
        errors = sorted(found[:MAX_REPORTED_ERRORS], key=_body_order)
        if errors:
            described = [describe_error(error) for error in errors]
            if len(found) > MAX_REPORTED_ERRORS:
                described.append(f"... and more (only the first {MAX_REPORTED_ERRORS} errors are listed)")
            raise ValidationFailed("; ".join(described))


def _body_order(error: ValidationError) -> list[tuple[int, str]]:
    """Errors in the body's order: array indexes as numbers (items[2] before items[10]), then field names."""
    return [(part, "") if isinstance(part, int) else (-1, str(part)) for part in error.absolute_path]


# Keywords whose meaning jsonschema_rs and connexion's Draft4RequestValidator share exactly. A schema using any other
# keyword (format, pattern, $ref, x-nullable, ...) is left to the reference validator alone.
_SAME_KEYWORDS = {
    "type", "properties", "required", "items", "minItems", "maxItems", "minLength", "maxLength", "minimum", "maximum",
    "enum", "nullable", "additionalProperties", "description", "example", "title",
}  # fmt: skip
_compiled: dict[int, tuple[Any, Callable[[Any], bool] | None]] = {}


def compiled_check(schema: dict[str, Any]) -> Callable[[Any], bool] | None:
    """A compiled yes/no check for a request schema, or None when the schema is outside what it covers.

    jsonschema_rs answers "valid?" about 200 times faster than the Python validator (1.8 against 400 microseconds
    for the guide's cart). Only a valid body is decided by it; any doubt goes to the reference validator, which
    also writes the error messages. Its agreement with the reference is a property test (tests/test_fastpath.py).
    """
    entry = _compiled.get(id(schema))
    if entry is None or entry[0] is not schema:  # holding the schema keeps its id from being reused
        entry = (schema, _compile(schema))
        _compiled[id(schema)] = entry
    return entry[1]


def _compile(schema: dict[str, Any]) -> Callable[[Any], bool] | None:
    # connexion resolves $refs in place and appends the components, which only a $ref could use: none is left.
    translated = _without_nullable({key: value for key, value in schema.items() if key != "components"})
    if translated is None:
        return None
    is_valid = jsonschema_rs.Draft4Validator(translated, validate_formats=False).is_valid

    def check(instance: Any) -> bool:
        try:
            return bool(is_valid(instance))
        except (ValueError, TypeError, OverflowError):  # a value Rust cannot hold, such as a lone surrogate
            return False

    return check


def _without_nullable(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` as JSON Schema (null added to type and enum); None for an uncovered keyword."""
    if not isinstance(node, dict) or not set(node) <= _SAME_KEYWORDS:
        return None
    out: dict[str, Any] = {}
    for keyword, value in node.items():
        if keyword == "properties":
            value = {name: _without_nullable(sub) for name, sub in value.items()}
            if None in value.values():
                return None
        elif keyword == "items" or (keyword == "additionalProperties" and isinstance(value, dict)):
            value = _without_nullable(value)
            if value is None:
                return None
        elif keyword == "nullable":
            continue
        out[keyword] = value
    if node.get("nullable") is True:
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Interned keys: an order keeps its cart's objects, and every cart repeats the same few dozen keys.
    obj = {sys.intern(key): value for key, value in pairs}
    if len(obj) != len(pairs):
        seen: set[str] = set()
        duplicate = next(key for key, _ in pairs if key in seen or seen.add(key))  # type: ignore[func-returns-value]
        raise ValueError(f"duplicate key {duplicate[:40]!r} in an object")
    return obj


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


PARSE_IN_THREAD_BYTES = 64 * 1024


async def parse_json_body_off_loop(raw: bytes) -> Any:
    """parse_json_body; a large body in a thread, so that parsing up to a megabyte (about 50 ms, more with many
    objects) does not hold the event loop and every other request."""
    if len(raw) <= PARSE_IN_THREAD_BYTES:
        return parse_json_body(raw)
    return await asyncio.to_thread(parse_json_body, raw)


def parse_json_body(raw: bytes) -> Any:
    """Parse a request body as strict JSON (UTF-8, finite numbers, no duplicate keys) or raise BadRequest."""
    if not raw.strip():
        raise BadRequest("the request body is empty; send the cart as a JSON object", error="malformed request body")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the body is not UTF-8 (byte {exc.start})", error="malformed request body") from None
    try:
        body = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            object_pairs_hook=_reject_duplicate_keys,
        )
        if _SURROGATE_ESCAPE.search(raw) is not None:  # only then can a string hold one
            json.dumps(body, ensure_ascii=False).encode("utf-8")
        return body
    except UnicodeEncodeError:
        raise BadRequest(
            "the body is not valid JSON: a string holds a lone UTF-16 surrogate escape (\\ud800-\\udfff without its "
            "pair), which is no character",
            error="malformed request body",
        ) from None
    except RecursionError:
        raise BadRequest("the body is nested too deeply", error="malformed request body") from None
    except ValueError as exc:  # JSONDecodeError is a ValueError; so are the hooks' refusals and over-long integers
        if "int_max_str_digits" in str(exc) or "integer string conversion" in str(exc):
            raise BadRequest(
                f"a number in the body has too many digits (at most {sys.get_int_max_str_digits()})",
                error="malformed request body",
            ) from None
        raise BadRequest(f"the body is not valid JSON: {exc}", error="malformed request body") from None


def _path(error: ValidationError) -> str:
    path = "body"
    for part in error.absolute_path:
        path = f"{path}[{part}]" if isinstance(part, int) else f"{path}.{part}"
    return path.removeprefix("body.") if path != "body" else path


def _show(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, float) or math.isfinite(value) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return _JSON_TYPES.get(type(value), type(value).__name__)


def describe_error(error: ValidationError) -> str:
    """One schema error as `field.path: what is wrong`."""
    path, value, rule = _path(error), error.instance, error.validator_value
    match error.validator:
        case "required":
            missing = error.message.split("'")[1] if error.message.count("'") >= 2 else "?"
            field = missing if path == "body" else f"{path}.{missing}"
            return f"{field}: is required"
        case "type":
            article = "an" if rule in ("integer", "object", "array") else "a"
            return f"{path}: must be {article} {rule}, not {_json_type(value)}"
        case "minimum":
            return f"{path}: must be >= {rule} (got {_show(value)})"
        case "minLength" if rule == 1:
            return f"{path}: must not be empty"
        case "minLength":
            return f"{path}: must be at least {rule} characters"
        case "maxLength":
            return f"{path}: must be at most {rule} characters"
        case "minItems":
            return f"{path}: must have at least {rule} item{'s' if rule != 1 else ''}"
        case "enum" if len(rule) <= 8:
            return f"{path}: must be one of {', '.join(_show(choice) for choice in rule)} (got {_show(value)})"
        case "enum":
            expected = error.schema.get("description", "an allowed value").rstrip(".")
            return f"{path}: {_show(value)} is not allowed; expected {expected[0].lower()}{expected[1:]}"
        case _:
            return f"{path}: {error.message[:200]}"
