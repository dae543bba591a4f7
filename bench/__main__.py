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
import os
import sys
from collections.abc import Callable
from pathlib import Path

from bench import ROOT, BenchError
from bench.load import measure_target, memory_after_orders
from bench.report import MOCK, PRISM, Report, all_met, goals, write_report
from bench.servers import Target, find_prism, mock_target, prism_target, stack_target
from bench.stacks import PROTOCOLS
from bench.wrk import THREADS, find_wrk


def _at_least(low: int) -> Callable[[str], int]:
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
    counts = [_at_least(THREADS)(part.strip()) for part in text.split(",") if part.strip()]
    if not counts:
        raise argparse.ArgumentTypeError("give at least one connection count, e.g. 16,64")
    return counts


def _parser() -> argparse.ArgumentParser:
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
    return parser


def _bench(args: argparse.Namespace) -> int:
    connections: list[int] = args.connections
    wrk = find_wrk()
    prism, why_not = (None, "--no-prism") if args.no_prism else find_prism()
    report = Report(machine=f"{os.cpu_count()} cores, {sys.platform}", duration_s=args.duration)
    if prism is None:
        report.skipped[PRISM] = why_not
        print(f"bench: Prism not run: {why_not}", flush=True)

    targets: list[Target] = [mock_target(MOCK)]
    if not args.no_reference:
        targets.append(mock_target(f"{MOCK} --no-fast-path", "--no-fast-path"))
    if args.compare_stacks:
        targets += [stack_target(f"{MOCK} on {stack}", stack) for stack in PROTOCOLS]
    if prism is not None:
        targets.append(prism_target(PRISM, prism))
    print(f"bench: {args.duration:g} s per run, connections {connections}", flush=True)
    for target in targets:
        measure_target(report, wrk, target, connections, args.startups)
    if args.orders:
        print(f"bench: filling a fresh mock with {args.orders:,} orders", flush=True)
        report.memory = memory_after_orders(wrk, args.orders)
    report.goals = goals(report, MOCK, PRISM)
    json_path, markdown_path, text = write_report(report, args.output)
    print("\n" + text + f"\nwritten: {json_path}, {markdown_path}")
    return 0 if all_met(report) else 1


def main(argv: list[str] | None = None) -> int:
    """Run the bench; 0 when every goal is met, 1 when one is missed or the bench cannot go on."""
    args = _parser().parse_args(argv)
    try:
        return _bench(args)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
