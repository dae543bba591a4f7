"""`make bench`: the mock against Stoplight Prism on the same spec, under the same load, on loopback.

Drives GET /v1/orders/{id} and POST /v1/carts/submit (the guide's mixed cart) with wrk at each connection count,
against the mock (fast path on, as `make mock` runs it), the mock with --no-fast-path (connexion alone, the
"before"), and Prism 5 (`prism mock -v warn`, its fastest setup). Then start-up time to first answer and resident
memory after 100,000 orders. Prints a table, writes reports/bench.json and reports/bench.md, and exits 1 when a goal
of issue 5 is missed (ratio mock/Prism >= 1.0 and p99 no worse on both operations, no errors, every 200 to a
submit an order held once, start-up under 1.5 s).

Needs wrk (Debian package `wrk`; installed with apt-get when missing and running as root) and, for Prism, Node.js
with npm (the package is installed once into .bench/prism).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.stacks import PROTOCOLS, h2c_offer_keeps_body

ROOT = Path(__file__).resolve().parent.parent
CART = ROOT / "fixtures" / "carts" / "guide-mixed-cart.json"
SPEC = ROOT / "openapi" / "partner-api.yaml"
PRISM_VERSION = "5.14.2"
PRISM_DIR = ROOT / ".bench" / "prism"
KEY = "demo-key-partner-a"
ADMIN_TOKEN = "demo-admin-token"
# A Prism example id: Prism answers its example for any id; the mock needs a real one (created before each run).
EXAMPLE_ORDER_ID = "550e8400-e29b-41d4-a716-446655440000"
GOAL_STARTUP_S = 1.5
WARM_UP_DRAIN_S = 1.0


@dataclass
class Run:
    target: str
    operation: str
    connections: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int
    # Submits on the mock: orders it holds after the run, against the 200s wrk counted. A request still in flight
    # when wrk stops is served but not counted, so held - counted is between 0 and the connection count.
    orders_held: int | None = None
    orders_unique: bool | None = None


@dataclass
class Report:
    machine: str
    duration_s: float
    runs: list[Run] = field(default_factory=list)
    startup_s: dict[str, list[float]] = field(default_factory=dict)
    memory: dict[str, Any] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    # Whether each mock answers 200 to a submit offering an h2c upgrade (as Java's HttpClient sends it).
    h2c_body_kept: dict[str, bool] = field(default_factory=dict)
    goals: list[dict[str, Any]] = field(default_factory=list)


# --- tools ---------------------------------------------------------------------------------------------------------


def find_wrk() -> str:
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
    sys.exit("bench: wrk is needed (Debian/Ubuntu: sudo apt-get install wrk; macOS: brew install wrk)")


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
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --- servers -------------------------------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    base: str  # where the partner paths start: http://host:port/v1 for the mock, http://host:port for Prism
    startup_s: float

    @property
    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        return int(match.group(1)) / 1024 if match else float("nan")


def _request(url: str, *, method: str = "GET", body: bytes | None = None, token: str = KEY) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@contextmanager
def serve(name: str, command: list[str], base: str) -> Iterator[Server]:
    """Start a server and wait for its first answer to a submit (the start-up time)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    try:
        deadline = started + 30
        while True:
            if process.poll() is not None:
                sys.exit(f"bench: {name} exited at start: {process.stderr.read().decode()[-500:]}")  # type: ignore[union-attr]
            try:
                status, _ = _request(f"{base}/carts/submit", method="POST", body=CART.read_bytes())
                if status == 200:
                    break
            except OSError:
                pass
            if time.perf_counter() > deadline:
                sys.exit(f"bench: {name} did not answer within 30 s")
            time.sleep(0.01)
        yield Server(name, process, base, time.perf_counter() - started)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()


def mock_command(port: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "mockserver", "--port", str(port), "--log-level", "warning", *extra]


def stack_command(stack: str, port: int) -> list[str]:
    return [sys.executable, "-m", "bench.stacks", stack, str(port)]


def prism_command(prism: list[str], port: int) -> list[str]:
    return [*prism, "mock", "-p", str(port), "-v", "warn", str(SPEC)]


# --- load ----------------------------------------------------------------------------------------------------------

SUBMIT_LUA = """
wrk.method = "POST"
wrk.body = [==[{body}]==]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {key}"
"""


def wrk(binary: str, url: str, connections: int, seconds: float, script: str | None = None) -> dict[str, Any]:
    command = [binary, "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "5s"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script or "")
    try:
        if script:
            command += ["-s", lua.name]
        else:
            command += ["-H", f"Authorization: Bearer {KEY}"]
        result = subprocess.run([*command, url], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            sys.exit(f"bench: wrk failed ({' '.join(command)} {url}): {result.stderr.strip() or result.stdout[-300:]}")
        output = result.stdout
    finally:
        os.unlink(lua.name)
    return parse_wrk(output)


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(output: str) -> dict[str, Any]:
    def find(pattern: str, default: str = "0") -> str:
        match = re.search(pattern, output)
        return match.group(1) if match else default

    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {
        "requests_per_s": float(find(r"Requests/sec:\s+([\d.]+)")),
        "p50_ms": _ms(find(r"(?m)^\s+50%\s+(\S+)", "0ms")),
        "p99_ms": _ms(find(r"(?m)^\s+99%\s+(\S+)", "0ms")),
        "requests": int(find(r"(\d+) requests in")),
        "non_2xx": int(find(r"Non-2xx or 3xx responses: (\d+)")),
        "socket_errors": sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
    }


def submit_script() -> str:
    body = json.dumps(json.loads(CART.read_text()))
    return SUBMIT_LUA.replace("{body}", body).replace("{key}", KEY)


def reset_mock(server: Server) -> str:
    """Empty the mock (so every run starts alike and below the order limit); one fresh order to read."""
    admin = server.base.removesuffix("/v1") + "/__admin/reset"
    status, _ = _request(admin, method="POST", token=ADMIN_TOKEN)
    assert status in (200, 204), f"reset answered {status}"
    status, body = _request(f"{server.base}/carts/submit", method="POST", body=CART.read_bytes())
    assert status == 200, f"submit answered {status}"
    order_id: str = json.loads(body)["supplier_order_id"]
    return order_id


def orders_held(server: Server) -> tuple[int, bool]:
    """How many orders the mock holds (the one made by reset_mock included), and whether their ids are unique."""
    status, body = _request(server.base.removesuffix("/v1") + "/__admin/orders", token=ADMIN_TOKEN)
    assert status == 200, f"listing orders answered {status}"
    ids = [order["id"] for order in json.loads(body)]
    return len(ids) - 1, len(set(ids)) == len(ids)


def load_runs(binary: str, server: Server, connections: list[int], seconds: float, is_mock: bool) -> list[Run]:
    runs = []
    for count in connections:
        for operation in ("getOrder", "submitCart"):
            order_id = reset_mock(server) if is_mock else EXAMPLE_ORDER_ID
            if operation == "getOrder":
                url, script = f"{server.base}/orders/{order_id}", None
            else:
                url, script = f"{server.base}/carts/submit", submit_script()
            wrk(binary, url, count, min(2.0, seconds), script)  # warm-up (Node's JIT; Python's caches)
            if is_mock:
                # Requests the warm-up left in the server's queue when wrk stopped are still served: let them land
                # before the reset, or their orders count against the measured run's 200s.
                time.sleep(WARM_UP_DRAIN_S)
                order_id = reset_mock(server)
                url = f"{server.base}/orders/{order_id}" if operation == "getOrder" else url
            result = wrk(binary, url, count, seconds, script)
            run = Run(server.name, operation, count, **result)
            if is_mock and operation == "submitCart":
                run.orders_held, run.orders_unique = orders_held(server)
            held = "" if run.orders_held is None else f"  orders held {run.orders_held:,} for {run.requests:,} counted"
            print(
                f"  {server.name:<22} {operation:<10} c={count:<3} {run.requests_per_s:>8,.0f} req/s  "
                f"p50 {run.p50_ms:>7.2f} ms  p99 {run.p99_ms:>8.2f} ms  errors {run.non_2xx + run.socket_errors}{held}",
                flush=True,
            )
            runs.append(run)
    return runs


def memory_after_orders(binary: str, orders: int) -> dict[str, Any]:
    """RSS of a fresh mock (journal on, defaults) after `orders` submits, and proof it holds that many."""
    port = free_port()
    with serve("mock", mock_command(port, "--max-orders", str(orders)), f"http://127.0.0.1:{port}/v1") as server:
        before = server.rss_mb
        started = time.perf_counter()
        # Submit until the mock answers 503 'order store full': it then holds exactly `orders` orders.
        with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
            lua.write(submit_script())
            lua.flush()
            command = [binary, "-t2", "-c16", "-d600s", "-s", lua.name, f"{server.base}/carts/submit"]
            load = subprocess.Popen(command, stdout=subprocess.DEVNULL)
            try:
                while _request(f"{server.base}/carts/submit", method="POST", body=CART.read_bytes())[0] != 503:
                    time.sleep(0.25)
            finally:
                load.send_signal(signal.SIGINT)
                load.wait(timeout=10)
        elapsed = time.perf_counter() - started
        status, body = _request(f"{server.base}/carts/submit", method="POST", body=CART.read_bytes())
        full = status == 503 and b"order store full" in body
        return {
            "orders": orders,
            "rss_mb_at_start": round(before, 1),
            "rss_mb_after": round(server.rss_mb, 1),
            "kb_per_order": round((server.rss_mb - before) * 1024 / orders, 2),
            "fill_seconds": round(elapsed, 1),
            "store_full_after": full,
        }


# --- report --------------------------------------------------------------------------------------------------------


def goals(report: Report, mock: str, prism: str) -> list[dict[str, Any]]:
    found = []
    by_key = {(run.target, run.operation, run.connections): run for run in report.runs}
    for (target, operation, count), run in sorted(by_key.items()):
        other = by_key.get((prism, operation, count))
        if target != mock:
            continue
        if other is not None:
            ratio = run.requests_per_s / other.requests_per_s if other.requests_per_s else float("inf")
            found.append({"goal": f"{operation} c={count}: mock/Prism throughput >= 1.0", "value": round(ratio, 2),
                          "met": ratio >= 1.0})  # fmt: skip
            found.append({"goal": f"{operation} c={count}: mock p99 <= Prism p99 ({other.p99_ms:.1f} ms)",
                          "value": run.p99_ms, "met": run.p99_ms <= other.p99_ms})  # fmt: skip
        found.append({"goal": f"{operation} c={count}: no errors", "value": run.non_2xx + run.socket_errors,
                      "met": run.non_2xx + run.socket_errors == 0})  # fmt: skip
        if run.orders_held is not None:
            lost_or_extra = run.orders_held - (run.requests - run.non_2xx)
            found.append({"goal": f"{operation} c={count}: every 200 is an order, none twice (held - counted in "
                          f"0..{count})", "value": lost_or_extra,
                          "met": 0 <= lost_or_extra <= count and bool(run.orders_unique)})  # fmt: skip
    if mock in report.h2c_body_kept:
        found.append({"goal": "a submit offering an h2c upgrade keeps its body (Java clients)",
                      "value": report.h2c_body_kept[mock], "met": report.h2c_body_kept[mock]})  # fmt: skip
    startup = report.startup_s.get(mock)
    if startup:
        median = statistics.median(startup)
        found.append({"goal": f"mock start-up median < {GOAL_STARTUP_S} s", "value": round(median, 3),
                      "met": median < GOAL_STARTUP_S})  # fmt: skip
    return found


def markdown(report: Report) -> str:
    lines = [f"# make bench ({report.machine}, {report.duration_s:g} s per run, wrk -t2, loopback)", ""]
    lines += [
        "| target | operation | conns | req/s | p50 ms | p99 ms | errors | x Prism | orders held / 200s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    prism = {(run.operation, run.connections): run for run in report.runs if run.target == "prism"}
    for run in report.runs:
        other = prism.get((run.operation, run.connections))
        ratio = f"{run.requests_per_s / other.requests_per_s:.2f}" if other and other.requests_per_s else "-"
        held = "-" if run.orders_held is None else f"{run.orders_held:,} / {run.requests - run.non_2xx:,}"
        lines.append(
            f"| {run.target} | {run.operation} | {run.connections} | {run.requests_per_s:,.0f} | {run.p50_ms:.2f} | "
            f"{run.p99_ms:.2f} | {run.non_2xx + run.socket_errors} | {ratio} | {held} |"
        )
    startups = [f"{name} {' / '.join(f'{value:.2f}' for value in values)}" for name, values in report.startup_s.items()]
    lines += ["", "Start-up to first answer (s): " + ", ".join(startups)]
    if report.memory:
        memory = report.memory
        lines.append(
            f"Memory: {memory['rss_mb_at_start']} MB at start, {memory['rss_mb_after']} MB after {memory['orders']:,} "
            f"orders ({memory['kb_per_order']} KB an order, filled in {memory['fill_seconds']} s; next submit "
            f"503 'order store full': {memory['store_full_after']})"
        )
    if report.h2c_body_kept:
        kept = [f"{name} {'yes' if ok else 'NO (400)'}" for name, ok in report.h2c_body_kept.items()]
        lines.append("Submit offering an h2c upgrade (Java's HttpClient) answered 200: " + ", ".join(kept))
    for name, reason in report.skipped.items():
        lines.append(f"Not run: {name}: {reason}")
    lines += ["", "| goal | value | met |", "|---|---|---|"]
    lines += [f"| {goal['goal']} | {goal['value']} | {'yes' if goal['met'] else 'NO'} |" for goal in report.goals]
    return "\n".join(lines) + "\n"


def _at_least(low: int) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be {low} or more, not {value}")
        return value

    return parse


def _connection_counts(text: str) -> list[int]:
    counts = [_at_least(2)(part.strip()) for part in text.split(",") if part.strip()]  # wrk: connections >= threads
    if not counts:
        raise argparse.ArgumentTypeError("give at least one connection count, e.g. 16,64")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--duration", type=_at_least(1), default=8, help="whole seconds of load per run (default %(default)s)"
    )
    parser.add_argument(
        "--connections", type=_connection_counts, default="16,64", help="comma-separated (default %(default)s)"
    )
    parser.add_argument(
        "--orders", type=_at_least(0), default=100_000, help="orders for the memory figure, 0 to skip (default 100000)"
    )
    parser.add_argument(
        "--startups", type=_at_least(1), default=3, help="start-ups timed per server (default %(default)s)"
    )
    parser.add_argument("--no-prism", action="store_true", help="measure the mock only")
    parser.add_argument("--no-reference", action="store_true", help="skip the mock with --no-fast-path")
    parser.add_argument(
        "--compare-stacks",
        action="store_true",
        help=f"also serve the mock on the stacks it was compared with ({', '.join(PROTOCOLS)}; bench/stacks.py)",
    )
    parser.add_argument(
        "--output", type=Path, default=ROOT / "reports", help="folder for bench.json and bench.md (default reports/)"
    )
    args = parser.parse_args(argv)
    connections: list[int] = args.connections

    binary = find_wrk()
    prism, why_not = (None, "--no-prism") if args.no_prism else find_prism()
    report = Report(machine=f"{os.cpu_count()} cores, {sys.platform}", duration_s=args.duration)
    if prism is None:
        report.skipped["prism"] = why_not
        print(f"bench: Prism not run: {why_not}", flush=True)

    targets: list[tuple[str, Any]] = [("mock", lambda port: mock_command(port))]
    if not args.no_reference:
        targets.append(("mock --no-fast-path", lambda port: mock_command(port, "--no-fast-path")))
    if args.compare_stacks:
        targets += [(f"mock on {stack}", lambda port, stack=stack: stack_command(stack, port)) for stack in PROTOCOLS]
    if prism is not None:
        targets.append(("prism", lambda port: prism_command(prism, port)))
    print(f"bench: {args.duration:g} s per run, connections {connections}", flush=True)
    for name, command in targets:
        report.startup_s[name] = []
        for attempt in range(max(args.startups, 1)):
            port = free_port()
            base = f"http://127.0.0.1:{port}" + ("" if name == "prism" else "/v1")
            with serve(name, command(port), base) as server:
                report.startup_s[name].append(round(server.startup_s, 3))
                if attempt == 0 and name != "prism":
                    report.h2c_body_kept[name] = h2c_offer_keeps_body(base, CART.read_bytes(), KEY)
                if attempt == 0:
                    report.runs += load_runs(binary, server, connections, args.duration, is_mock=name != "prism")
    if args.orders:
        print(f"bench: filling a fresh mock with {args.orders:,} orders", flush=True)
        report.memory = memory_after_orders(binary, args.orders)
    report.goals = goals(report, "mock", "prism")
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "bench.json").write_text(json.dumps(asdict(report), indent=2) + "\n")
    text = markdown(report)
    (args.output / "bench.md").write_text(text)
    print("\n" + text + f"\nwritten: {args.output / 'bench.json'}, {args.output / 'bench.md'}")
    return 0 if all(goal["met"] for goal in report.goals) else 1


if __name__ == "__main__":
    sys.exit(main())
