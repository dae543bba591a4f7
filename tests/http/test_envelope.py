"""mockserver/http/envelope.py on its own: the envelope's bytes and headers, each error handler's answer, and the
ASGI senders the layers answer with. What each request gets through the app is in tests/http/test_submit_checks.py
and tests/handlers/."""

from __future__ import annotations

import asyncio
import json
import logging
from types import SimpleNamespace
from typing import Any, cast

import pytest
from connexion.exceptions import BadRequestProblem, ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException
from starlette.types import Message

from mockserver.http import envelope as env
from mockserver.model.domain import ApiError, Conflict, PayloadTooLarge, Unauthorized, ValidationFailed


def body_of(response: ConnexionResponse) -> Any:
    return json.loads(response.body)


def request_for(path: str) -> ConnexionRequest:
    return cast(ConnexionRequest, SimpleNamespace(url=SimpleNamespace(path=path)))


# --- the envelope -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("details", "expected"),
    [(None, {"error": "e"}), ("why", {"error": "e", "details": "why"}), (["a"], {"error": "e", "details": ["a"]})],
    ids=["no-details", "text", "list"],
)
def test_the_body_has_the_error_and_details_only_when_there_are_some(details: Any, expected: Any) -> None:
    assert json.loads(env.envelope_body("e", details)) == expected


def test_long_details_are_clipped_and_say_so() -> None:
    details = json.loads(env.envelope_body("e", "x" * (env.MAX_DETAIL_CHARS + 500)))["details"]
    assert details == "x" * env.MAX_DETAIL_CHARS + "... (truncated)"
    assert json.loads(env.envelope_body("e", "x" * env.MAX_DETAIL_CHARS))["details"] == "x" * env.MAX_DETAIL_CHARS


@pytest.mark.parametrize(
    ("status", "header", "value"),
    [(401, "WWW-Authenticate", 'Bearer realm="JafarShop"'), (503, "Retry-After", str(env.RETRY_AFTER_SECONDS))],
)
def test_a_401_and_a_503_always_carry_their_header_unless_one_is_given(status: int, header: str, value: str) -> None:
    assert env.status_headers(status) == {header: value}
    assert env.status_headers(status, {header: "given"}) == {header: "given"}
    assert env.status_headers(400, {"X": "y"}) == {"X": "y"}


def test_an_envelope_response_is_json_with_its_status_headers() -> None:
    response = env.envelope(503, "service unavailable", "later", {"X-Extra": "1"})
    assert response.status_code == 503
    assert response.headers == {"X-Extra": "1", "Retry-After": "1", "Content-Type": "application/json"}
    assert body_of(response) == {"error": "service unavailable", "details": "later"}


def test_each_api_error_status_has_its_class_message() -> None:
    for cls in (Unauthorized, PayloadTooLarge, Conflict, ValidationFailed):
        assert env.MESSAGES[cls.status] == cls.error


# --- the error handlers -------------------------------------------------------------------------------------------


def test_an_api_error_is_answered_with_its_status_message_details_and_headers() -> None:
    response = env.api_error(request_for("/v1/x"), Conflict("taken", headers={"X-Why": "1"}))
    assert (response.status_code, body_of(response)) == (409, {"error": "conflict", "details": "taken"})
    assert response.headers["X-Why"] == "1"
    assert env.api_error(request_for("/"), Unauthorized()).headers["WWW-Authenticate"].startswith("Bearer")


def test_a_405_names_every_documented_method_of_the_path() -> None:
    exc = HTTPException(405, headers={"Allow": "GET"})
    response = env.http_error(
        request_for("/v1/x"), exc, allowed=lambda path: {"POST", "GET"} if path == "/v1/x" else set()
    )
    assert response.headers["Allow"] == "GET, POST"
    assert body_of(response) == {"error": "method not allowed"}  # starlette's "Method Not Allowed" adds nothing


def test_a_405_keeps_starlettes_allow_when_the_path_is_not_documented() -> None:
    response = env.http_error(
        request_for("/elsewhere"), HTTPException(405, headers={"Allow": "GET"}), allowed=lambda _: set()
    )
    assert response.headers["Allow"] == "GET"


def test_starlettes_404_names_the_partner_routes() -> None:
    response = env.http_error(request_for("/v1/nope"), HTTPException(404))
    assert body_of(response) == {
        "error": "not found",
        "details": "no such route; the partner API is POST /v1/carts/submit and GET /v1/orders/{supplier_order_id}",
    }


def test_a_connexion_problem_keeps_its_own_detail() -> None:
    response = env.http_error(request_for("/v1/x"), BadRequestProblem(detail="bad parameter"))
    assert (response.status_code, body_of(response)) == (400, {"error": "bad request", "details": "bad parameter"})
    not_found = env.http_error(request_for("/v1/x"), ProblemException(status=404, detail="no order"))
    assert body_of(not_found) == {"error": "not found", "details": "no order"}


def test_an_unexpected_error_is_a_500_whose_traceback_goes_to_the_log_only(caplog: pytest.LogCaptureFixture) -> None:
    try:
        raise RuntimeError("secret internals")
    except RuntimeError as exc:
        with caplog.at_level(logging.ERROR, logger="mockserver"):
            response = env.unexpected_error(request_for("/v1/x"), exc)
    assert (response.status_code, body_of(response)) == (500, {"error": ApiError.error})
    assert b"secret internals" not in response.body and b"Traceback" not in response.body
    [logged] = caplog.records
    assert logged.exc_info is not None and "RuntimeError" in logged.getMessage()


# --- answers from ASGI layers ---------------------------------------------------------------------------------


def sent(status: int, **kwargs: Any) -> list[Message]:
    messages: list[Message] = []

    async def send(message: Message) -> None:
        messages.append(message)

    asyncio.run(env.send_envelope(send, status, **kwargs))
    return messages


def test_a_layer_sends_the_envelope_with_length_type_and_status_headers() -> None:
    start, body = sent(503, details="injected")
    headers = dict(start["headers"])
    assert start["status"] == 503
    assert json.loads(body["body"]) == {"error": "service unavailable", "details": "injected"}
    assert headers == {
        b"retry-after": b"1",
        b"content-type": b"application/json",
        b"content-length": str(len(body["body"])).encode(),
    }


def test_a_layer_may_name_its_own_error_and_an_unknown_status_says_error() -> None:
    assert json.loads(sent(409, error="idempotency conflict")[1]["body"]) == {"error": "idempotency conflict"}
    assert json.loads(sent(418)[1]["body"]) == {"error": "error"}


def test_an_answer_without_a_body_has_no_content_type() -> None:
    messages: list[Message] = []

    async def send(message: Message) -> None:
        messages.append(message)

    asyncio.run(env.send_answer(send, 204))
    assert messages == [
        {"type": "http.response.start", "status": 204, "headers": []},
        {"type": "http.response.body", "body": b""},
    ]
