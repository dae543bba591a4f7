"""mockserver/http/validation.py on its own: the body validator's limit (declared and read), its strict parse, its
one 422 naming the fields, an optional body left out, the bytes replayed to the app; the parameter validator's 400
naming the header. What a request gets through the app is in tests/http/test_submit_checks.py."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.types import Message, Receive

from mockserver.http.validation import EnvelopeJSONBodyValidator, EnvelopeParameterValidator
from mockserver.model.domain import BadRequest, PayloadTooLarge, ValidationFailed

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "count"],
    "properties": {"name": {"type": "string", "minLength": 1}, "count": {"type": "integer", "minimum": 1}},
}


class SmallValidator(EnvelopeJSONBodyValidator):
    max_body_bytes = 100


def validator(required: bool = True) -> SmallValidator:
    return SmallValidator(schema=SCHEMA, required=required, encoding="utf-8", strict_validation=False)


def receive_of(*chunks: bytes, disconnect: bool = False) -> Receive:
    messages: list[Message] = [
        {"type": "http.request", "body": chunk, "more_body": n < len(chunks) - 1} for n, chunk in enumerate(chunks)
    ]
    if disconnect:
        messages[-1]["more_body"] = True
        messages.append({"type": "http.disconnect"})

    async def receive() -> Message:
        return messages.pop(0)

    return receive


def scope_with(content_length: int | None = None) -> dict[str, Any]:
    headers = [] if content_length is None else [(b"content-length", str(content_length).encode())]
    return {"type": "http", "method": "POST", "path": "/v1/x", "headers": headers}


def validate(receive: Receive, scope: dict[str, Any] | None = None, required: bool = True) -> bytes:
    """Run the validator; the body the app then reads."""

    async def run() -> bytes:
        replayed, _ = await validator(required).wrap_receive(receive, scope=scope or scope_with())
        body: bytes = b""
        while True:
            message = await replayed()
            body += bytes(message.get("body", b""))
            if not message.get("more_body", False):
                return body

    return asyncio.run(run())


def test_a_valid_body_reaches_the_app_byte_for_byte_even_in_chunks() -> None:
    raw = b'{"name": "a", "count": 2}'
    assert validate(receive_of(raw[:10], raw[10:])) == raw


def test_a_declared_length_over_the_limit_is_413_before_a_byte_is_read() -> None:
    def unread() -> Any:
        raise AssertionError("the body was read")

    with pytest.raises(PayloadTooLarge) as raised:
        validate(unread, scope_with(content_length=101))
    assert raised.value.details == "the body is 101 bytes; the limit is 100 bytes"


def test_a_body_that_grows_past_the_limit_without_a_length_is_413() -> None:
    with pytest.raises(PayloadTooLarge) as raised:
        validate(receive_of(b" " * 60, b" " * 60))
    assert raised.value.details == "the limit is 100 bytes"


def test_a_body_of_exactly_the_limit_is_read() -> None:
    raw = b'{"name": "a", "count": 2}'.ljust(100)
    assert validate(receive_of(raw)) == raw


def test_a_client_gone_before_the_end_of_its_body_is_400() -> None:
    with pytest.raises(BadRequest) as raised:
        validate(receive_of(b'{"name":', disconnect=True))
    assert "disconnected" in str(raised.value.details)


@pytest.mark.parametrize("raw", [b"", b"  ", b"{nope", b'{"name": "a", "name": "b", "count": 1}'])
def test_a_required_body_that_is_not_strict_json_is_400(raw: bytes) -> None:
    with pytest.raises(BadRequest) as raised:
        validate(receive_of(raw))
    assert raised.value.error == "malformed request body"


def test_an_optional_body_may_be_left_out_but_not_sent_broken() -> None:
    assert validate(receive_of(b""), required=False) == b""
    with pytest.raises(BadRequest):
        validate(receive_of(b"{nope"), required=False)


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"count": 1}, ["name: is required"]),
        ({"name": "", "count": 0}, ["name: must not be empty", "count: must be >= 1"]),
        ([], ["must be an object"]),
    ],
)
def test_a_body_against_its_schema_is_one_422_naming_every_field(body: Any, named: list[str]) -> None:
    with pytest.raises(ValidationFailed) as raised:
        validate(receive_of(json.dumps(body).encode()))
    details = str(raised.value.details)
    assert all(part in details for part in named), details


def test_a_422_lists_the_first_errors_and_says_there_are_more() -> None:
    many = SmallValidator(
        schema={"type": "array", "items": {"type": "integer"}}, required=True, encoding="utf-8", strict_validation=False
    )
    with pytest.raises(ValidationFailed) as raised:
        many._validate(["x"] * 50)
    details = str(raised.value.details)
    assert details.startswith("body[0]: must be an integer, not a string; body[1]: ")
    assert details.endswith("; ... and more (only the first 20 errors are listed)")
    assert "body[19]" in details and "body[20]" not in details


# --- the parameter validator ----------------------------------------------------------------------------------

KEY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "schema": {"type": "string", "maxLength": 255, "pattern": "^[\\x20-\\x7E]*$"},
}


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("k" * 255, None),
        ("~!@# $", None),
        ("k" * 256, "invalid Idempotency-Key header: must be at most 255 printable ASCII characters (0x20-0x7E)"),
        ("a\tb", "invalid Idempotency-Key header: must be at most 255 printable ASCII characters (0x20-0x7E)"),
    ],
)
def test_a_header_parameter_error_names_the_header_and_its_rule(value: str, error: str | None) -> None:
    checker = EnvelopeParameterValidator([KEY_PARAMETER], uri_parser=None)
    assert (
        checker.validate_header_parameter(KEY_PARAMETER, SimpleNamespace(headers={"Idempotency-Key": value})) == error
    )


def test_a_header_without_a_length_rule_names_only_the_characters() -> None:
    parameter = {"name": "X-Thing", "in": "header", "schema": {"type": "string", "pattern": "^[a-z]*$"}}
    checker = EnvelopeParameterValidator([parameter], uri_parser=None)
    error = checker.validate_header_parameter(parameter, SimpleNamespace(headers={"X-Thing": "ABC"}))
    assert error == "invalid X-Thing header: must be printable ASCII characters (0x20-0x7E)"
