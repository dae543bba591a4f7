"""`jafarshop-contract` (`python -m contract_tests`): run the suite against the target, or against a mock it starts."""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from contract_tests.exit_codes import ExitCode, from_pytest, help_table
from contract_tests.preflight import Preflight, SetupError, TargetUnreachable
from contract_tests.target import (
    COVERAGE_SCOPES,
    DEFAULT_EXAMPLES,
    DEFAULT_TIME_BUDGET,
    SETTINGS,
    Target,
    TargetError,
    required_coverage,
    resolve_target,
    values_from_environment,
)
from jafarshop_kit import junit
from jafarshop_kit.flags import ALLOWED, FlagError, env_flag

HERE = Path(__file__).resolve().parent
# The suite's options as a plugin, known to pytest from its first parse of the command line (contract_tests/options.py).
OPTIONS = ["-p", "contract_tests.options"]
DEFAULT_REPORT = Path("reports") / "contract-junit.xml"
JUNIT_SUITE = "jafarshop-contract"  # pytest.ini's junit_suite_name: the cases the runner adds go in pytest's suite
# What the contract suite imports beyond the base install: the `contract` extra.
CONTRACT_MODULES = ("pytest", "hypothesis", "schemathesis", "httpx", "xdist", "openapi_schema_validator")


class UsageError(Exception):
    """A command line argparse refuses; the message says what is wrong."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see --help)")


def _description() -> str:
    """--help's text above the options: what the command does, its exit codes, its reports."""
    return (
        "Verify a JafarShop B2B API implementation against the partner guide and the OpenAPI contract.\n"
        "A pre-flight first checks that the settings lead to the API (a few requests, one order); a target that\n"
        "does not answer is asked again for JAFARSHOP_CONNECT_WAIT seconds (default 7: after 1, 2 and 4 s).\n"
        f"Exit codes:\n{help_table()}\n"
        "A deploy gate fails closed: in CI every non-zero code fails the job (no recipe tolerates any of them).\n"
        "Reports: the JUnit XML (one failed case with the line when the run gave no verdict or its coverage was\n"
        "incomplete), contract-coverage.json/.md beside it (documented statuses seen, guide rules checked) and\n"
        "contract-orders.csv (every order the run created, for a staging to clean them up)."
    )


def _epilog() -> str:
    """--help's text below the options: the environment the target is read from."""
    settings = "\n".join(f"  {s.env:<26} {s.help}" for s in SETTINGS.values())
    return (
        f"The target is read from the environment:\n{settings}\n"
        f"  {'JAFARSHOP_WORKERS':<26} test processes in parallel (same as --workers)\n"
        f"  {'JAFARSHOP_SKIP_PREFLIGHT':<26} 1 to skip the pre-flight (same as --skip-preflight)\n"
        f"  {'JAFARSHOP_REQUIRE_FULL_COVERAGE':<26} partner or all (same as --require-full-coverage=...)\n"
        f"Yes/no variables take {ALLOWED}; unset or empty is no.\n\n"
        "Without JAFARSHOP_BASE_URL, the mock (jafarshop-mock) is started on a free port with the kit's\n"
        "fixtures/default.yaml and stopped after the run. Arguments after -- go to pytest (for example\n"
        "-- -k idempotency -x). Also `python -m contract_tests`."
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="jafarshop-contract",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=_description(),
        epilog=_epilog(),
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
        "--require-full-coverage",
        nargs="?",
        const="all",
        choices=COVERAGE_SCOPES,
        metavar="partner|all",
        help="exit 4 when no violation was found but a documented status was never seen or a rule went unchecked or "
        "only partly checked. `partner`: the rules the partner API alone can check (for staging and production); "
        "`all` (the default when given bare): the supplier-side rules too (moving orders, rotating keys: they need "
        "the kit mock's admin API and JAFARSHOP_ADMIN_TOKEN) [env JAFARSHOP_REQUIRE_FULL_COVERAGE=partner|all]",
    )
    parser.add_argument(
        "--skip-preflight",
        action="store_true",
        default=None,
        help="do not check the settings against the target first (a wrong one then fails many tests) "
        "[env JAFARSHOP_SKIP_PREFLIGHT=1]",
    )
    parser.add_argument(
        "--report", type=Path, default=DEFAULT_REPORT, help="JUnit XML report path (default %(default)s)"
    )
    parser.add_argument("pytest_args", nargs=argparse.REMAINDER, help="arguments for pytest, after --")
    return parser


@contextmanager
def local_mock() -> Iterator[dict[str, str]]:
    """Start the mock on a free port with the default fixtures; yield the environment that points at it."""
    from mockserver.model.fixtures import load_fixtures
    from mockserver.model.state import DEFAULT_ADMIN_TOKEN

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
            output = " ".join((banner + process.stdout.read()).split())
            raise Stop(
                ExitCode.USAGE, f"the mock this run starts (no JAFARSHOP_BASE_URL) did not start: {output[:500]}"
            )
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
                raise Stop(
                    ExitCode.USAGE,
                    f"the mock at {base_url} exited with code {process.returncode}: {' '.join(output.split())}",
                ) from None
            if time.monotonic() > deadline:
                raise Stop(
                    ExitCode.UNREACHABLE, f"the mock at {base_url} did not answer within {timeout:.0f} s"
                ) from None
            time.sleep(0.05)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


@dataclass
class PytestRun:
    """How the suite's pytest session ended: its exit code and the last line it printed (for a crash's report)."""

    code: int
    last_line: str


def run_pytest(args: argparse.Namespace, preflight: Preflight | None = None) -> PytestRun:
    """Run the suite in its own process, so that nothing imported here (the mock, connexion) leaks into it. Its output
    is passed through as it comes; the last lines are kept, so that a crash's JUnit case can carry its last line."""
    args.report.parent.mkdir(parents=True, exist_ok=True)
    extra = [arg for arg in args.pytest_args if arg != "--"]
    command = [sys.executable, "-m", "pytest", "-c", str(HERE / "pytest.ini"), "--rootdir", str(HERE), *OPTIONS]
    if args.workers > 1:  # worksteal: the few long schemathesis tests do not queue behind each other
        command += ["-n", str(args.workers), "--dist", "worksteal"]
    if args.require_full_coverage:
        command.append(f"--jafarshop-require-full-coverage={args.require_full_coverage}")
    if preflight is not None:  # its orders count against the cap; its requests and answers in the coverage
        seen = {
            "orders": preflight.orders_created,
            "created": preflight.created,
            "requests": preflight.requests,
            "statuses": [[operation, status, n] for (operation, status), n in preflight.statuses.items()],
            "server_errors": preflight.server_errors,
        }
        command.append(f"--jafarshop-preflight={json.dumps(seen)}")
    coverage = f"--jafarshop-coverage={coverage_base(args)}"
    process = subprocess.Popen(
        [*command, f"--junitxml={args.report}", coverage, str(HERE), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    last: deque[str] = deque(maxlen=40)
    assert process.stdout is not None
    for line in process.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        if line.strip():
            last.append(line.rstrip())
    code = process.wait()
    return PytestRun(code, _last_meaningful(last))


def _last_meaningful(lines: deque[str]) -> str:
    """The line that says why a session crashed: argparse's error line (an unknown option: pytest prints its usage
    line first), else its last INTERNALERROR or error line, else its last line."""
    for line in reversed(lines):
        if ": error: " in line:
            return line.strip()
    for line in reversed(lines):
        if line.startswith("ERROR: usage:"):
            continue
        if line.startswith(("INTERNALERROR> ", "ERROR: ", "E   ")) and line.split(">", 1)[-1].strip():
            return line.strip()
    return lines[-1].strip() if lines else "(the session printed nothing)"


def coverage_base(args: argparse.Namespace) -> Path:
    """Where the coverage report goes: contract-coverage.json and .md beside the JUnit report."""
    base: Path = args.report.parent / "contract-coverage"
    return base


def preflight(target: Target) -> Preflight:
    """Check the settings against the target (see preflight.py); return what it did, or raise Stop."""
    check = Preflight(target)
    try:
        check.run()
    except TargetUnreachable as exc:
        raise Stop(ExitCode.UNREACHABLE, f"pre-flight: {exc}") from None
    except SetupError as exc:
        raise Stop(ExitCode.SETTINGS, f"pre-flight: {exc}") from None
    created = f"{check.orders_created} order{'s' if check.orders_created != 1 else ''} created"
    print(f"pre-flight: {'; '.join([*check.confirmed, created])}", flush=True)
    for note in check.notes:
        print(f"pre-flight: note: {note}", flush=True)
    return check


# Settings that describe a target: when any is set, the run is against that target and JAFARSHOP_BASE_URL must be set
# too (a CI variable that came in empty must not turn the run into a run against a mock started here).
TARGET_SETTINGS = (SETTINGS["api_key"], SETTINGS["other_api_key"], SETTINGS["mapped_skus"], SETTINGS["admin_token"])


def _report_in(argv: Sequence[str]) -> Path:
    """The --report path of a command line argparse refused, or the default."""
    for index, arg in enumerate(argv):
        if arg == "--":
            break
        if arg.startswith("--report="):
            return Path(arg.split("=", 1)[1])
        if arg == "--report" and index + 1 < len(argv):
            return Path(argv[index + 1])
    return DEFAULT_REPORT


def _remove_reports(report: Path) -> None:
    """An earlier run's reports go first: this run's stand alone, or none do."""
    base = report.parent / "contract-coverage"
    for path in (report, base.with_suffix(".json"), base.with_suffix(".md")):
        if path.is_file():
            path.unlink()


def _writable(report: Path) -> bool:
    """Whether the report can be written: not a folder, and its nearest existing folder is one this run may write."""
    if report.is_dir():
        return False
    nearest = next(parent for parent in report.absolute().parents if parent.exists())
    return nearest.is_dir() and os.access(nearest, os.W_OK)


def _settings_from_environment(args: argparse.Namespace) -> None:
    """The options' environment fallbacks, checked; options go to the suite's process through the environment."""
    given = [setting.env for setting in TARGET_SETTINGS if os.environ.get(setting.env)]
    if given and not os.environ.get("JAFARSHOP_BASE_URL", "").strip():
        state = "empty" if "JAFARSHOP_BASE_URL" in os.environ else "not set"
        verb = "is" if len(given) == 1 else "are"
        raise Stop(ExitCode.USAGE, f"JAFARSHOP_BASE_URL is {state}, yet {', '.join(given)} {verb} set: point "
                   "JAFARSHOP_BASE_URL at the API (e.g. https://staging-api.jafarshop.com/v1), or unset them all to "
                   "run against a mock this command starts")  # fmt: skip
    try:
        if args.skip_preflight is None:
            args.skip_preflight = env_flag("JAFARSHOP_SKIP_PREFLIGHT")
        if args.require_full_coverage is None:
            raw = os.environ.get("JAFARSHOP_REQUIRE_FULL_COVERAGE")
            args.require_full_coverage = required_coverage("JAFARSHOP_REQUIRE_FULL_COVERAGE", raw)
    except (FlagError, TargetError) as exc:
        raise Stop(ExitCode.USAGE, str(exc)) from None
    if args.examples is not None:
        os.environ["JAFARSHOP_EXAMPLES"] = str(args.examples)
    if args.shrink:
        os.environ["JAFARSHOP_SHRINK"] = "1"
    if args.max_orders is not None:
        os.environ["JAFARSHOP_MAX_ORDERS"] = str(args.max_orders)


class Stop(Exception):
    """End the run with `code` and one line."""

    def __init__(self, code: ExitCode, line: str) -> None:
        super().__init__(line)
        self.code = code


def _verify(args: argparse.Namespace) -> ExitCode:
    """Resolve the target, pre-flight it, run the suite; return the documented exit code."""
    try:
        target = resolve_target(values_from_environment())
    except TargetError as exc:
        raise Stop(ExitCode.USAGE, str(exc)) from None
    if target.max_orders is not None:
        _check_the_cap(args, target)
    check = None if args.skip_preflight else preflight(target)
    created = check.orders_created if check else 0
    if target.max_orders is not None and created >= target.max_orders:
        raise Stop(ExitCode.USAGE, f"JAFARSHOP_MAX_ORDERS={target.max_orders} leaves no order for the tests after "
                   f"the pre-flight's {created}: raise it (or --skip-preflight)")  # fmt: skip
    session = run_pytest(args, check)
    code = from_pytest(session.code)
    if code == ExitCode.UNREACHABLE:  # the target stopped answering: its failures are no verdict to publish
        _remove_coverage(args)
        write_stopped_report(args.report, code, "the target stopped answering during the run: no verdict")
    elif code == ExitCode.CRASH:
        _remove_coverage(args)
        write_stopped_report(
            args.report, code, f"the suite's pytest session ended with pytest's exit code {session.code}: "
            f"{session.last_line}"
        )  # fmt: skip
    elif code == ExitCode.OUT_OF_TIME:
        case = _failed_case(f"time budget: exit {code} ({code.meaning})", _out_of_time_line(args))
        junit.add_case(args.report, case, JUNIT_SUITE)
    elif code == ExitCode.INCOMPLETE:
        case = _failed_case(f"coverage: exit {code} ({code.meaning})", _coverage_missing(args))
        junit.add_case(args.report, case, JUNIT_SUITE)
    return code


def order_plan(args: argparse.Namespace) -> dict[str, Any] | None:
    """Collect the suite (no test runs, no request is sent) and read its order plan: the orders its tests need at
    their smallest (budget.py); None when the collection itself fails (the real run then reports why)."""
    extra = [arg for arg in args.pytest_args if arg != "--"]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plan.json"
        command = [sys.executable, "-m", "pytest", "-c", str(HERE / "pytest.ini"), "--rootdir", str(HERE), *OPTIONS,
                   "-p", "no:xdist", "--collect-only", "-q", f"--jafarshop-plan={path}", str(HERE), *extra]  # fmt: skip
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        try:
            plan: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
    return plan


def _check_the_cap(args: argparse.Namespace, target: Target) -> None:
    """Before the pre-flight: a cap too small for the coverage the run must reach is a usage error, one line with
    the smallest cap that can reach it (not a discovery after the run has spent it)."""
    plan = order_plan(args)
    if plan is None:
        return
    smallest = int(plan["smallest_cap"]) + (args.workers - 1 if plan.get("reference") else 0)
    assert target.max_orders is not None
    if target.max_orders >= smallest:
        print(f"order plan: JAFARSHOP_MAX_ORDERS={target.max_orders}; every test runs within {smallest} (the "
              f"pre-flight's included); the rest goes to more examples of the property tests", flush=True)  # fmt: skip
        return
    if args.require_full_coverage:
        raise Stop(ExitCode.USAGE, f"JAFARSHOP_MAX_ORDERS={target.max_orders} cannot reach the coverage "
                   f"--require-full-coverage={args.require_full_coverage} asks for: the tests need {smallest} orders "
                   f"at their smallest, with the pre-flight's; the smallest cap that can is {smallest}")  # fmt: skip
    print(f"order plan: note: JAFARSHOP_MAX_ORDERS={target.max_orders} is below the {smallest} orders every test "
          "needs at its smallest: the tests past it skip, and the coverage report names them", flush=True)  # fmt: skip


def _remove_coverage(args: argparse.Namespace) -> None:
    for report in (coverage_base(args).with_suffix(".json"), coverage_base(args).with_suffix(".md")):
        report.unlink(missing_ok=True)


def _out_of_time_line(args: argparse.Namespace) -> str:
    """The one line of a run stopped by its budget, naming the guide's rules that its unrun tests left unchecked."""
    budget = os.environ.get("JAFARSHOP_TIME_BUDGET") or f"{DEFAULT_TIME_BUDGET:g}"
    try:
        data = json.loads(coverage_base(args).with_suffix(".json").read_text(encoding="utf-8"))
        left = [rule["id"] for rule in data["rules"] if rule["verdict"] in ("not checked", "partly checked")]
    except (OSError, ValueError, KeyError, TypeError):
        left = []
    unchecked = f"; rules left unchecked or partly checked: {', '.join(left)}" if left else ""
    return (
        f"the run went past its time budget (JAFARSHOP_TIME_BUDGET={budget} s) and was stopped: the tests it did not "
        f"run give no verdict{unchecked}; raise the budget, or find why the target is slow (add `-- --durations=20` "
        "to list the slowest tests)"
    )


def _coverage_missing(args: argparse.Namespace) -> str:
    """One line naming what kept the run's coverage incomplete, from its coverage report."""
    try:
        data = json.loads(coverage_base(args).with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "coverage incomplete (the coverage report could not be read)"
    from contract_tests.coverage import missing_line  # the contract extra's (the spec's schemas): checked by now

    return missing_line(data, args.require_full_coverage or "all")


def write_stopped_report(path: Path, code: ExitCode, line: str) -> None:
    """A JUnit report of one failed test case that carries the one line: CI test views (GitLab's `reports: junit`)
    then show why the run gave no verdict instead of a missing artifact."""
    case = _failed_case(f"setup: exit {code} ({code.meaning})", line)
    junit.write(path, junit.suites(junit.Suite(JUNIT_SUITE, [case])))


def _failed_case(what: str, line: str) -> junit.Case:
    """The failed test case of a run without a plain verdict (added to pytest's report or alone): `line` says why."""
    return junit.Case(JUNIT_SUITE, f"{JUNIT_SUITE} {what}", junit.Problem(junit.Kind.FAILURE, line, line), time="0")


def missing_contract_extra() -> str | None:
    """The first module of the `contract` extra that is not installed, if any."""
    return next((name for name in CONTRACT_MODULES if importlib.util.find_spec(name) is None), None)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite; return one of ExitCode's codes. An unexpected error of the runner itself is one line and
    ExitCode.CRASH (its traceback in reports/contract-crash.txt), never a traceback on the terminal or a green job."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        return _main(argv)
    except Exception as exc:  # a defect of the kit: no verdict, and CI must not read it as one
        report = _report_in(argv)
        crash = report.parent / "contract-crash.txt"
        line = f"{type(exc).__name__}: {str(exc)[:300]}"
        with contextlib.suppress(OSError):
            crash.parent.mkdir(parents=True, exist_ok=True)
            crash.write_text(traceback.format_exc(), encoding="utf-8")
            write_stopped_report(report, ExitCode.CRASH, f"the runner failed: {line}")
        print(f"jafarshop-contract: the runner itself failed ({line}); its traceback is in {crash}; this is a "
              f"defect of the kit, not of the target: exit {ExitCode.CRASH} ({ExitCode.CRASH.meaning})",
              file=sys.stderr, flush=True)  # fmt: skip
        return ExitCode.CRASH


def _main(argv: list[str]) -> int:
    missing = missing_contract_extra()
    if missing:
        print(
            f"jafarshop-contract: the contract suite needs the kit's `contract` extra ({missing} is not installed): "
            "pip install 'jafarshop-contract-kit[contract]' (in a checkout: make contract)",
            file=sys.stderr,
        )
        return ExitCode.USAGE
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:  # the report still tells CI why: where --report says, or where it goes by default
        report = _report_in(argv)
        _remove_reports(report)
        print(f"jafarshop-contract: {exc}", file=sys.stderr, flush=True)
        write_stopped_report(report, ExitCode.USAGE, str(exc))
        return ExitCode.USAGE
    base = coverage_base(args)
    _remove_reports(args.report)
    if not _writable(args.report):
        line = f"--report {args.report}: not a file this run can write; name a file in a folder you can write"
        print(f"jafarshop-contract: {line} (default reports/contract-junit.xml)", file=sys.stderr, flush=True)
        return ExitCode.USAGE
    started = time.monotonic()
    try:
        _settings_from_environment(args)
        if "JAFARSHOP_BASE_URL" in os.environ or any(os.environ.get(setting.env) for setting in TARGET_SETTINGS):
            code = _verify(args)
        else:
            with local_mock() as environment:
                os.environ.update(environment)
                code = _verify(args)
    except Stop as stop:
        print(f"jafarshop-contract: {stop}", file=sys.stderr, flush=True)
        code = stop.code
        write_stopped_report(args.report, code, str(stop))
    written = [str(path) for path in (args.report, base.with_suffix(".md")) if path.exists()]
    reports = f"; reports: {', '.join(written)}" if written else "; no report written"
    print(
        f"contract run: {time.monotonic() - started:.1f} s; exit {code} ({ExitCode(code).meaning}){reports}", flush=True
    )
    return code
