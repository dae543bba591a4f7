"""One place that turns every failure into the documented envelope {"error": ..., "details": ...}."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from connexion import AsyncApp
from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException
from starlette.types import Send

from mockserver.http.routes import partner_routes
from mockserver.model.domain import (
    AccessDenied,
    ApiError,
    BadRequest,
    Conflict,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
)

logger = logging.getLogger("mockserver")

# The short message of each status: the ApiError class's own where the mock raises one for it, and these for the
# statuses that reach us from connexion or starlette, or from a layer that answers by itself.
MESSAGES: dict[int, str] = {
    **{cls.status: cls.error for cls in (ApiError, BadRequest, Unauthorized, AccessDenied, NotFound, Conflict,
                                         PayloadTooLarge, UnsupportedMediaType, ValidationFailed)},
    405: "method not allowed",
    503: "service unavailable",
}  # fmt: skip
# Details are for people; a hostile request must not make them (or the log line) megabytes long.
MAX_DETAIL_CHARS = 2000
# A 503 says when to come back: the first step of the guide's backoff. Every 503 (a full order store, an injected
# fault, a certification condition) goes through status_headers, so none lacks it.
RETRY_AFTER_SECONDS = 1


def envelope(status: int, error: str, details: Any = None, headers: dict[str, str] | None = None) -> ConnexionResponse:
    """A response in the documented error envelope, with the headers its status always carries."""
    return ConnexionResponse(
        status_code=status,
        body=envelope_body(error, details),
        mimetype="application/json",
        content_type="application/json",
        headers=status_headers(status, headers),
    )


def envelope_body(error: str, details: Any = None) -> bytes:
    """The envelope's bytes: {"error": ..., "details": ...}, details left out when there are none."""
    payload: dict[str, Any] = {"error": error}
    if details is not None:
        payload["details"] = _clip(details)
    return json.dumps(payload).encode("utf-8")


async def send_answer(send: Send, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
    """Send a whole answer from an ASGI layer: JSON when there is a body (the API has no other kind)."""
    raw = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in (headers or {}).items()]
    if body:
        raw += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def send_envelope(
    send: Send, status: int, details: Any = None, *, error: str | None = None, headers: dict[str, str] | None = None
) -> None:
    """Send an error answer in the envelope from an ASGI layer (faults, certification): the status's message unless
    `error` says otherwise."""
    body = envelope_body(error or MESSAGES.get(status, "error"), details)
    await send_answer(send, status, body, status_headers(status, headers))


def _clip(details: Any) -> Any:
    if isinstance(details, str) and len(details) > MAX_DETAIL_CHARS:
        return details[:MAX_DETAIL_CHARS] + "... (truncated)"
    return details


def status_headers(status: int, headers: dict[str, str] | None = None) -> dict[str, str]:
    """`headers` with those an error status always carries: a 401 its Bearer challenge, a 503 its Retry-After."""
    headers = dict(headers or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="JafarShop"')
    elif status == 503:
        headers.setdefault("Retry-After", str(RETRY_AFTER_SECONDS))
    return headers


def api_error(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """Errors the mock raises itself."""
    assert isinstance(exc, ApiError)
    return envelope(exc.status, exc.error, exc.details, report_api_error(exc))


def report_api_error(exc: ApiError) -> dict[str, str]:
    """Log an error the mock raised itself; return the headers its answer carries."""
    logger.info("%s %s", exc.status, exc.error)
    return status_headers(exc.status, exc.headers)


def http_error(request: ConnexionRequest, exc: Exception, allowed: AllowedMethods | None = None) -> ConnexionResponse:
    """connexion problems (401 from security, 400/415 from validation) and starlette's 404/405."""
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    headers = dict(exc.headers or {})
    if status == 405 and allowed is not None:
        # connexion routes each operation on its own, so starlette's Allow names only one of a path's methods.
        methods = allowed(request.url.path)
        if methods:
            headers["Allow"] = ", ".join(sorted(methods))
    if status == 404 and not isinstance(exc, ProblemException):
        detail: Any = f"no such route; the partner API is {partner_api_routes()}"
    else:
        detail = exc.detail if exc.detail else None
    if detail == _default_reason(status):
        detail = None
    return envelope(status, MESSAGES.get(status, "error"), detail, headers)


@functools.cache
def partner_api_routes() -> str:
    """The partner API's routes, as a 404 names them: "POST /v1/carts/submit and GET /v1/orders/{...}"."""
    return " and ".join(f"{route.method} {route.path}" for route in partner_routes().routes)


def _default_reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def unexpected_error(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """Anything else: a 500 in the envelope; the traceback goes to the log, never to the client."""
    return envelope(500, report_unexpected_error(exc))


def report_unexpected_error(exc: Exception) -> str:
    """Log an unexpected failure with its traceback; return the envelope's error, which carries neither."""
    logger.error("unhandled error: %s", type(exc).__name__, exc_info=exc)
    return MESSAGES[500]


AllowedMethods = Callable[[str], set[str]]


def install_error_handlers(app: AsyncApp, allowed: AllowedMethods | None = None) -> None:
    """Map every failure the app can raise to the envelope."""
    app.add_error_handler(ApiError, api_error)
    app.add_error_handler(ProblemException, functools.partial(http_error, allowed=allowed))
    app.add_error_handler(HTTPException, functools.partial(http_error, allowed=allowed))
    app.add_error_handler(Exception, unexpected_error)
