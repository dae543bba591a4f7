"""The fast path answers exactly what connexion answers: same status, headers and bytes, same state, same journal.

Two apps over two identical states (deterministic ids and clock) receive the same requests, one with the fast path
and one without; every answer must be equal. The requests mix what the fast path finishes itself (valid carts,
replays, 409s, other partners' orders) with what it must hand on (bad keys, content types, bodies, headers).
"""

from __future__ import annotations

import copy
import itertools
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from connexion.json_schema import Draft4RequestValidator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from contract_tests import strategies as cs
from mockserver import MockState, create_app
from mockserver.app import PARTNER_SPEC
from mockserver.http.schema_check import compiled_check, submit_body_check, submit_body_schema
from mockserver.model.fixtures import Fixtures
from tests.helpers import KEY_A, KEY_B, SUBMIT

MAPPED = ("JDTQ1834", "JDTQ2001")
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

# --- values that probe the edges of the schema ------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.sampled_from([0, 1, -1, 2.0, 1.5, -0.0, 0.0, 1e300])
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["", " ", "JO", "jo", "ZZ", "Credit Card", "credit card", "2", "\U0001f600", "\u0627"])
    | st.text(max_size=4),
    lambda children: st.lists(children, max_size=2) | st.dictionaries(st.text(max_size=3), children, max_size=2),
    max_leaves=4,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


@st.composite
def mutated_carts(draw: st.DrawFn) -> Any:
    """A valid cart, then 0-3 random changes anywhere in it: a value replaced, a field dropped or added."""
    cart = draw(cs.carts(MAPPED, "YOUR-SKU-123"))
    for _ in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from(list(_paths(cart))))
        if not path:
            return draw(json_values)
        *parents, last = path
        node = cart
        for part in parents:
            node = node[part]
        action = draw(st.sampled_from(["replace", "drop", "add"]))
        if action == "replace":
            node[last] = draw(json_values)
        elif action == "drop" and isinstance(node, dict):
            del node[last]
        elif isinstance(node[last], dict):
            node[last][draw(st.text(max_size=5))] = draw(json_values)
    return cart


# --- the compiled check agrees with connexion's validator ---------------------------------------------------------


def test_the_submit_schema_is_covered_by_the_compiled_check() -> None:
    assert submit_body_check(PARTNER_SPEC) is not None, "the fast path would be off for every submit"


# 800 carts (27 ms each to generate, the check itself 0.3 ms): 1,500 took 40 s of the 2-minute fast tier.
@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=mutated_carts())
def test_compiled_check_agrees_with_connexions_validator(body: Any) -> None:
    schema = submit_body_schema(PARTNER_SPEC)
    reference = Draft4RequestValidator(schema).is_valid(body)
    assert submit_body_check(PARTNER_SPEC)(body) == reference  # type: ignore[misc]


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string", "format": "date-time"},
        {"type": "string", "pattern": "^[A-Z]+$"},
        {"type": "object", "properties": {"at": {"type": "string", "format": "uri"}}},
        {"$ref": "#/components/schemas/Cart"},
        {"type": "string", "x-nullable": True},
        {"allOf": [{"type": "string"}]},
    ],
)
def test_schemas_with_keywords_it_does_not_cover_are_left_to_the_reference(schema: dict[str, Any]) -> None:
    assert compiled_check(schema) is None


def test_values_rust_cannot_hold_are_left_to_the_reference() -> None:
    check = compiled_check({"type": "string"})
    assert check is not None and check("ok") and not check("\ud800")


# --- the two apps answer alike ---------------------------------------------------------------------------------


def _state(fixtures: Fixtures) -> MockState:
    counter = itertools.count(1)
    return MockState(fixtures, clock=lambda: NOW, new_id=lambda: str(uuid.UUID(int=next(counter))))


@pytest.fixture(scope="module")
def twins(default_fixtures: Fixtures) -> Iterator[tuple[TestClient, TestClient, MockState, MockState]]:
    fast_state, reference_state = _state(default_fixtures), _state(default_fixtures)
    with (
        create_app(fast_state, fast_path=True).test_client(raise_server_exceptions=False) as fast,
        create_app(reference_state, fast_path=False).test_client(raise_server_exceptions=False) as reference,
    ):
        yield fast, reference, fast_state, reference_state


AUTHORIZATIONS = [
    f"Bearer {KEY_A}", f"Bearer {KEY_B}", f"bearer {KEY_A}", f"BEARER  {KEY_A} ", f"Bearer\t{KEY_A}", "Bearer",
    "Bearer ", "Bearer wrong-key", f"Basic {KEY_A}", f"{KEY_A}", None,
]  # fmt: skip
CONTENT_TYPES = [
    "application/json", "Application/JSON", "application/json; charset=utf-8", "application/json;charset=UTF-8",
    "application/merge-patch+json", "application/json ;charset=utf-8", 'application/json; charset="UTF-8"',
    "application/json;charset=latin-1", "text/plain", "application/x-www-form-urlencoded", None,
]  # fmt: skip
IDEMPOTENCY_KEYS: list[str | bytes | None] = [
    "k-1",
    "k-2",
    "k-3",
    "",
    " ",
    "x" * 255,
    "x" * 256,
    "tab\tkey",
    b"caf\xe9",
    None,
]
RAW_BODIES = [b"", b"{", b"[]", b"null", b"42", b'{"a": 1, "a": 2}', b"NaN", b"\xff\xfe", b"{}", b" " * 10]


@st.composite
def submits(draw: st.DrawFn) -> tuple[str, str, dict[str, Any], bytes]:
    headers: dict[str, Any] = {}
    header_choices: list[tuple[str, list[Any]]] = [
        ("Authorization", AUTHORIZATIONS),
        ("Content-Type", CONTENT_TYPES),
        ("Idempotency-Key", IDEMPOTENCY_KEYS),
    ]
    for name, choices in header_choices:
        value = draw(st.sampled_from(choices[:2]) | st.sampled_from(choices))  # the usual values half the time
        if value is not None:
            headers[name] = value
    if draw(st.integers(0, 19)) == 0:
        headers["X-Padding"] = "x" * 40_000  # over the 32 KiB header limit
    # Mostly one valid cart, replayed under the same keys; then mutated carts and raw bytes.
    body = draw(
        st.one_of(
            st.just(cs.guide_mixed_cart("JDTQ1834", "YOUR-SKU-123") | {"partner_order_id": "ORDER-1"}),
            cs.carts(MAPPED, "YOUR-SKU-123", mapped=0),
            mutated_carts(),
        )
    )
    raw = draw(st.sampled_from(RAW_BODIES)) if draw(st.integers(0, 9)) == 0 else json.dumps(body).encode()
    query = draw(st.sampled_from(["", "", "", "?debug=1"]))
    return "POST", SUBMIT + query, headers, raw


@st.composite
def reads(draw: st.DrawFn) -> tuple[str, str, dict[str, Any], bytes]:
    # An order created earlier (by index, resolved when sent: the strategy must not depend on the state), in upper
    # case, or ids no order has.
    order_id: Any = draw(
        st.tuples(st.integers(0, 20), st.booleans())
        | st.sampled_from(["00000000-0000-0000-0000-0000000000ff", "not-a-uuid", "", "a/b", "%20"])
    )
    authorization = draw(st.sampled_from(AUTHORIZATIONS[:2]) | st.sampled_from(AUTHORIZATIONS))
    headers = {} if authorization is None else {"Authorization": authorization}
    query = draw(st.sampled_from(["", "", "?x=1"]))
    return "GET", query, headers, json.dumps(order_id).encode()


def _read_url(order_ref: bytes, query: str, known: list[str]) -> str:
    order_id = json.loads(order_ref)
    if isinstance(order_id, list):
        index, upper = order_id
        order_id = known[index % len(known)] if known else "00000000-0000-0000-0000-000000000001"
        order_id = order_id.upper() if upper else order_id
    return f"/v1/orders/{order_id}{query}"


def _answer(client: TestClient, method: str, url: str, headers: dict[str, Any], body: bytes) -> Any:
    response = client.request(method, url, headers=headers, content=body or None)
    kept = sorted((name, value) for name, value in response.headers.items() if name not in {"date", "server"})
    return response.status_code, kept, response.content


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fast_path_answers_exactly_as_connexion(
    twins: tuple[TestClient, TestClient, MockState, MockState], data: st.DataObject
) -> None:
    fast, reference, fast_state, reference_state = twins
    for _ in range(data.draw(st.integers(1, 6))):
        method, url, headers, body = data.draw(st.one_of(submits(), reads()))
        if method == "GET":
            url, body = _read_url(body, url, [order.id for order in fast_state.orders]), b""
        assert _answer(fast, method, url, headers, body) == _answer(reference, method, url, headers, body), (
            method,
            url,
            headers,
            body[:200],
        )
    assert [order.as_json() for order in fast_state.orders] == [order.as_json() for order in reference_state.orders]
    assert list(fast_state.journal.entries) == list(reference_state.journal.entries)


def test_fast_path_really_answers_the_common_requests(state: MockState) -> None:
    """A guard against a fast path that silently hands everything on (still correct, but no longer fast)."""
    reached_connexion: list[str] = []

    class Spy:
        def __init__(self, app: Any) -> None:
            self.app = app

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                reached_connexion.append(f"{scope['method']} {scope['path']}")
            await self.app(scope, receive, send)

    from connexion.middleware import MiddlewarePosition

    app = create_app(state)
    app.add_middleware(Spy, position=MiddlewarePosition.BEFORE_SECURITY)
    cart = cs.guide_mixed_cart("JDTQ1834", "YOUR-SKU-123")
    with app.test_client() as client:
        created = client.post(SUBMIT, json=cart, headers={"Authorization": f"Bearer {KEY_A}", "Idempotency-Key": "a"})
        order_id = created.json()["supplier_order_id"]
        assert client.get(f"/v1/orders/{order_id}", headers={"Authorization": f"Bearer {KEY_A}"}).status_code == 200
        replay = client.post(SUBMIT, json=cart, headers={"Authorization": f"Bearer {KEY_A}", "Idempotency-Key": "a"})
        assert replay.content == created.content
        unmapped = copy.deepcopy(cart)
        unmapped["items"] = unmapped["items"][1:]
        assert client.post(SUBMIT, json=unmapped, headers={"Authorization": f"Bearer {KEY_A}"}).status_code == 204
        assert reached_connexion == []
        # ...and hands on what it does not finish.
        assert client.post(SUBMIT, json=cart, headers={"Authorization": "Bearer nope"}).status_code == 401
        broken_json = {"Authorization": f"Bearer {KEY_A}", "Content-Type": "application/json"}
        assert client.post(SUBMIT, content=b"{", headers=broken_json).status_code == 400
    assert reached_connexion == [f"POST {SUBMIT}", f"POST {SUBMIT}"]
