"""The bench's results: runs, the goals of issue 5 and their check, the progress lines, reports/bench.{json,md}."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypedDict

# The report's names for the mock as `make mock` runs it and for Prism: the goals compare these two.
MOCK = "mock"
PRISM = "prism"
GOAL_STARTUP_S = 1.5


@dataclass
class Run:
    """One measured run: a target, an operation and a connection count under wrk."""

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

    @property
    def errors(self) -> int:
        """Answers that were not 2xx or 3xx, and socket errors."""
        return self.non_2xx + self.socket_errors


class Goal(TypedDict):
    """One goal, the value measured for it, and whether it was met."""

    goal: str
    value: float | int | bool
    met: bool


@dataclass
class Report:
    """Everything one `make bench` measured, as written to reports/bench.json."""

    machine: str
    duration_s: float
    runs: list[Run] = field(default_factory=list)
    startup_s: dict[str, list[float]] = field(default_factory=dict)
    memory: dict[str, Any] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    # Whether each mock answers 200 to a submit offering an h2c upgrade (as Java's HttpClient sends it).
    h2c_body_kept: dict[str, bool] = field(default_factory=dict)
    goals: list[Goal] = field(default_factory=list)


def goals(report: Report, mock: str, prism: str) -> list[Goal]:
    """The goals for the target named `mock`, compared with the one named `prism` where it ran."""
    found: list[Goal] = []
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
        found.append({"goal": f"{operation} c={count}: no errors", "value": run.errors, "met": run.errors == 0})
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


def all_met(report: Report) -> bool:
    """Whether every goal of the report was met."""
    return all(goal["met"] for goal in report.goals)


def progress_line(run: Run) -> str:
    """The line printed when a run ends."""
    held = "" if run.orders_held is None else f"  orders held {run.orders_held:,} for {run.requests:,} counted"
    return (
        f"  {run.target:<22} {run.operation:<10} c={run.connections:<3} {run.requests_per_s:>8,.0f} req/s  "
        f"p50 {run.p50_ms:>7.2f} ms  p99 {run.p99_ms:>8.2f} ms  errors {run.errors}{held}"
    )


def markdown(report: Report) -> str:
    """reports/bench.md: the runs (with the ratio to Prism), start-ups, memory, the h2c check and the goals."""
    lines = [f"# make bench ({report.machine}, {report.duration_s:g} s per run, wrk -t2, loopback)", ""]
    lines += [
        "| target | operation | conns | req/s | p50 ms | p99 ms | errors | x Prism | orders held / 200s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    prism = {(run.operation, run.connections): run for run in report.runs if run.target == PRISM}
    for run in report.runs:
        other = prism.get((run.operation, run.connections))
        ratio = f"{run.requests_per_s / other.requests_per_s:.2f}" if other and other.requests_per_s else "-"
        held = "-" if run.orders_held is None else f"{run.orders_held:,} / {run.requests - run.non_2xx:,}"
        lines.append(
            f"| {run.target} | {run.operation} | {run.connections} | {run.requests_per_s:,.0f} | {run.p50_ms:.2f} | "
            f"{run.p99_ms:.2f} | {run.errors} | {ratio} | {held} |"
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


def write_report(report: Report, folder: Path) -> tuple[Path, Path, str]:
    """Write bench.json and bench.md into `folder`; their paths and the Markdown text."""
    folder.mkdir(parents=True, exist_ok=True)
    json_path, markdown_path = folder / "bench.json", folder / "bench.md"
    json_path.write_text(json.dumps(asdict(report), indent=2) + "\n")
    text = markdown(report)
    markdown_path.write_text(text)
    return json_path, markdown_path, text
