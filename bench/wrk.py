"""wrk, the load generator: finding it, running it, and reading its report."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TypedDict

from bench import BenchError

THREADS = 2  # wrk needs at least as many connections as threads
_MS_PER_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


class WrkResult(TypedDict):
    """What one wrk run measured."""

    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int


def find_wrk() -> str:
    """The path of wrk, installing Debian's package when missing and running as root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("bench: wrk not found; installing Debian's package (apt-get update, apt-get install wrk)", flush=True)
        for command in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "wrk"]):
            subprocess.run(command, check=False, stdout=subprocess.DEVNULL)
        found = shutil.which("wrk")
        if found:
            return found
    raise BenchError("wrk is needed (Debian/Ubuntu: sudo apt-get install wrk; macOS: brew install wrk)")


def run_wrk(
    binary: str, url: str, connections: int, seconds: float, *, script: str | None = None, headers: Sequence[str] = ()
) -> WrkResult:
    """Load `url` for whole `seconds` (at least 1) with a Lua `script` or plain GETs carrying `headers`."""
    command = [binary, f"-t{THREADS}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    command += ["--timeout", "5s"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script or "")
    try:
        if script:
            command += ["-s", lua.name]
        for header in headers:
            command += ["-H", header]
        result = subprocess.run([*command, url], capture_output=True, text=True, check=False)
    finally:
        os.unlink(lua.name)
    if result.returncode != 0:
        raise BenchError(f"wrk failed ({' '.join(command)} {url}): {result.stderr.strip() or result.stdout[-300:]}")
    return parse_wrk(result.stdout)


@contextmanager
def wrk_in_background(binary: str, url: str, script: str, connections: int = 16) -> Iterator[None]:
    """Run wrk with `script` against `url` for as long as the block lasts (up to 10 minutes)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script)
        lua.flush()
        command = [binary, f"-t{THREADS}", f"-c{connections}", "-d600s", "-s", lua.name, url]
        load = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        try:
            yield
        finally:
            load.send_signal(signal.SIGINT)
            load.wait(timeout=10)


def parse_wrk(output: str) -> WrkResult:
    """Read wrk's report: latencies from its distribution (--latency), not its stdev column."""

    def find(pattern: str, default: str = "0") -> str:
        match = re.search(pattern, output)
        return match.group(1) if match else default

    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {
        "requests_per_s": float(find(r"Requests/sec:\s+([\d.]+)")),
        "p50_ms": latency_ms(find(r"(?m)^\s+50%\s+(\S+)", "0ms")),
        "p99_ms": latency_ms(find(r"(?m)^\s+99%\s+(\S+)", "0ms")),
        "requests": int(find(r"(\d+) requests in")),
        "non_2xx": int(find(r"Non-2xx or 3xx responses: (\d+)")),
        "socket_errors": sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
    }


def latency_ms(text: str) -> float:
    """A latency as wrk prints it (850.00us, 3.44ms, 1.20s, 1.01m) in milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise BenchError(f"wrk printed a latency this bench cannot read: {text!r}")
    return float(match.group(1)) * _MS_PER_UNIT[match.group(2)]
