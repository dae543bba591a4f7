"""The mock on a real socket under load: concurrent submits and a sustained mixed load lose, duplicate and leak
nothing. Each test runs against both paths of the mock: the fast path (as `make mock` serves) and connexion alone.
Hostile input is in test_hostile_input.py."""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from tests.helpers import ADMIN, KEY_A, KEY_B, SUBMIT, LiveServer, load_cart, spawn_mock

pytestmark = pytest.mark.live
CART = json.dumps(load_cart("guide-mixed-cart")).encode()


def _headers(key: str = KEY_A, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Content-Type": "application/json", **extra}


def _at_once(
    count: int, request: Callable[[int, http.client.HTTPConnection], tuple[int, bytes]], url: str
) -> list[tuple[int, bytes]]:
    """`count` threads, each on its own connection, released together by a barrier: truly concurrent requests.
    (http.client in threads: httpx's async client managed about 200 requests/s here, too slow to make a load.)"""
    parts = urlsplit(url)
    barrier = threading.Barrier(count)

    def one(index: int) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
        try:
            connection.connect()
            barrier.wait(timeout=30)
            return request(index, connection)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def _post(connection: http.client.HTTPConnection, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    connection.request("POST", path, body=CART, headers=headers)
    response = connection.getresponse()
    return response.status, response.read()


# --- concurrency ---------------------------------------------------------------------------------------------------


def test_200_concurrent_submits_with_one_key_make_one_order_and_identical_answers(server: LiveServer) -> None:
    path = urlsplit(server.url).path + "/carts/submit"
    answers = _at_once(200, lambda _, c: _post(c, path, _headers(**{"Idempotency-Key": "same-key-200"})), server.url)
    assert {status for status, _ in answers} == {200}
    assert len({body for _, body in answers}) == 1
    assert len(server.state.orders) == 1


def test_200_concurrent_submits_with_distinct_keys_make_200_orders(server: LiveServer) -> None:
    path = urlsplit(server.url).path + "/carts/submit"
    answers = _at_once(200, lambda n, c: _post(c, path, _headers(**{"Idempotency-Key": f"k{n}"})), server.url)
    assert {status for status, _ in answers} == {200}
    ids = {json.loads(body)["supplier_order_id"] for _, body in answers}
    assert len(ids) == 200
    assert ids == {order.id for order in server.state.orders}


@pytest.mark.slow
@pytest.mark.parametrize("flags", [[], ["--no-fast-path"]], ids=["fast-path", "connexion-only"])
def test_sustained_mixed_load_loses_and_duplicates_nothing(flags: list[str]) -> None:
    """16 clients for 5 s against `python -m mockserver` in its own process: new submits, retries of earlier keys,
    reads of own orders, reads of the other partner's orders. Afterwards the mock holds exactly the orders it
    confirmed (read through the admin API), each retry answered as first, no read leaking."""
    with spawn_mock("--log-level", "warning", *flags) as mock:
        port = mock.port
        assert mock.base_url == f"http://127.0.0.1:{port}/v1", mock.banner
        created: dict[str, tuple[str, bytes]] = {}  # idempotency key -> (partner key, first answer)
        counts = {"submit": 0, "retry": 0, "read": 0, "foreign": 0}
        problems: list[str] = []
        lock = threading.Lock()

        def client(seed: int, stop_at: float) -> None:
            rng = random.Random(seed)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            while time.monotonic() < stop_at:
                roll = rng.random()
                with lock:
                    known = list(created.items()) if roll >= 0.4 else []
                if not known:
                    key, partner = f"w{seed}-{uuid.uuid4()}", rng.choice([KEY_A, KEY_B])
                    status, body = _post(connection, SUBMIT, _headers(partner, **{"Idempotency-Key": key}))
                    with lock:
                        counts["submit"] += 1
                        if status == 200:
                            created[key] = (partner, body)
                        else:
                            problems.append(f"submit {status} {body[:100]!r}")
                elif roll < 0.6:
                    key, (partner, first) = rng.choice(known)
                    status, body = _post(connection, SUBMIT, _headers(partner, **{"Idempotency-Key": key}))
                    with lock:
                        counts["retry"] += 1
                        if body != first:
                            problems.append(f"retry of {key}: {status} {body[:100]!r}")
                else:
                    _, (partner, first) = rng.choice(known)
                    order_id = json.loads(first)["supplier_order_id"]
                    reader = partner if roll < 0.9 else (KEY_B if partner == KEY_A else KEY_A)
                    connection.request("GET", f"/v1/orders/{order_id}", headers=_headers(reader))
                    response = connection.getresponse()
                    body = response.read()
                    expected = 200 if reader == partner else 403
                    with lock:
                        counts["read" if reader == partner else "foreign"] += 1
                        if response.status != expected or (expected == 403 and order_id.encode() in body):
                            problems.append(f"read of {order_id} by the {'owner' if expected == 200 else 'other'}: "
                                            f"{response.status}")  # fmt: skip
            connection.close()

        stop_at = time.monotonic() + 5
        threads = [threading.Thread(target=client, args=(seed, stop_at)) for seed in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        admin = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        admin.request("GET", "/__admin/orders", headers=ADMIN)
        held = [order["id"] for order in json.loads(admin.getresponse().read())]
        admin.close()
    total = sum(counts.values())
    print(f"sustained load {flags or 'fast path'}: {total} requests in 5 s ({total / 5:.0f}/s): {counts}")
    assert problems == [], problems[:5]
    confirmed = {json.loads(first)["supplier_order_id"] for _, first in created.values()}
    assert len(held) == len(set(held)) == len(confirmed) == counts["submit"]
    assert set(held) == confirmed
    assert counts["retry"] > 0 and counts["read"] > 0 and counts["foreign"] > 0, counts
