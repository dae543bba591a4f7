"""The mock on a real socket under load and hostile input: nothing lost, duplicated or leaked, never a 500 or a hang.

Each test runs against both paths of the mock: the fast path (as `make mock` serves) and connexion alone.
`pytest tests/test_load.py -v` lists every hostile input tried with the status it must get.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from mockserver import MockState, create_app
from mockserver.fixtures import Fixtures
from tests.conftest import KEY_A, KEY_B, LiveServer, load_cart, serve

pytestmark = pytest.mark.live
CART = json.dumps(load_cart("guide-mixed-cart")).encode()


@pytest.fixture(params=[True, False], ids=["fast-path", "connexion-only"])
def server(request: pytest.FixtureRequest, default_fixtures: Fixtures) -> Iterator[LoadTarget]:
    state = MockState(default_fixtures)
    with serve(create_app(state, fast_path=request.param)) as url:
        yield LoadTarget(url=url, state=state, fast_path=request.param)


@dataclass
class LoadTarget(LiveServer):
    fast_path: bool = True


def _client(limit: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(limits=httpx.Limits(max_connections=limit), timeout=30)


def _headers(key: str = KEY_A, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Content-Type": "application/json", **extra}


# --- concurrency ---------------------------------------------------------------------------------------------------


def test_200_concurrent_submits_with_one_key_make_one_order_and_identical_answers(server: LoadTarget) -> None:
    async def run() -> list[httpx.Response]:
        async with _client(200) as client:
            headers = _headers(**{"Idempotency-Key": "same-key-200"})
            return await asyncio.gather(
                *(client.post(f"{server.url}/carts/submit", content=CART, headers=headers) for _ in range(200))
            )

    answers = asyncio.run(run())
    assert {answer.status_code for answer in answers} == {200}
    assert len({answer.content for answer in answers}) == 1
    assert len(server.state.orders) == 1


def test_200_concurrent_submits_with_distinct_keys_make_200_orders(server: LoadTarget) -> None:
    async def run() -> list[httpx.Response]:
        async with _client(200) as client:
            return await asyncio.gather(
                *(
                    client.post(
                        f"{server.url}/carts/submit", content=CART, headers=_headers(**{"Idempotency-Key": f"k{n}"})
                    )
                    for n in range(200)
                )
            )

    answers = asyncio.run(run())
    assert {answer.status_code for answer in answers} == {200}
    ids = {answer.json()["supplier_order_id"] for answer in answers}
    assert len(ids) == 200
    assert ids == {order.id for order in server.state.orders}


def test_sustained_mixed_load_loses_and_duplicates_nothing(server: LoadTarget) -> None:
    """32 clients for 4 s: new submits, retries of earlier keys, reads of own orders, reads of the other partner's
    orders. Afterwards the mock holds exactly the orders it confirmed, each as first answered."""
    created: dict[str, tuple[str, bytes]] = {}  # idempotency key -> (partner key, first answer)
    counts = {"submit": 0, "retry": 0, "read": 0, "foreign": 0}
    problems: list[str] = []

    async def worker(client: httpx.AsyncClient, seed: int, stop_at: float) -> None:
        rng = random.Random(seed)
        while time.monotonic() < stop_at:
            roll = rng.random()
            if roll < 0.4 or not created:
                key, partner = f"w{seed}-{uuid.uuid4()}", rng.choice([KEY_A, KEY_B])
                answer = await client.post(
                    f"{server.url}/carts/submit", content=CART, headers=_headers(partner, **{"Idempotency-Key": key})
                )
                counts["submit"] += 1
                if answer.status_code != 200:
                    problems.append(f"submit {answer.status_code} {answer.text[:100]}")
                    continue
                created[key] = (partner, answer.content)
            elif roll < 0.6:
                key, (partner, first) = rng.choice(list(created.items()))
                answer = await client.post(
                    f"{server.url}/carts/submit", content=CART, headers=_headers(partner, **{"Idempotency-Key": key})
                )
                counts["retry"] += 1
                if answer.content != first:
                    problems.append(f"retry of {key} answered {answer.status_code} {answer.text[:100]}")
            else:
                partner, first = rng.choice(list(created.values()))
                order_id = json.loads(first)["supplier_order_id"]
                reader = partner if roll < 0.9 else (KEY_B if partner == KEY_A else KEY_A)
                answer = await client.get(f"{server.url}/orders/{order_id}", headers=_headers(reader))
                expected = 200 if reader == partner else 403
                counts["read" if reader == partner else "foreign"] += 1
                if answer.status_code != expected or (expected == 403 and order_id in answer.text):
                    problems.append(f"read of {order_id} answered {answer.status_code}")

    async def run() -> None:
        async with _client(32) as client:
            stop_at = time.monotonic() + 4
            await asyncio.gather(*(worker(client, seed, stop_at) for seed in range(32)))

    asyncio.run(run())
    print(f"sustained load ({'fast path' if server.fast_path else 'connexion only'}, 32 clients, 4 s): {counts}")
    assert problems == []
    confirmed = {json.loads(first)["supplier_order_id"] for _, first in created.values()}
    assert confirmed == {order.id for order in server.state.orders}
    assert len(confirmed) == counts["submit"]
    assert counts["retry"] > 0 and counts["read"] > 0 and counts["foreign"] > 0, counts


# --- hostile input -------------------------------------------------------------------------------------------------

SUBMIT = "/v1/carts/submit"
JSON = "application/json"
DEEP_ARRAY = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
PADDED_10MB = CART[:-1] + b', "padding": "' + b"x" * (10 * 1024 * 1024) + b'"}'
HUGE_INTEGER = CART.replace(b'"quantity": 2', b'"quantity": ' + b"9" * 5000)

# name -> (method, path, headers (None: the partner's own), body, expected status)
HOSTILE: dict[str, tuple[str, str, dict[str, str] | None, bytes | None, int]] = {
    "body not JSON": ("POST", SUBMIT, None, b"hello", 400),
    "body truncated JSON": ("POST", SUBMIT, None, CART[:40], 400),
    "body single-quoted": ("POST", SUBMIT, None, b"{'partner_order_id': 'x'}", 400),
    "body empty": ("POST", SUBMIT, None, b"", 400),
    "body blank": ("POST", SUBMIT, None, b"   \n ", 400),
    "body not UTF-8 (Latin-1)": ("POST", SUBMIT, None, CART.replace(b"John", b"J\xf6hn"), 400),
    "body UTF-16": ("POST", SUBMIT, None, CART.decode().encode("utf-16"), 400),
    "body 100,000 nested arrays": ("POST", SUBMIT, None, DEEP_ARRAY, 400),
    "body 50,000 nested objects": ("POST", SUBMIT, None, DEEP_OBJECT, 400),
    "body 10 MB": ("POST", SUBMIT, None, PADDED_10MB, 413),
    "body 1 MiB + 1 byte": ("POST", SUBMIT, None, b" " * (1024 * 1024 + 1), 413),
    "number 5,000 digits": ("POST", SUBMIT, None, HUGE_INTEGER, 400),
    "number 1e400": ("POST", SUBMIT, None, CART.replace(b"29.99", b"1e400"), 400),
    "number NaN": ("POST", SUBMIT, None, CART.replace(b"29.99", b"NaN"), 400),
    "number Infinity": ("POST", SUBMIT, None, CART.replace(b"29.99", b"Infinity"), 400),
    "number -Infinity": ("POST", SUBMIT, None, CART.replace(b"29.99", b"-Infinity"), 400),
    "duplicate keys": (
        "POST",
        SUBMIT,
        None,
        CART.replace(b'{"partner_order_id"', b'{"items": [], "partner_order_id"'),
        400,
    ),
    "JSON array": ("POST", SUBMIT, None, b"[]", 422),
    "JSON null": ("POST", SUBMIT, None, b"null", 422),
    "JSON string": ("POST", SUBMIT, None, b'"cart"', 422),
    "content type text/plain": ("POST", SUBMIT, {"Content-Type": "text/plain"}, CART, 415),
    "content type form": ("POST", SUBMIT, {"Content-Type": "application/x-www-form-urlencoded"}, b"a=1", 415),
    "content type multipart": ("POST", SUBMIT, {"Content-Type": "multipart/form-data; boundary=x"}, b"--x--", 415),
    "content type XML": ("POST", SUBMIT, {"Content-Type": "application/xml"}, b"<cart/>", 415),
    "content type missing": ("POST", SUBMIT, {"Content-Type": ""}, CART, 415),
    "Authorization 30 KB": ("POST", SUBMIT, {"Authorization": "Bearer " + "k" * 30_000}, CART, 401),
    "Authorization not Bearer": ("POST", SUBMIT, {"Authorization": f"Basic {KEY_A}"}, CART, 401),
    "Authorization key of SQL": ("POST", SUBMIT, {"Authorization": "Bearer ' OR '1'='1"}, CART, 401),
    "headers 40 KB (one header)": ("POST", SUBMIT, {"X-Padding": "x" * 40_000}, CART, 400),
    "headers 40 KB (2,000 headers)": ("POST", SUBMIT, {f"X-H{n}": "v" * 16 for n in range(2000)}, CART, 400),
    "Idempotency-Key 256 chars": ("POST", SUBMIT, {"Idempotency-Key": "k" * 256}, CART, 400),
    "Idempotency-Key 20 KB": ("POST", SUBMIT, {"Idempotency-Key": "k" * 20_000}, CART, 400),
    "Idempotency-Key control chars": ("POST", SUBMIT, {"Idempotency-Key": "a\tb"}, CART, 400),
    "Idempotency-Key not ASCII": ("POST", SUBMIT, {"Idempotency-Key": "caf\u00e9"}, CART, 400),
    "order id not a UUID": ("GET", "/v1/orders/not-a-uuid", None, None, 404),
    "order id 10,000 chars": ("GET", "/v1/orders/" + "a" * 10_000, None, None, 404),
    "order id NUL": ("GET", "/v1/orders/%00", None, None, 404),
    "order id SQL": ("GET", "/v1/orders/'%20OR%201=1%20--", None, None, 404),
    "order id path traversal": ("GET", "/v1/orders/..%2F..%2F__admin%2Forders", None, None, 404),
    "order id unknown UUID": ("GET", f"/v1/orders/{uuid.UUID(int=7)}", None, None, 404),
    "order read without a key": ("GET", f"/v1/orders/{uuid.UUID(int=7)}", {"Authorization": ""}, None, 401),
    "method PUT on submit": ("PUT", SUBMIT, None, CART, 405),
    "admin path with a partner key": ("GET", "/__admin/orders", None, None, 401),
}


def _send(url: str, method: str, path: str, headers: dict[str, str] | None, body: bytes | None) -> tuple[int, bytes]:
    parts = urlsplit(url)
    merged = {"Authorization": f"Bearer {KEY_A}", "Content-Type": JSON, **(headers or {})}
    merged = {name: value for name, value in merged.items() if value != ""}
    # A hang fails the test (timeout).
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in merged.items():
            connection.putheader(name, value.encode("utf-8"))
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_input_gets_its_documented_status_and_the_envelope(server: LoadTarget, name: str) -> None:
    method, path, headers, body, expected = HOSTILE[name]
    status, answer = _send(server.url, method, path, headers, body)
    assert status == expected, answer[:300]
    envelope: Any = json.loads(answer)
    assert isinstance(envelope.get("error"), str) and envelope["error"]
    assert set(envelope) <= {"error", "details"}
    assert "Traceback" not in answer.decode("utf-8", "replace") and KEY_A not in answer.decode("utf-8", "replace")
    assert len(server.state.orders) == 0
    # ...and the mock still serves the next partner.
    assert _send(server.url, "POST", SUBMIT, None, CART)[0] == 200
