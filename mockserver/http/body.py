"""A request body: read within a limit (and handed on, replayed, to the next layer), then parsed as strict JSON
(UTF-8, finite numbers, no duplicate keys, no lone surrogate) or refused with a 400 in the API's words."""

from __future__ import annotations

import asyncio
import json
import math
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from starlette.types import Message, Receive, Scope

from mockserver.http.notes import note_body, noted_body
from mockserver.model.domain import BadRequest


@dataclass
class Body:
    """What was read: the messages (to replay), the bytes, and why reading stopped early, if it did."""

    messages: list[Message] = field(default_factory=list)
    raw: bytes = b""
    too_large: bool = False
    disconnected: bool = False

    @property
    def complete(self) -> bool:
        return not (self.too_large or self.disconnected)


def declares_body(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """Whether a request's (lower-case) headers announce a body: a Transfer-Encoding, or a Content-Length other than 0.
    A blank Content-Length announces none, for every layer that asks (the content-type rule, the server's drain)."""
    for name, value in headers:
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() not in (b"", b"0")):
            return True
    return False


async def read_body(receive: Receive, limit: int) -> Body:
    """Read the whole body, stopping as soon as it passes `limit` bytes or the client leaves."""
    body = Body()
    size = 0
    while True:
        message = await receive()
        body.messages.append(message)
        if message["type"] != "http.request":
            body.disconnected = True
            return body
        size += len(message.get("body", b""))
        if size > limit:
            body.too_large = True
            return body
        if not message.get("more_body", False):
            break
    body.raw = b"".join(message.get("body", b"") for message in body.messages)
    return body


def replaying(messages: list[Message], receive: Receive) -> Receive:
    """A receive channel that gives back `messages` first, then the rest from `receive`."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


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


async def parse_json_body_once(scope: Scope, raw: bytes) -> Any:
    """parse_json_body_off_loop, once per request: a layer that gets the bytes another layer parsed (replayed to it)
    gets the body that layer parsed."""
    parsed_already, body = noted_body(scope, raw)
    if not parsed_already:
        body = await parse_json_body_off_loop(raw)
        note_body(scope, raw, body)
    return body


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
