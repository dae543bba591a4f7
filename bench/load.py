"""The measurements: wrk runs on each operation, start-up times, the h2c check, and memory after many orders."""

from __future__ import annotations

import time
from typing import Any

from bench.report import MOCK, Report, Run, progress_line
from bench.servers import Server, Target, mock_target, orders_held, reset_mock, serve, submit_cart
from bench.stacks import h2c_offer_keeps_body
from bench.workload import EXAMPLE_ORDER_ID, KEY, cart_body, submit_script
from bench.wrk import run_wrk, wrk_in_background

OPERATIONS = ("getOrder", "submitCart")
WARM_UP_S = 2.0
WARM_UP_DRAIN_S = 1.0


def measure_target(report: Report, wrk: str, target: Target, connections: list[int], startups: int) -> None:
    """Start `target` `startups` times for its start-up time; on the first start, the h2c check and the load runs."""
    report.startup_s[target.name] = []
    for attempt in range(max(startups, 1)):
        with serve(target) as server:
            report.startup_s[target.name].append(round(server.startup_s, 3))
            if attempt == 0 and target.is_mock:
                report.h2c_body_kept[target.name] = h2c_offer_keeps_body(server.base_url, cart_body(), KEY)
            if attempt == 0:
                report.runs += load_runs(wrk, server, connections, report.duration_s)


def load_runs(wrk: str, server: Server, connections: list[int], seconds: float) -> list[Run]:
    """Both operations at each connection count, each after a warm-up; a mock is reset before each run."""
    runs = []
    for count in connections:
        for operation in OPERATIONS:
            run = _load_run(wrk, server, operation, count, seconds)
            print(progress_line(run), flush=True)
            runs.append(run)
    return runs


def _load_run(wrk: str, server: Server, operation: str, connections: int, seconds: float) -> Run:
    is_mock = server.target.is_mock
    order_id = reset_mock(server) if is_mock else EXAMPLE_ORDER_ID
    if operation == "getOrder":
        url, script = f"{server.base_url}/orders/{order_id}", None
    else:
        url, script = f"{server.base_url}/carts/submit", submit_script()
    headers = [] if script else [f"Authorization: Bearer {KEY}"]
    run_wrk(wrk, url, connections, min(WARM_UP_S, seconds), script=script, headers=headers)  # Node's JIT, caches
    if is_mock:
        # Requests the warm-up left in the server's queue when wrk stopped are still served: let them land
        # before the reset, or their orders count against the measured run's 200s.
        time.sleep(WARM_UP_DRAIN_S)
        order_id = reset_mock(server)
        url = f"{server.base_url}/orders/{order_id}" if operation == "getOrder" else url
    measured = run_wrk(wrk, url, connections, seconds, script=script, headers=headers)
    run = Run(server.name, operation, connections, **measured)
    if is_mock and operation == "submitCart":
        run.orders_held, run.orders_unique = orders_held(server)
    return run


def memory_after_orders(wrk: str, orders: int) -> dict[str, Any]:
    """RSS of a fresh mock (journal on, defaults) after `orders` submits, and proof it holds that many."""
    with serve(mock_target(MOCK, "--max-orders", str(orders))) as server:
        before = server.rss_mb
        started = time.perf_counter()
        # Submit until the mock answers 503 'order store full': it then holds exactly `orders` orders.
        with wrk_in_background(wrk, f"{server.base_url}/carts/submit", submit_script()):
            while submit_cart(server.base_url)[0] != 503:
                time.sleep(0.25)
        elapsed = time.perf_counter() - started
        status, body = submit_cart(server.base_url)
        full = status == 503 and b"order store full" in body
        return {
            "orders": orders,
            "rss_mb_at_start": round(before, 1),
            "rss_mb_after": round(server.rss_mb, 1),
            "kb_per_order": round((server.rss_mb - before) * 1024 / orders, 2),
            "fill_seconds": round(elapsed, 1),
            "store_full_after": full,
        }
