"""jafarshop-certify: grade a partner's own client against the guide's client rules, in any language.

    jafarshop-certify [options] -- COMMAND [ARGS...]
        Start a fresh mock on a free port, arm a certification run, run COMMAND with the target in its environment,
        impose the scenario on its requests, stop it at --time-limit, then grade what the mock recorded.
    jafarshop-certify --attach URL [--admin-token T] [options] [-- COMMAND [ARGS...]]
        The same against a mock that is already running. Without COMMAND: arm the run, print the settings for your
        client, and grade later with `jafarshop-certify report --attach URL`.
    jafarshop-certify report --attach URL [--admin-token T]
        Grade what a running mock has recorded so far.
    jafarshop-certify stop --attach URL [--admin-token T]
        End the run armed there (the mock then records nothing for it).
    jafarshop-certify settings --attach URL [--admin-token T]
        Print the armed run's settings for your client again (its API key too), without arming a new run.

Exit codes: 0 certified (every MUST rule exercised and passed, no rule failed), 1 a rule failed (a failure the client
met and did not answer, by ending or crashing on it too; with --lenient, only a MUST rule counts), 2 a usage or setting
error, 3 nothing failed but a MUST rule was not exercised.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import shlex
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NoReturn

from certify import html_report, timing_run
from certify.admin import PROG, Admin, UsageError, client_environment
from certify.client import CannotStart, ClientRun, Ending, run_client
from graders import report
from graders.record import BACKOFF_SECONDS, MAX_TIMEOUT_SECONDS, TIMING_TIME_SCALE, Record, Settings, partner_orders
from graders.report import RunSummary, TimingRun
from graders.rules import RULES, grade
from jafarshop_kit.resources import doc
from mockserver.http.spec import ADMIN_SPEC, PARTNER_BASE, load_spec
from mockserver.model.certification import CONDITIONS, DEFAULT_SCENARIO, DEFAULT_SLOW_SECONDS, DEFAULT_TIME_SCALE
from mockserver.model.state import DEFAULT_ADMIN_TOKEN

DEFAULT_TIME_LIMIT = 60.0


def _backoff_at(scale: float) -> str:
    """The guide's retry waits, and what they are at `scale`: "1, 2, 4 s are 17, 33, 67 ms"."""
    waits = ", ".join(f"{wait:g}" for wait in BACKOFF_SECONDS)
    return f"{waits} s are {', '.join(f'{wait / scale * 1000:.0f}' for wait in BACKOFF_SECONDS)} ms"


SUBCOMMAND = "SUBCOMMAND"
# What each subcommand does, for --help; each takes --attach and --admin-token, and report --reports and --lenient.
SUBCOMMANDS = {
    "report": "Grade what a running mock has recorded so far, and write the reports.",
    "stop": "End the run armed there (the mock then records nothing for it).",
    "settings": "Print the armed run's settings for your client again (its API key too), without arming a new run.",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line and exit 2, as every other usage error (main() prints it): no usage block."""
        unknown = f"argument {SUBCOMMAND}: invalid choice: "
        if message.startswith(unknown):
            message = f"no such subcommand: {message.removeprefix(unknown)}; a client command goes after --, e.g. "
            message += f"{PROG} -- python my_client.py"
        raise UsageError(f"{message} (see {self.prog} --help)")


def _attach_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--attach", metavar="URL", help="use the mock already running at URL instead of starting one")
    p.add_argument("--admin-token", metavar="T",
                   help="that mock's admin token (default: $JAFARSHOP_ADMIN_TOKEN, else the demo token)")  # fmt: skip


def _report_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--reports", metavar="DIR", default="reports", help="where the reports go (default reports/)")
    p.add_argument("--lenient", action="store_true",
                   help="a failed SHOULD rule is a warning, not a failure (MUST rules still decide)")  # fmt: skip


def parser() -> argparse.ArgumentParser:
    """The command line: the options of a run (the COMMAND after -- is split off first, in main()), or a subcommand
    with its own."""
    p = _Parser(
        prog=PROG,
        usage=f"{PROG} [options] -- COMMAND [ARGS...]\n       {PROG} {'|'.join(SUBCOMMANDS)} --attach URL [options]",
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"The client's environment: JAFARSHOP_BASE_URL (ends in {PARTNER_BASE}), JAFARSHOP_API_KEY, "
        "JAFARSHOP_MAPPED_SKUS "
        "(comma-separated), JAFARSHOP_UNMAPPED_SKU, JAFARSHOP_TIME_SCALE (divide the guide's waits by it: with 60, "
        "'5 minutes' is 5 s) and JAFARSHOP_CERTIFY_ORDERS (how many orders the scenario shapes). The rules, the "
        f"scenario, and how to certify a client in any language: {doc('certification.md')}.",
    )
    p.add_argument("--time-scale", type=float, default=DEFAULT_TIME_SCALE, metavar="N",
                   help=f"how much faster than the guide the clock runs (default {DEFAULT_TIME_SCALE:g}: '5 minutes' "
                   f"is 5 s, the retry waits {_backoff_at(DEFAULT_TIME_SCALE)})")  # fmt: skip
    p.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT, metavar="SECONDS",
                   help=f"stop the client after this many real seconds (default {DEFAULT_TIME_LIMIT:g})")  # fmt: skip
    p.add_argument("--scenario", metavar="LIST",
                   help="the condition each new order gets, comma-separated (default: "
                   f"{','.join(DEFAULT_SCENARIO)}); known: {', '.join(CONDITIONS)}")  # fmt: skip
    p.add_argument(
        "--slow-seconds",
        type=float,
        default=DEFAULT_SLOW_SECONDS,
        metavar="S",
        help=f"how late the slow answer comes, in guide seconds (default {DEFAULT_SLOW_SECONDS:g}; a sane timeout is "
        f"{MAX_TIMEOUT_SECONDS:g} or less)",
    )
    p.add_argument("--fixtures", metavar="PATH", help="fixtures for the mock it starts (default: the kit's own)")
    _attach_options(p)
    _report_options(p)
    p.add_argument(
        "--quiet", action="store_true", help="hide the client's own output (it goes to DIR/certification-client.log)"
    )
    # The subcommands' options leave the run's defaults in place (SUPPRESS): `--attach URL report` and `report
    # --attach URL` read the same.
    commands = p.add_subparsers(dest="action", metavar=SUBCOMMAND, title="subcommands", prog=PROG,
                                description=f"{PROG} SUBCOMMAND --help for the options of each")  # fmt: skip
    for name, summary in SUBCOMMANDS.items():
        command = commands.add_parser(name, help=summary, description=summary, argument_default=argparse.SUPPRESS,
                                      usage=f"{PROG} {name} --attach URL [options]")  # fmt: skip
        _attach_options(command)
        if name == "report":
            _report_options(command)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command: list[str] = []
    if "--" in args:  # the client's own command line, which argparse must not read
        index = args.index("--")
        args, command = args[:index], args[index + 1 :]
    try:
        options = parser().parse_args(args)
        action: str | None = options.action
        check_options(options, command, action)
        if action == "stop":
            print(f"{PROG}: {Admin(options.attach, options.admin_token).stop()}")
            return report.CERTIFIED
        if action == "settings":
            admin = Admin(options.attach, options.admin_token)
            print_settings(admin, admin.call("GET", "/certification"))
            return report.CERTIFIED
        if action == "report":
            admin = Admin(options.attach, options.admin_token)
            return grade_and_report(admin, options, admin.record(), client=None)
        if options.attach:
            return attached(options, command)
        return standalone(options, command)
    except UsageError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return report.USAGE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


def check_reports(directory: Path) -> None:
    """The reports folder must be writable before the client runs, not found unwritable after."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / ".jafarshop-certify-probe"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise UsageError(f"--reports {directory}: cannot write there ({error.strerror or error}); "
                         "name a folder you can write to") from None  # fmt: skip


def request_bounds(name: str) -> tuple[float, float]:
    """The least and the greatest value of a field of POST /__admin/certification, as the admin spec states them (the
    mock refuses what is outside them; the command says so before it arms a run)."""
    spec = load_spec(ADMIN_SPEC)
    field = spec["components"]["schemas"]["CertificationRequest"]["properties"][name]
    return float(field["minimum"]), float(field["maximum"])


def check_options(options: argparse.Namespace, command: list[str], action: str | None) -> None:
    grading_only = action is not None
    low, high = request_bounds("time_scale")
    if not low <= options.time_scale <= high:
        raise UsageError(f"--time-scale {options.time_scale:g}: must be between {low:g} and {high:g} (60 makes 5 "
                         "minutes 5 s)")  # fmt: skip
    if not math.isfinite(options.time_limit) or options.time_limit <= 0:
        raise UsageError(f"--time-limit {options.time_limit:g}: must be a positive number of seconds")
    low, high = request_bounds("slow_seconds")
    if not low <= options.slow_seconds <= high:
        raise UsageError(f"--slow-seconds {options.slow_seconds:g}: must be between {low:g} and {high:g} (guide "
                         f"seconds; a client may take up to {MAX_TIMEOUT_SECONDS:g} s to time out)")  # fmt: skip
    if options.scenario is not None:
        names = [name.strip() for name in options.scenario.split(",") if name.strip()]
        unknown = [name for name in names if name not in CONDITIONS]
        if unknown or not names:
            raise UsageError(f"--scenario: unknown condition(s) {', '.join(unknown) or '(none given)'}; "
                             f"known: {', '.join(CONDITIONS)}")  # fmt: skip
        options.scenario = names
    if options.admin_token is None:
        options.admin_token = os.environ.get("JAFARSHOP_ADMIN_TOKEN") or DEFAULT_ADMIN_TOKEN
    if grading_only and not options.attach:
        raise UsageError(f"{action}: name the running mock with --attach URL (e.g. --attach http://127.0.0.1:8080)")
    if grading_only and command:
        raise UsageError(f"{action} runs no command (drop the part after --)")
    if action in (None, "report"):  # stop and settings write no report
        check_reports(Path(options.reports))
    if not grading_only and not options.attach and not command:
        raise UsageError("no client command: put it after --, e.g. jafarshop-certify -- python my_client.py")
    if options.fixtures and options.attach:
        raise UsageError("--fixtures is for the mock jafarshop-certify starts; a mock given with --attach has its own")


def standalone(options: argparse.Namespace, command: list[str]) -> int:
    from mockserver.dependency_warnings import without_dependency_warnings

    with without_dependency_warnings():
        from mockserver.app import create_app
    from mockserver.model.fixtures import DEFAULT_FIXTURES
    from mockserver.model.state import MockState
    from mockserver.server import background

    fixtures = options.fixtures or DEFAULT_FIXTURES
    if not Path(fixtures).is_file():
        raise UsageError(f"--fixtures {fixtures}: no such file")
    try:
        from mockserver.model.fixtures import load_fixtures

        state = MockState(load_fixtures(fixtures), admin_token=options.admin_token)
    except Exception as error:  # a fixtures error already names the file and field
        raise UsageError(f"--fixtures {fixtures}: {error}") from None
    with background(create_app(state)) as base:
        return run_and_grade(Admin(base, options.admin_token), options, command)


def attached(options: argparse.Namespace, command: list[str]) -> int:
    admin = Admin(options.attach, options.admin_token)
    if command:
        return run_and_grade(admin, options, command)
    armed = admin.arm(options)
    print(f"{PROG}: certification armed on {admin.root}.", end=" ")
    print_settings(admin, armed)
    return report.CERTIFIED


def print_settings(admin: Admin, armed: Settings) -> None:
    """The run's settings as shell exports for the client, and what to do next."""
    print(f"Time scale {armed['time_scale']:g}, scenario {','.join(armed['scenario'])}. Give your client these "
          "settings:")  # fmt: skip
    for name, value in client_environment(admin, armed).items():
        print(f"export {name}={shlex.quote(value)}")
    print(f"Then drive your client, and grade: {PROG} report --attach {admin.root} (these settings again: {PROG} "
          f"settings --attach {admin.root}; end the run: {PROG} stop --attach {admin.root})")  # fmt: skip


def run_and_grade(admin: Admin, options: argparse.Namespace, command: list[str]) -> int:
    """The main run, then (at a fast time scale) the timing run of the scenario's timed conditions, then the grade."""
    record, client = run_once(admin, options, command, options.time_limit, "certification-client.log")
    conditions = timing_run.scenario(list(record.get("scenario", [])), float(record.get("time_scale", 1.0)))
    timing = None
    if conditions:
        limit = timing_run.time_limit(conditions, options.slow_seconds, options.time_limit)
        timed = argparse.Namespace(**{**vars(options), "time_scale": TIMING_TIME_SCALE, "scenario": conditions})
        print(f"{PROG}: the timing run: {','.join(conditions)} again at time scale {TIMING_TIME_SCALE:g}, where "
              f"the guide's retry waits {_backoff_at(TIMING_TIME_SCALE)} (at most {limit:.0f} s)",
              file=sys.stderr)  # fmt: skip
        timing = run_once(admin, timed, command, limit, "certification-timing-client.log",
                          until=lambda: timing_run.settled(admin.record(), len(conditions)))  # fmt: skip
    return grade_and_report(admin, options, record, client, timing)


@dataclass(frozen=True)
class Client:
    """What jafarshop-certify saw of the client's run: its command, how it ended, how long it ran (real seconds)."""

    command: str
    ran: ClientRun
    seconds: float

    def ended(self) -> str:
        """For the scorecard: "client exited 0 after 3.2 s"."""
        return f"client {self.ran.end} after {self.seconds:.1f} s"


def run_once(
    admin: Admin,
    options: argparse.Namespace,
    command: list[str],
    limit: float,
    log: str,
    until: Callable[[], str | None] | None = None,
) -> tuple[Record, Client]:
    """Arm a run as `options` say, run the client in it (its output to the terminal, or with --quiet to `log` in the
    reports folder), and return what the mock recorded and what was seen of the client; the run is disarmed however
    this ends, Ctrl-C included."""
    armed = admin.arm(options)
    armed_at = time.monotonic()
    env = {**os.environ, **client_environment(admin, armed)}
    print(f"{PROG}: running `{shlex.join(command)}` against {admin.partner_url} for at most {limit:g} s "
          f"(time scale {armed['time_scale']:g})", file=sys.stderr)  # fmt: skip
    try:
        with client_output(Path(options.reports) / log, options.quiet) as (out, err):
            try:
                ran = run_client(command, env, limit, armed["api_key"], out, err, until)
            except CannotStart as error:
                raise UsageError(str(error)) from None
        record = admin.record()
    finally:
        with contextlib.suppress(UsageError):
            admin.call("DELETE", "/certification")
    record["client_output"] = {"watched": True, "key_seen": ran.key_seen}  # what the mock cannot see
    record["client_ended_at"] = ran.ended - armed_at
    record["client_end"] = ran.end
    if ran.code is not None:
        record["client_exit_code"] = ran.code
    return record, Client(shlex.join(command), ran, round(ran.ended - armed_at, 2))


@contextlib.contextmanager
def client_output(log: Path, quiet: bool) -> Iterator[tuple[IO[bytes], IO[bytes]]]:
    """Where the client's stdout and stderr go: this terminal's, or (quiet) one log file."""
    if not quiet:
        yield sys.stdout.buffer, sys.stderr.buffer
        return
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as handle:
        yield handle, handle


def summary(admin: Admin, record: Record, client: Client | None, timing: tuple[Record, Client] | None) -> RunSummary:
    """What the scorecard says of the run besides the rules (the hints are added by the caller)."""
    found = RunSummary(
        client=client.command if client else "(attached: whatever drove the mock)",
        client_end=client.ended() if client else "graded so far",
        base_url=admin.partner_url,
        time_scale=record.get("time_scale"),
        scenario=list(record.get("scenario", [])),
        requests=len(record.get("entries", [])),
        orders=partner_orders(record),
        duration=float(record.get("elapsed", 0.0)),
        dropped_entries=record.get("dropped_entries", 0),
    )
    if timing is not None:
        timed, timed_client = timing
        found.timing_run = TimingRun(
            time_scale=float(timed.get("time_scale", 1.0)),
            scenario=list(timed.get("scenario", [])),
            requests=len(timed.get("entries", [])),
            duration=float(timed.get("elapsed", 0.0)),
            client_end=timed_client.ended(),
            rules=[rule.id for rule in RULES if rule.timed],
        )
    return found


def grade_and_report(
    admin: Admin,
    options: argparse.Namespace,
    record: Record,
    client: Client | None,
    timing: tuple[Record, Client] | None = None,
) -> int:
    """Grade the record (a timed rule on the timing run's, when there was one), write the reports, print the table."""
    graded = grade(record)
    if timing is not None:
        graded = timing_run.merged(graded, grade(timing[0]))
    result = report.outcome(graded, lenient=options.lenient)
    run = summary(admin, record, client, timing)
    run.hints = hints(client, options)
    written = report.write(Path(options.reports), graded, result, run)
    written.append(html_report.write(Path(options.reports), graded, result, run, record))
    print(report.table(graded, result, run))
    print(f"Reports: {', '.join(str(path) for path in written)}", file=sys.stderr)
    return result.code


def hints(client: Client | None, options: argparse.Namespace) -> list[str]:
    """What to look at when the client's run itself went wrong."""
    if client is None:
        return []
    found = []
    if client.ran.ending is Ending.TIME_LIMIT:
        found.append(
            f"The client was stopped at the time limit ({options.time_limit:g} s). If it waits the guide's real "
            "intervals, make it divide them by JAFARSHOP_TIME_SCALE (its timeouts too), or raise --time-limit."
        )
    elif not client.ran.exited_cleanly:
        where = f"{options.reports}/certification-client.log" if options.quiet else "above"
        found.append(f"The client {client.ran.end}: its own output ({where}) says why.")
    return found


def run() -> NoReturn:
    """The console command: main(), then leave at once. The embedded server's Rust threads may still be winding
    down, and leaving through interpreter finalisation can then abort the process (a granian panic); the reports
    are written and the output flushed by then."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
