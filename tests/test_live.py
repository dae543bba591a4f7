"""The mock on a real socket: concurrency, and the guide's own cURL and Python examples."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import KEY_A, ROOT, LiveServer

pytestmark = pytest.mark.live
GUIDE = ROOT / "docs" / "partner-guide.md"


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


def guide_block(heading: str, language: str) -> str:
    """The first fenced code block of `language` after `heading` in the partner guide."""
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index(heading)
    match = re.compile(rf"```{language}\n(.*?)```", re.S).search(text, start)
    assert match, f"no {language} block after {heading!r} in {GUIDE}"
    return match.group(1)


def read_order(live_server: LiveServer, order_id: str) -> dict[str, Any]:
    status, body = http("GET", f"{live_server.url}/orders/{order_id}", headers={"Authorization": f"Bearer {KEY_A}"})
    assert status == 200, body
    order: dict[str, Any] = json.loads(body)
    return order


def test_guides_curl_example_creates_an_order(live_server: LiveServer, tmp_path: Path) -> None:
    script = guide_block("### cURL", "bash")
    assert "https://api.jafarshop.com/v1" in script
    script = script.replace("https://api.jafarshop.com/v1", live_server.url).replace("your-api-key-here", KEY_A)
    # The example calls uuidgen, which not every machine has: provide one.
    shim = tmp_path / "uuidgen"
    shim.write_text(f"#!/bin/sh\nexec {sys.executable} -c 'import uuid; print(uuid.uuid4())'\n")
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=30, check=True)
    answer = json.loads(result.stdout)
    assert answer["status"] == "PENDING_CONFIRMATION"
    order = read_order(live_server, answer["supplier_order_id"])
    assert order["partner_order_id"] == "ORDER-2024-001"
    assert order["items"][0]["sku"] == "JDTQ1834" and order["items"][0]["is_supplier_item"] is True
    assert order["cart_total"] == 69.78


def test_guides_python_example_creates_an_order(live_server: LiveServer) -> None:
    code = guide_block("### Python", "python")
    assert "BASE_URL = 'https://api.jafarshop.com/v1'" in code
    code = code.replace("https://api.jafarshop.com/v1", live_server.url)
    env = {**os.environ, "JAFARSHOP_API_KEY": KEY_A}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60, check=True
    )
    match = re.search(r"Order created: ([0-9a-f-]{36})", result.stdout)
    assert match, result.stdout + result.stderr
    order = read_order(live_server, match.group(1))
    assert order["customer_name"] == "John Doe"
    assert order["shipping_address"] == {
        "street": "123 Main Street",
        "city": "Amman",
        "state": None,
        "postal_code": "11118",
        "country": "JO",
    }
    assert order["payment_method"] == "Cash On Delivery (COD)"
