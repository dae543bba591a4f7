"""Alternative but correct targets: each decides silences of the guide otherwise than the mock, and the contract
suite must pass every one of them."""

from __future__ import annotations

import hashlib
import json
import uuid
from http import HTTPStatus
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver import MockState, create_app
from mockserver.model.fixtures import DEFAULT_FIXTURES, load_fixtures
from tests.broken_targets.asgi import (
    JSON_HEADERS,
    RewriteResponses,
    answer,
    canonical_json,
    header,
    is_order_read,
    is_partner_api,
    is_uuid,
    keyed_submit,
    mock_with_responses,
    read_all,
    replay,
)
from tests.broken_targets.targets import Alternative

SIXTEEN_MIB = 16 * 1024 * 1024


def _upper_case_ids(_scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    if status == 200 and isinstance(body, dict):
        for field in ("supplier_order_id", "id"):
            if isinstance(body.get(field), str):
                body[field] = body[field].upper()
    return status, body


def _richer_answers(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    """Errors worded otherwise, with details as an object and extra fields; extra fields in every answer."""
    if status >= 400 and isinstance(body, dict):
        return status, {
            "error": f"{status} {HTTPStatus(status).phrase}",
            "details": {"reason": body.get("error"), "explanation": body.get("details"), "docs": "https://x.test/e"},
            "code": f"E{status}",
            "request_id": str(uuid.uuid4()),
        }
    if status == 200 and isinstance(body, dict):
        body["request_id"] = str(uuid.uuid4())
        if is_order_read(scope):
            body["currency"] = "JOD"
            body["notes"] = None
            body["shipping_address"]["country_name"] = "Jordan"
            for item in body["items"]:
                item["fulfilled_by"] = "jafarshop" if item["is_supplier_item"] else "partner"
    return status, body


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def _omit_null_fields(_scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    return status, _without_nulls(body)


def _not_found_for_unsupported_methods(_scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    return (404, {"error": "not found"}) if status == 405 else (status, body)


def _unsupported_media_type_is_400(_scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    return (400 if status == 415 else status), body


class FormatErrorsAre400:
    """Answers 400 ("check request format") where the mock answers 404 or 422: an order id that is not a UUID, and
    JSON that is not an object. Authentication still comes first."""

    def __init__(self, state: MockState, app: ASGIApp | None = None) -> None:
        self.state, self.app = state, app if app is not None else create_app(state)

    def _authenticated(self, scope: Scope) -> bool:
        scheme, _, key = (header(scope, b"authorization") or "").partition(" ")
        return scheme == "Bearer" and self.state.partners.authenticate(key) is not None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if is_partner_api(scope) and self._authenticated(scope):
            if is_order_read(scope) and not is_uuid(str(scope["path"]).rsplit("/", 1)[-1]):
                await answer(send, 400, {"error": "bad request", "details": "the order id must be a UUID"})
                return
            length = header(scope, b"content-length") or ""
            is_json = (header(scope, b"content-type") or "").startswith("application/json")
            if scope["method"] == "POST" and is_json and length.isdigit() and int(length) <= 1024 * 1024:
                raw = await read_all(receive)
                try:
                    parsed = json.loads(raw)
                except (ValueError, RecursionError):
                    parsed = {}
                if not isinstance(parsed, dict):
                    await answer(send, 400, {"error": "bad request", "details": "the body must be a JSON object"})
                    return
                receive = replay(raw, receive)
        await self.app(scope, receive, send)


CART_FIELDS: dict[str, frozenset[str]] = {
    "": frozenset({"partner_order_id", "items", "customer", "shipping", "totals", "payment_status", "payment_method"}),
    "items": frozenset({"sku", "title", "price", "quantity", "product_url"}),
    "customer": frozenset({"name", "phone"}),
    "shipping": frozenset({"street", "city", "state", "postal_code", "country"}),
    "totals": frozenset({"subtotal", "tax", "shipping", "total"}),
}


def _unknown_fields(cart: dict[str, Any]) -> list[str]:
    found = [name for name in cart if name not in CART_FIELDS[""]]
    for part in ("customer", "shipping", "totals"):
        if isinstance(cart.get(part), dict):
            found += [f"{part}.{name}" for name in cart[part] if name not in CART_FIELDS[part]]
    items = cart.get("items")
    for index, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, dict):
            found += [f"items[{index}].{name}" for name in item if name not in CART_FIELDS["items"]]
    return found


class RefusesUnknownFields(FormatErrorsAre400):
    """A strict binder (Go's DisallowUnknownFields, pydantic's extra="forbid"): a cart with a field the guide does not
    list is 422 (the mock accepts and ignores it)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        length = header(scope, b"content-length") or ""
        is_json = (header(scope, b"content-type") or "").startswith("application/json")
        if (
            is_partner_api(scope)
            and scope["method"] == "POST"
            and self._authenticated(scope)
            and is_json
            and length.isdigit()
            and int(length) <= 1024 * 1024
        ):
            raw = await read_all(receive)
            try:
                parsed = json.loads(raw)
            except (ValueError, RecursionError):
                parsed = None
            unknown = _unknown_fields(parsed) if isinstance(parsed, dict) else []
            if unknown:
                await answer(send, 422, {"error": "validation failed", "details": f"unknown fields: {unknown}"})
                return
            receive = replay(raw, receive)
        await self.app(scope, receive, send)


class RecordsRejectedSubmissions:
    """Keeps the answer to a submission refused by validation (400, 422) under its Idempotency-Key, as stores that
    record every first answer do: the same key and payload get the same refusal again, another payload 409."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.refused: dict[tuple[str, str], tuple[str, int, bytes]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        keyed = keyed_submit(scope)
        if keyed is None:
            await self.app(scope, receive, send)
            return
        raw = await read_all(receive)
        fingerprint = canonical_json(raw).hex()
        refused = self.refused.get(keyed)
        if refused is not None:
            if refused[0] == fingerprint:
                await send({"type": "http.response.start", "status": refused[1], "headers": JSON_HEADERS})
                await send({"type": "http.response.body", "body": refused[2]})
            else:
                await answer(send, 409, {"error": "idempotency key conflict: same key used with different payload"})
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                chunks.append(message.get("body", b""))
                if start["status"] in (400, 422) and not message.get("more_body"):
                    self.refused[keyed] = (fingerprint, start["status"], b"".join(chunks))
            await send(message)

        await self.app(scope, replay(raw, receive), capture)


class AnyIdempotencyKey:
    """Takes an Idempotency-Key of any length and characters (the mock: 1-255 printable ASCII), by digest."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if is_partner_api(scope):
            headers = [
                (
                    name,
                    hashlib.sha256(value).hexdigest().encode()
                    if name.lower() == b"idempotency-key" and value
                    else value,
                )
                for name, value in scope["headers"]
            ]
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)


ALTERNATIVES = [
    Alternative(
        "upper-case-order-ids",
        "order ids answered in upper case (UUIDs are case-insensitive)",
        mock_with_responses(_upper_case_ids),
        ("test_orders", "test_idempotency", "test_lifecycle", "test_auth", "test_spec_conformance"),
    ),
    Alternative(
        "richer-answers",
        "errors worded otherwise, details an object, extra fields in every answer, 401 without WWW-Authenticate",
        lambda: RewriteResponses(create_app(), _richer_answers, frozenset({b"www-authenticate"})),
    ),
    Alternative(
        "omits-null-fields",
        "optional fields that are null are left out of answers",
        mock_with_responses(_omit_null_fields),
        ("test_orders", "test_idempotency", "test_lifecycle", "test_spec_conformance"),
    ),
    Alternative(
        "16-mib-body-limit",
        "bodies up to 16 MiB are read",
        lambda: create_app(max_body_bytes=SIXTEEN_MIB),
        ("test_oversized_body", "test_hostile_body"),
    ),
    Alternative(
        "format-errors-are-400",
        "400 for an order id that is not a UUID, for JSON that is not an object and for a Content-Type not JSON",
        lambda: RewriteResponses(
            FormatErrorsAre400(MockState(load_fixtures(DEFAULT_FIXTURES))), _unsupported_media_type_is_400
        ),
        ("not_a_uuid", "not_an_object", "another_media_type", "test_security", "test_errors", "test_spec_conformance"),
    ),
    Alternative(
        "refuses-unknown-fields",
        "a cart with a field the guide does not list is 422 (the mock ignores it)",
        lambda: RefusesUnknownFields(MockState(load_fixtures(DEFAULT_FIXTURES))),
        ("test_validation", "test_orders", "test_security", "test_spec_conformance"),
    ),
    Alternative(
        "records-refused-submissions",
        "a submission refused by validation keeps its Idempotency-Key (its refusal is replayed; other payloads 409)",
        lambda: RecordsRejectedSubmissions(create_app()),
        ("test_idempotency", "test_validation", "test_security", "test_spec_conformance"),
    ),
    Alternative(
        "404-for-unsupported-methods",
        "an undocumented method is 404 (no Allow header), as routers without method matching answer",
        lambda: RewriteResponses(create_app(), _not_found_for_unsupported_methods, frozenset({b"allow"})),
        ("test_errors", "test_spec_conformance"),
    ),
    Alternative(
        "any-idempotency-key",
        "an Idempotency-Key of any length and characters is taken",
        lambda: AnyIdempotencyKey(create_app()),
        ("test_idempotency", "test_spec_conformance"),
    ),
]


def _every_alternative() -> ASGIApp:
    """Every alternative above at once, over one mock: the choices are independent, so their sum is correct too."""
    state = MockState(load_fixtures(DEFAULT_FIXTURES))
    app: ASGIApp = create_app(state, max_body_bytes=SIXTEEN_MIB)
    app = RefusesUnknownFields(state, app)
    app = RewriteResponses(FormatErrorsAre400(state, app), _unsupported_media_type_is_400)
    app = RecordsRejectedSubmissions(AnyIdempotencyKey(app))
    rewrites = (_not_found_for_unsupported_methods, _richer_answers, _omit_null_fields, _upper_case_ids)

    def every_rewrite(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
        for rewrite in rewrites:
            status, body = rewrite(scope, status, body)
        return status, body

    return RewriteResponses(app, every_rewrite, frozenset({b"www-authenticate", b"allow"}))


EVERY_ALTERNATIVE = Alternative("every-alternative", "every alternative above at once", _every_alternative, touches=())
