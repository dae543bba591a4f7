"""What the kit's tests share besides fixtures (those are in conftest.py): constants, request helpers, a fake clock,
a live server over an app, and the mock started as its own process."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from starlette.testclient import TestClient

from mockserver import MockState
from mockserver.server import background

ROOT = Path(__file__).resolve().parent.parent
CARTS = ROOT / "fixtures" / "carts"
GUIDE = ROOT / "docs" / "partner-guide.md"
GUIDE_URL = "https://api.jafarshop.com/v1"
KEY_A = "demo-key-partner-a"
KEY_B = "demo-key-partner-b"
ADMIN_TOKEN = "demo-admin-token"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
SUBMIT = "/v1/carts/submit"
MOCK_COMMAND = (sys.executable, "-m", "mockserver")
BANNER_URL = re.compile(r"JafarShop mock: partner API (http://\S+:(\d+)/v1) ")


# --- requests and answers ----------------------------------------------------------------------------------------


def auth(key: str = KEY_A, **extra: str) -> dict[str, str]:
    """Headers for a partner request."""
    return {"Authorization": f"Bearer {key}", **extra}


def load_cart(name: str) -> dict[str, Any]:
    """A sample cart from fixtures/carts."""
    data: dict[str, Any] = json.loads((CARTS / f"{name}.json").read_text())
    return data


def assert_envelope(response: httpx.Response, status: int) -> dict[str, Any]:
    """The response has `status` and the documented error envelope."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert isinstance(body.get("error"), str) and body["error"]
    assert set(body) <= {"error", "details"}
    return body


def assert_new_order(response: httpx.Response, state: MockState, cart: Mapping[str, Any]) -> dict[str, Any]:
    """The response is a 200 with a new PENDING_CONFIRMATION order's body, and the order stored is `cart`'s."""
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"supplier_order_id", "status"} and body["status"] == "PENDING_CONFIRMATION", body
    stored = state.orders.get(body["supplier_order_id"])
    assert stored is not None and stored.partner_order_id == cart["partner_order_id"]
    assert [item["sku"] for item in stored.items] == [item["sku"] for item in cart["items"]]
    return body


def raw_post(client: TestClient, content: bytes, content_type: str | None = "application/json", **headers: str) -> Any:
    """POST `content` as it is to the submit endpoint as partner A, with `content_type` (None: no Content-Type)."""
    if content_type is not None:
        headers["Content-Type"] = content_type
    return client.post(SUBMIT, content=content, headers=auth(**headers))


def submit(client: TestClient, cart: dict[str, Any], key: str | None = None, api_key: str = KEY_A) -> Any:
    """Submit `cart` as the partner of `api_key`, under the Idempotency-Key `key` if one is given."""
    headers = auth(api_key) if key is None else auth(api_key, **{"Idempotency-Key": key})
    return client.post(SUBMIT, json=cart, headers=headers)


def new_order(client: TestClient, cart: dict[str, Any], key: str = KEY_A) -> str:
    """Submit a cart that must create an order (200) as the partner of `key`; its supplier order id."""
    response = client.post(SUBMIT, json=cart, headers=auth(key))
    assert response.status_code == 200, response.text
    order_id: str = response.json()["supplier_order_id"]
    return order_id


def read_order(client: TestClient, order_id: str, key: str = KEY_A) -> dict[str, Any]:
    """GET /v1/orders/{id} as the partner of `key`, which must answer 200; the order."""
    response = client.get(f"/v1/orders/{order_id}", headers=auth(key))
    assert response.status_code == 200, response.text
    order: dict[str, Any] = response.json()
    return order


# --- time --------------------------------------------------------------------------------------------------------


class FakeClock:
    """A clock that stands still until it is advanced: MockState's `clock`."""

    def __init__(self, now: datetime = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock `seconds` on."""
        self.now += timedelta(seconds=seconds)


# --- the partner guide -------------------------------------------------------------------------------------------


def guide_block(heading: str, language: str) -> str:
    """The first fenced code block of `language` after `heading` in the partner guide."""
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index(heading)
    match = re.compile(rf"```{language}\n(.*?)```", re.S).search(text, start)
    assert match, f"no {language} block after {heading!r} in {GUIDE}"
    return match.group(1)


# --- servers -----------------------------------------------------------------------------------------------------


@dataclass
class LiveServer:
    """A mock served on a free port in this process: its /v1 base URL and the state behind it."""

    url: str
    state: MockState


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve an ASGI app on 127.0.0.1 and a free port, in a thread, with the command line's server; yield /v1's URL."""
    with background(app) as base:
        yield f"{base}/v1"


class MockProcess:
    """A mock started by spawn_mock(): its process, its banner (up to the admin API line), its /v1 URL and port."""

    def __init__(self, process: subprocess.Popen[str], banner: str) -> None:
        match = BANNER_URL.match(banner)
        assert match, f"no partner API URL in the banner:\n{banner}"
        self.process, self.banner, self.base_url, self.port = process, banner, match.group(1), int(match.group(2))
        self._output: list[str] = []
        # What it prints after the banner is read as it comes, so that a full pipe never blocks it.
        self._reader = threading.Thread(target=self._read_output, daemon=True)
        self._reader.start()

    def _read_output(self) -> None:
        """Collect the output after the banner until the mock closes its end of the pipe."""
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._output.append(line)

    def stop(self, stop_signal: int = signal.SIGTERM, timeout: float = 10) -> str:
        """Send `stop_signal` if it still runs, wait for it to exit and return all it printed after the banner."""
        if self.process.poll() is None:
            self.process.send_signal(stop_signal)
        self.process.wait(timeout=timeout)
        self._reader.join(timeout=timeout)  # EOF once the mock is gone: only then is all of its output read
        return "".join(self._output)


@contextmanager
def spawn_mock(
    *args: str, command: Sequence[str] = MOCK_COMMAND, cwd: Path = ROOT, env: Mapping[str, str] | None = None
) -> Iterator[MockProcess]:
    """Start the mock as its own process (`command --port 0 *args`), yield it once its banner is out; always stop it."""
    process = subprocess.Popen(
        [*command, "--port", "0", *args],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    mock: MockProcess | None = None
    try:
        banner = ""
        while "admin API" not in banner:
            line = process.stdout.readline()
            assert line, f"the mock stopped before its banner was complete:\n{banner}"
            banner += line
        mock = MockProcess(process, banner)
        yield mock
    finally:
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if mock is not None:
            mock.stop()  # it has exited: this only waits for the rest of its output
        process.stdout.close()


def pip_target(target: Path, *requirements: str) -> Path:
    """`requirements` (without their dependencies) pip-installed into the folder `target`, for a partner's pytest run
    to find on its PYTHONPATH: a plugin (pytest-randomly, pytest-asyncio) the kit's own venv must not load. Skips the
    test, saying why, when pip cannot install them."""
    import pytest

    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check"]
    result = subprocess.run([*command, "--target", str(target), *requirements], capture_output=True, text=True,
                            timeout=300)  # fmt: skip
    if result.returncode != 0:
        pytest.skip(f"{' '.join(requirements)} could not be installed (pip: {result.stderr.strip()[-300:]})")
    return target
