"""The mock on a real socket under concurrent submits (the guide's examples: tests/test_guide_clients.py)."""

from __future__ import annotations

import json
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.helpers import KEY_A, LiveServer

pytestmark = pytest.mark.live


def http(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_concurrent_submits_with_one_key_create_one_order(live_server: LiveServer, mixed_cart: dict[str, Any]) -> None:
    headers = {"Authorization": f"Bearer {KEY_A}", "Idempotency-Key": str(uuid.uuid4())}
    with ThreadPoolExecutor(max_workers=32) as pool:
        answers = list(
            pool.map(lambda _: http("POST", f"{live_server.url}/carts/submit", mixed_cart, headers), range(100))
        )
    assert {status for status, _ in answers} == {200}
    assert len({body for _, body in answers}) == 1
    assert len(live_server.state.orders) == 1


def test_concurrent_submits_with_distinct_keys_create_distinct_orders(
    live_server: LiveServer, mixed_cart: dict[str, Any]
) -> None:
    def submit(_: int) -> tuple[int, bytes]:
        headers = {"Authorization": f"Bearer {KEY_A}", "Idempotency-Key": str(uuid.uuid4())}
        return http("POST", f"{live_server.url}/carts/submit", mixed_cart, headers)

    with ThreadPoolExecutor(max_workers=32) as pool:
        answers = list(pool.map(submit, range(100)))
    ids = {json.loads(body)["supplier_order_id"] for status, body in answers if status == 200}
    assert len(ids) == 100
    assert len(live_server.state.orders) == 100
