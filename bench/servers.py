"""The servers the bench measures: the mock (and the stacks it was compared with) and Prism, started and stopped."""

from __future__ import annotations

import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench import ROOT, BenchError
from bench.workload import ADMIN_TOKEN, KEY, cart_body

SPEC = ROOT / "openapi" / "partner-api.yaml"
PRISM_VERSION = "5.14.2"
PRISM_DIR = ROOT / ".bench" / "prism"
HOST = "127.0.0.1"
START_TIMEOUT_S = 30
# The mock serves the partner API under /v1 (the spec's server URL); Prism serves the spec's paths at its root.
MOCK_API_PATH = "/v1"
PRISM_API_PATH = ""


@dataclass(frozen=True)
class Target:
    """A server to measure: its name in the report, the command that serves it on a port, where its API starts."""

    name: str
    command: Callable[[int], list[str]]
    api_path: str
    is_mock: bool  # holds real orders and has the admin API (reset, list orders); Prism answers examples

    def origin(self, port: int) -> str:
        """Scheme, host and port of this target served on `port`."""
        return f"http://{HOST}:{port}"

    def base_url(self, port: int) -> str:
        """Where the partner paths (/orders, /carts/submit) start when served on `port`."""
        return self.origin(port) + self.api_path


@dataclass
class Server:
    """A running target and the time it took to answer its first submit."""

    target: Target
    process: subprocess.Popen[bytes]
    port: int
    startup_s: float

    @property
    def name(self) -> str:
        """The target's name in the report."""
        return self.target.name

    @property
    def base_url(self) -> str:
        """Where the partner paths start on this server."""
        return self.target.base_url(self.port)

    @property
    def admin_url(self) -> str:
        """Where the mock's admin API starts on this server."""
        if not self.target.is_mock:
            raise BenchError(f"{self.name} has no admin API")
        return self.target.origin(self.port) + "/__admin"

    @property
    def rss_mb(self) -> float:
        """The server's resident memory now, in MB (Linux /proc)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        return int(match.group(1)) / 1024 if match else float("nan")


def mock_target(name: str, *options: str) -> Target:
    """The mock (`python -m mockserver`) with extra command-line options."""

    def command(port: int) -> list[str]:
        return [sys.executable, "-m", "mockserver", "--port", str(port), "--log-level", "warning", *options]

    return Target(name, command, MOCK_API_PATH, is_mock=True)


def stack_target(name: str, stack: str) -> Target:
    """The mock's app on one of the serving stacks of bench/stacks.py."""

    def command(port: int) -> list[str]:
        return [sys.executable, "-m", "bench.stacks", stack, str(port)]

    return Target(name, command, MOCK_API_PATH, is_mock=True)


def prism_target(name: str, prism: list[str]) -> Target:
    """Prism mocking the partner spec (`prism mock -v warn`, its fastest setup), started with `prism`."""

    def command(port: int) -> list[str]:
        return [*prism, "mock", "-p", str(port), "-v", "warn", str(SPEC)]

    return Target(name, command, PRISM_API_PATH, is_mock=False)


def find_prism() -> tuple[list[str] | None, str]:
    """The command that starts Prism, installing it once; or None and the reason it cannot run."""
    binary = PRISM_DIR / "node_modules" / ".bin" / "prism"
    if not binary.exists():
        if not shutil.which("npm") or not shutil.which("node"):
            return None, "Node.js and npm are not installed (Prism is a Node.js program)"
        print(f"bench: installing @stoplight/prism-cli@{PRISM_VERSION} into {PRISM_DIR.relative_to(ROOT)}", flush=True)
        PRISM_DIR.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            ["npm", "install", "--prefix", str(PRISM_DIR), "--no-audit", "--no-fund", "--silent",
             f"@stoplight/prism-cli@{PRISM_VERSION}"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0 or not binary.exists():
            return None, f"npm could not install Prism: {result.stderr.strip()[-300:]}"
    return [str(binary)], ""


def free_port() -> int:
    """A loopback port free right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def request(url: str, *, method: str = "GET", body: bytes | None = None, token: str = KEY) -> tuple[int, bytes]:
    """Send one JSON request with a bearer token; the status and body, error statuses included."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    prepared = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(prepared, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def submit_cart(base_url: str) -> tuple[int, bytes]:
    """Submit the guide's cart with the partner key."""
    return request(f"{base_url}/carts/submit", method="POST", body=cart_body())


@contextmanager
def serve(target: Target) -> Iterator[Server]:
    """Start `target` on a free port, wait for its first answer to a submit (the start-up time), stop it after."""
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(target.command(port), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    try:
        deadline = started + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                stderr = process.stderr.read().decode() if process.stderr else ""
                raise BenchError(f"{target.name} exited at start: {stderr[-500:]}")
            try:
                if submit_cart(target.base_url(port))[0] == 200:
                    break
            except OSError:
                pass
            if time.perf_counter() > deadline:
                raise BenchError(f"{target.name} did not answer within {START_TIMEOUT_S} s")
            time.sleep(0.01)
        yield Server(target, process, port, time.perf_counter() - started)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()


def reset_mock(server: Server) -> str:
    """Empty the mock (so every run starts alike and below the order limit); one fresh order to read."""
    status, _ = request(f"{server.admin_url}/reset", method="POST", token=ADMIN_TOKEN)
    if status not in (200, 204):
        raise BenchError(f"{server.name}: reset answered {status}")
    status, body = submit_cart(server.base_url)
    if status != 200:
        raise BenchError(f"{server.name}: submit after reset answered {status}")
    order_id: str = json.loads(body)["supplier_order_id"]
    return order_id


def orders_held(server: Server) -> tuple[int, bool]:
    """How many orders the mock holds (the one made by reset_mock left out), and whether their ids are unique."""
    status, body = request(f"{server.admin_url}/orders", token=ADMIN_TOKEN)
    if status != 200:
        raise BenchError(f"{server.name}: listing orders answered {status}")
    ids = [order["id"] for order in json.loads(body)]
    return len(ids) - 1, len(set(ids)) == len(ids)
