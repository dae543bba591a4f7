"""The benchmark's own logic: reading wrk's report, where each server's API starts, and judging the goals (the load
itself runs in `make bench`)."""

from __future__ import annotations

import re

import pytest

from bench import BenchError
from bench.report import Report, Run, goals, markdown
from bench.servers import mock_target, prism_target, stack_target
from bench.wrk import find_wrk, parse_wrk

WRK_OUTPUT = """Running 8s test @ http://127.0.0.1:8080/v1/carts/submit
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.61ms    1.20ms  40.51ms   72.50%
    Req/Sec     2.20k   150.00     2.50k    68.75%
  Latency Distribution
     50%    3.44ms
     75%    4.01ms
     90%    4.80ms
     99%    1.20s
  35056 requests in 8.00s, 6.69MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   4382.00
Transfer/sec:    856.01KB
"""


def test_wrk_report_is_read_from_its_distribution_not_its_stdev_column() -> None:
    assert parse_wrk(WRK_OUTPUT) == {
        "requests_per_s": 4382.0,
        "p50_ms": 3.44,
        "p99_ms": 1200.0,
        "requests": 35056,
        "non_2xx": 4,
        "socket_errors": 3,
    }


def test_a_latency_wrk_prints_in_an_unknown_unit_is_a_bench_error_not_a_crash() -> None:
    with pytest.raises(BenchError, match=re.escape("'3.44xs'")):
        parse_wrk(WRK_OUTPUT.replace("3.44ms", "3.44xs"))


def test_missing_wrk_is_a_bench_error_when_it_cannot_be_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(BenchError, match="wrk is needed"):
        find_wrk()


def test_each_target_carries_where_its_partner_api_starts() -> None:
    # The mock serves the spec under /v1, Prism at its root; a target's name plays no part in it.
    assert mock_target("mock").base_url(8080) == "http://127.0.0.1:8080/v1"
    assert stack_target("prism", "uvicorn-h11").base_url(8080) == "http://127.0.0.1:8080/v1"
    assert prism_target("mock", ["prism"]).base_url(8080) == "http://127.0.0.1:8080"
    assert prism_target("prism", ["prism"]).command(8080)[:5] == ["prism", "mock", "-p", "8080", "-v"]
    assert mock_target("mock").is_mock and not prism_target("prism", ["prism"]).is_mock


def _run(
    target: str,
    operation: str,
    rps: float,
    p99: float,
    *,
    orders_held: int | None = None,
    orders_unique: bool | None = None,
) -> Run:
    return Run(target, operation, 16, rps, 1.0, p99, 1000, 0, 0, orders_held, orders_unique)


def test_goals_compare_with_prism_and_check_every_order_is_held_once() -> None:
    report = Report(machine="test", duration_s=1)
    report.runs = [
        _run("mock", "submitCart", 2000, 5.0, orders_held=1010, orders_unique=True),
        _run("mock", "getOrder", 900, 50.0),
        _run("prism", "submitCart", 1000, 30.0),
        _run("prism", "getOrder", 1000, 30.0),
    ]
    report.startup_s = {"mock": [0.8, 2.0, 0.9]}
    met = {goal["goal"]: goal["met"] for goal in goals(report, "mock", "prism")}
    assert met["submitCart c=16: mock/Prism throughput >= 1.0"] is True
    assert met["getOrder c=16: mock/Prism throughput >= 1.0"] is False
    assert met["getOrder c=16: mock p99 <= Prism p99 (30.0 ms)"] is False
    assert met["submitCart c=16: every 200 is an order, none twice (held - counted in 0..16)"] is True
    assert met["mock start-up median < 1.5 s"] is True
    report.runs[0].orders_held = 1017  # more orders than 200s plus requests in flight: an order was duplicated
    met = {goal["goal"]: goal["met"] for goal in goals(report, "mock", "prism")}
    assert met["submitCart c=16: every 200 is an order, none twice (held - counted in 0..16)"] is False
    assert "| mock | submitCart | 16 | 2,000 |" in markdown(report)
