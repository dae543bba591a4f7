"""`jafarshop-contract` (`python -m contract_tests`): run the suite against the target, or against a mock it starts."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from contract_tests.target import DEFAULT_EXAMPLES, SETTINGS

HERE = Path(__file__).resolve().parent
DEFAULT_REPORT = Path("reports") / "contract-junit.xml"


def build_parser() -> argparse.ArgumentParser:
    settings = "\n".join(f"  {s.env:<26} {s.help}" for s in SETTINGS.values())
    parser = argparse.ArgumentParser(
        prog="jafarshop-contract",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Verify a JafarShop B2B API implementation against the partner guide and the OpenAPI contract.\n"
            "Exits 0 when no contract violation was found, 1 when one was, other codes on a usage error."
        ),
        epilog=(
            f"The target is read from the environment:\n{settings}\n\n"
            "Without JAFARSHOP_BASE_URL, the mock (jafarshop-mock) is started on a free port with the kit's\n"
            "fixtures/default.yaml and stopped after the run. Arguments after -- go to pytest (for example\n"
            "-- -k idempotency -x). Also `python -m contract_tests`."
        ),
    )
    parser.add_argument(
        "--examples", type=int, help=f"examples per generated test (JAFARSHOP_EXAMPLES; default {DEFAULT_EXAMPLES})"
    )
    parser.add_argument(
        "--shrink", action="store_true", help="minimise failing examples (JAFARSHOP_SHRINK=1); sends more requests"
    )
    parser.add_argument("--max-orders", type=int, help="cap on orders the run may create (JAFARSHOP_MAX_ORDERS)")
    parser.add_argument(
        "--workers",
        type=_positive,
        default=os.environ.get("JAFARSHOP_WORKERS", "1"),
        help="test processes in parallel (JAFARSHOP_WORKERS; default %(default)s), each sending its own share of "
        "the same cases; the order cap is shared out. Pays off when the run waits on the network: on 2 cores, with "
        "20 ms added to every answer, 4 workers took 32 s where 1 took 42 s. Against the local mock on 2 cores it "
        "does not (the run is CPU-bound: 14.6 s with 2 workers, 13.6 s with 1).",
    )
    parser.add_argument(
        "--report", type=Path, default=DEFAULT_REPORT, help="JUnit XML report path (default %(default)s)"
    )
    parser.add_argument("pytest_args", nargs=argparse.REMAINDER, help="arguments for pytest, after --")
    return parser


@contextmanager
def local_mock() -> Iterator[dict[str, str]]:
    """Start the mock on a free port with the default fixtures; yield the environment that points at it."""
    from mockserver.fixtures import load_fixtures
    from mockserver.state import DEFAULT_ADMIN_TOKEN

    fixtures = load_fixtures()
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "--port", "0", "--log-level", "warning"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        match = re.search(r"(http://\S+/v1)", banner)
        if not match:
            raise SystemExit(f"contract_tests: the mock did not start: {banner}{process.stdout.read()}")
        base_url = match.group(1)
        _wait_until_listening(base_url, process)
        print(f"No JAFARSHOP_BASE_URL: started the mock at {base_url} with {fixtures.source}", flush=True)
        yield {
            "JAFARSHOP_BASE_URL": base_url,
            "JAFARSHOP_API_KEY": fixtures.partners[0].api_key,
            "JAFARSHOP_OTHER_API_KEY": fixtures.partners[1].api_key if len(fixtures.partners) > 1 else "",
            "JAFARSHOP_MAPPED_SKUS": ",".join(entry.sku for entry in fixtures.catalogue),
            "JAFARSHOP_UNMAPPED_SKU": "YOUR-SKU-123",
            "JAFARSHOP_ADMIN_TOKEN": fixtures.admin_token or DEFAULT_ADMIN_TOKEN,
        }
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_until_listening(base_url: str, process: subprocess.Popen[str], timeout: float = 30.0) -> None:
    # urllib, not httpx: importing httpx here would import anyio's pytest plugin before pytest can rewrite it.
    # A generous timeout for a cold first start on a busy machine; a mock that died is reported at once.
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(f"{base_url}/openapi.json", timeout=1.0).close()
            return
        except OSError:
            if process.poll() is not None:
                output = process.stdout.read() if process.stdout else ""
                raise SystemExit(
                    f"contract_tests: the mock at {base_url} exited with code {process.returncode}:\n{output}"
                ) from None
            if time.monotonic() > deadline:
                raise SystemExit(
                    f"contract_tests: the mock at {base_url} did not answer within {timeout:.0f} s"
                ) from None
            time.sleep(0.05)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def run_pytest(args: argparse.Namespace) -> int:
    """Run the suite in its own process, so that nothing imported here (the mock, connexion) leaks into it."""
    args.report.parent.mkdir(parents=True, exist_ok=True)
    extra = [arg for arg in args.pytest_args if arg != "--"]
    command = [sys.executable, "-m", "pytest", "-c", str(HERE / "pytest.ini"), "--rootdir", str(HERE)]
    if args.workers > 1:  # worksteal: the few long schemathesis tests do not queue behind each other
        command += ["-n", str(args.workers), "--dist", "worksteal"]
    return subprocess.call([*command, f"--junitxml={args.report}", str(HERE), *extra])


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite; return pytest's exit code."""
    args = build_parser().parse_args(argv)
    if args.examples is not None:
        os.environ["JAFARSHOP_EXAMPLES"] = str(args.examples)
    if args.shrink:
        os.environ["JAFARSHOP_SHRINK"] = "1"
    if args.max_orders is not None:
        os.environ["JAFARSHOP_MAX_ORDERS"] = str(args.max_orders)
    started = time.monotonic()
    if os.environ.get("JAFARSHOP_BASE_URL"):
        code = run_pytest(args)
    else:
        with local_mock() as environment:
            os.environ.update(environment)
            code = run_pytest(args)
    print(f"contract run: {time.monotonic() - started:.1f} s; JUnit report: {args.report}", flush=True)
    return code
