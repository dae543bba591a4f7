"""`jafarshop-contract --pacts DIR|URL [--spec NEW.yaml]`: verify the target against every partner's pact, or check
the pacts against a new spec without a target. Its options (`add_arguments`), its run (`run`) and its reports:
a line per consumer and interaction, JUnit (one test case an interaction), the pact section of the coverage report.

The gate fails closed as the suite does (contract_tests/exit_codes.py): 1 a failed interaction (or, with --spec, an
interaction the new spec breaks), 2 a pact source that cannot be read or pact-python missing, 3 a target that does
not answer, 5 a target without the state-change URL or refusing a key or token. docs/pact.md says more.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from contract_tests.exit_codes import ExitCode
from contract_tests.pact_files import InteractionVerdict, Pact, PactFileError, Verdict, is_url, load_pacts
from jafarshop_kit import junit

JUNIT_SUITE = "jafarshop-contract pacts"
STATE_PATH = "/__admin/pact/state"  # the kit mock's state-change URL, under the target's origin (docs/pact.md)
CONNECT_WAITS = (1.0, 2.0, 4.0)  # as the suite's pre-flight: again after 1, 2 and 4 s, then unreachable


class PactStop(Exception):
    """End the pact run with `code` and one line."""

    def __init__(self, code: ExitCode, line: str) -> None:
        super().__init__(line)
        self.code = code


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The pact options of jafarshop-contract."""
    group = parser.add_argument_group("consumer-driven contracts (Pact V4; docs/pact.md)")
    group.add_argument(
        "--pacts",
        metavar="DIR|FILE|URL",
        help="verify the target against each pact (a folder of *.json pact files, one file, or a Pact "
        "Broker's URL, token in PACT_BROKER_TOKEN) instead of running the suite",
    )
    group.add_argument(
        "--spec",
        type=Path,
        metavar="NEW.yaml",
        help="with --pacts: no target; list the partners and interactions a new partner spec would "
        "break (exit 1 if any)",
    )
    group.add_argument(
        "--pact-state-url",
        metavar="URL",
        help="the target's provider state-change URL (JAFARSHOP_PACT_STATE_URL; default "
        f"<origin of JAFARSHOP_BASE_URL>{STATE_PATH}, the kit mock's)",
    )
    group.add_argument(
        "--pact-api-key",
        action="append",
        default=[],
        metavar="CONSUMER=KEY",
        help="the API key to verify CONSUMER's pact with (repeatable; JAFARSHOP_PACT_API_KEYS="
        "'a=KEY,b=KEY'); a consumer without one uses JAFARSHOP_API_KEY",
    )
    group.add_argument(
        "--pact-partner",
        action="append",
        default=[],
        metavar="CONSUMER=PARTNER_ID",
        help="set CONSUMER's provider states up for PARTNER_ID, the key's partner, instead of the "
        "partner the pact was written for (repeatable; JAFARSHOP_PACT_PARTNERS='a=ID,b=ID')",
    )


def wanted(args: argparse.Namespace) -> bool:
    """Whether the command line asks for the pact run."""
    return bool(getattr(args, "pacts", None) or getattr(args, "spec", None))


StartMock = Callable[[], AbstractContextManager[dict[str, str]]]


def run(args: argparse.Namespace, start_mock: StartMock, mock_keys: Callable[[], dict[str, str]]) -> int:
    """The pact run; its exit code. `start_mock` and `mock_keys` are the runner's (which alone may import the mock):
    a mock on a free port when no JAFARSHOP_BASE_URL is set, and its partners' keys by partner id."""
    started = time.monotonic()
    try:
        code, verdicts = _run(args, start_mock, mock_keys)
    except PactStop as stop:
        print(f"jafarshop-contract: {stop}", file=sys.stderr, flush=True)
        line = str(stop)
        case = junit.Case(
            JUNIT_SUITE,
            f"pacts: exit {stop.code} ({stop.code.meaning})",
            junit.Problem(junit.Kind.FAILURE, line, line),
            time="0",
        )
        junit.write(args.report, junit.suites(junit.Suite(JUNIT_SUITE, [case])))
        code, verdicts = stop.code, []
    if verdicts:
        write_reports(args.report, verdicts, "spec" if args.spec else "verification")
    print(
        f"pact run: {time.monotonic() - started:.1f} s; exit {code} ({ExitCode(code).meaning}); report: {args.report}",
        flush=True,
    )
    return code


def _run(
    args: argparse.Namespace, start_mock: StartMock, mock_keys: Callable[[], dict[str, str]]
) -> tuple[ExitCode, list[InteractionVerdict]]:
    if not args.pacts:
        raise PactStop(ExitCode.USAGE, "--spec needs --pacts DIR: the pacts to check against the new spec")
    if args.spec:
        return _spec_check(args)
    if importlib.util.find_spec("pact") is None:
        from contract_tests.pact_verify import PACT_EXTRA_LINE

        raise PactStop(ExitCode.USAGE, f"--pacts needs pact-python (the kit's `pact` extra): {PACT_EXTRA_LINE}")
    pacts = [] if is_url(args.pacts) else _load(args.pacts)
    if "JAFARSHOP_BASE_URL" in os.environ:
        return _verify(args, pacts, dict(os.environ), mock_keys={})
    with start_mock() as environment:
        return _verify(args, pacts, {**os.environ, **environment}, mock_keys=mock_keys())


def _load(source: str) -> list[Pact]:
    try:
        return load_pacts(source)
    except PactFileError as exc:
        raise PactStop(ExitCode.USAGE, str(exc)) from None


def _spec_check(args: argparse.Namespace) -> tuple[ExitCode, list[InteractionVerdict]]:
    from contract_tests.pact_spec_check import SpecError, check, load_spec

    if is_url(args.pacts):
        raise PactStop(ExitCode.USAGE, "--spec checks pact files: give --pacts a folder or a file, not a broker URL")
    pacts = _load(args.pacts)
    try:
        spec = load_spec(args.spec)
    except SpecError as exc:
        raise PactStop(ExitCode.USAGE, str(exc)) from None
    verdicts = check(pacts, spec)
    print(f"breaking-change check of {args.spec} against {len(pacts)} pact(s), no target:", flush=True)
    _print(verdicts)
    broken = sorted({v.consumer for v in verdicts if v.verdict is Verdict.FAILED})
    print(f"the change breaks {len(broken)} partner(s): {', '.join(broken) or 'none'}", flush=True)
    return (ExitCode.VIOLATION if broken else ExitCode.OK), verdicts


def _keys(args: argparse.Namespace, environment: Mapping[str, str]) -> dict[str, str]:
    return _pairs(args.pact_api_key, environment, "JAFARSHOP_PACT_API_KEYS", "--pact-api-key", "KEY")


def _pairs(given: list[str], environment: Mapping[str, str], variable: str, option: str, value: str) -> dict[str, str]:
    """CONSUMER=VALUE pairs from `variable` (comma-separated) and then the repeated `option`."""
    found = {}
    for pair in [*filter(None, (environment.get(variable) or "").split(",")), *given]:
        consumer, sep, text = pair.strip().partition("=")
        if not sep or not consumer or not text:
            raise PactStop(
                ExitCode.USAGE,
                f"{option} / {variable}: give CONSUMER={value} pairs (got "
                f"{consumer or pair!r} without a {value.lower()})",
            )
        found[consumer] = text
    return found


def _verify(
    args: argparse.Namespace, pacts: list[Pact], environment: Mapping[str, str], mock_keys: Mapping[str, str]
) -> tuple[ExitCode, list[InteractionVerdict]]:
    from contract_tests.pact_states import StateURLMissing, StateURLUnreachable, check_state_url, relay
    from contract_tests.pact_verify import transport, verify_broker, verify_pact

    base_url = (environment.get("JAFARSHOP_BASE_URL") or "").strip().rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise PactStop(
            ExitCode.USAGE,
            f"JAFARSHOP_BASE_URL={base_url!r}: give the API's URL, e.g. https://staging-api.jafarshop.com/v1",
        )
    target = transport(base_url)
    _reachable(base_url)
    state_url = args.pact_state_url or environment.get("JAFARSHOP_PACT_STATE_URL") or f"{target.url}{STATE_PATH}"
    token = environment.get("JAFARSHOP_PACT_STATE_TOKEN") or environment.get("JAFARSHOP_ADMIN_TOKEN") or None
    try:
        check_state_url(state_url, token)
    except StateURLMissing as exc:
        raise PactStop(ExitCode.SETTINGS, str(exc)) from None
    except StateURLUnreachable as exc:
        raise PactStop(ExitCode.SETTINGS, f"the provider state-change URL does not answer: {exc}") from None
    keys = {**mock_keys, **_keys(args, environment)}
    fallback = environment.get("JAFARSHOP_API_KEY") or None
    print(f"verifying against {base_url}; provider states through {state_url}", flush=True)
    verdicts: list[InteractionVerdict] = []
    with relay(state_url, token) as states:
        if is_url(args.pacts):
            broker_token = environment.get("PACT_BROKER_TOKEN") or None
            named = sorted(keys) if _keys(args, environment) else [None]
            for consumer in named:
                key = keys.get(consumer or "", fallback)
                if key is None:
                    raise PactStop(
                        ExitCode.USAGE,
                        "no API key to verify the broker's pacts with: set "
                        "JAFARSHOP_API_KEY or --pact-api-key CONSUMER=KEY",
                    )
                verdicts += verify_broker(args.pacts, broker_token, target, key, states, consumer)
        partners = _pairs(args.pact_partner, environment, "JAFARSHOP_PACT_PARTNERS", "--pact-partner", "PARTNER_ID")
        for pact in pacts:
            key = keys.get(pact.consumer) or keys.get(pact.partner_id) or fallback
            states.partner_id = partners.get(pact.consumer)
            if key is None and mock_keys:  # the runner's mock: a consumer it has no partner for is its first partner
                states.partner_id = states.partner_id or next(iter(mock_keys))
                key = mock_keys[states.partner_id]
                print(
                    f"consumer {pact.consumer!r} is no partner of this mock: verified as {states.partner_id}",
                    flush=True,
                )
            if key is None:
                raise PactStop(
                    ExitCode.USAGE,
                    f"no API key for consumer {pact.consumer!r} ({pact.path}): give "
                    f"--pact-api-key {pact.consumer}=KEY or JAFARSHOP_API_KEY",
                )
            _key_accepted(base_url, key, pact.consumer)
            found = verify_pact(pact, target, key, states)
            _print(found)
            verdicts += found
    if is_url(args.pacts):
        _print([v for v in verdicts])
    failed = [v for v in verdicts if v.verdict is Verdict.FAILED]
    broken = sorted({v.consumer for v in failed})
    print(
        f"{len(verdicts) - len(failed)} of {len(verdicts)} interactions verified; failed: "
        f"{', '.join(broken) or 'none'}",
        flush=True,
    )
    return (ExitCode.VIOLATION if failed else ExitCode.OK), verdicts


def _get(url: str, key: str | None = None) -> int:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return error.code


def _reachable(base_url: str) -> None:
    """Any HTTP answer from the partner API will do; none after 1, 2 and 4 s more is exit 3."""
    probe = f"{base_url}/orders/{uuid.uuid4()}"
    for wait in (*CONNECT_WAITS, None):
        try:
            _get(probe)
            return
        except (OSError, ValueError) as exc:
            if wait is None:
                raise PactStop(
                    ExitCode.UNREACHABLE, f"the target {base_url} does not answer ({exc}): no verdict"
                ) from None
            time.sleep(wait)


def _key_accepted(base_url: str, key: str, consumer: str) -> None:
    status = _get(f"{base_url}/orders/{uuid.uuid4()}", key)
    if status in (401, 403):
        raise PactStop(
            ExitCode.SETTINGS,
            f"the target refused the API key for consumer {consumer!r} (answered "
            f"{status} to a read): rotated? give --pact-api-key {consumer}=KEY",
        )


def _print(verdicts: list[InteractionVerdict]) -> None:
    for verdict in verdicts:
        mark = "PASS" if verdict.verdict is Verdict.PASSED else "FAIL"
        why = f": {verdict.why}" if verdict.why else ""
        print(f"  {mark} {verdict.consumer}: {verdict.description}{why}", flush=True)


def write_reports(report: Path, verdicts: list[InteractionVerdict], kind: str) -> None:
    """JUnit (one case an interaction, classname the consumer) and the coverage report's pact section."""
    cases = [
        junit.Case(
            f"pact.{v.consumer}",
            v.description,
            None
            if v.verdict is Verdict.PASSED
            else junit.Problem(junit.Kind.FAILURE, v.why[:500] or "failed", v.why or None),
            time="0",
        )
        for v in verdicts
    ]
    junit.write(report, junit.suites(junit.Suite(JUNIT_SUITE, cases)))
    base = report.parent / "contract-coverage"
    data = coverage(verdicts, kind)
    base.with_suffix(".json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    base.with_suffix(".md").write_text(markdown(data), encoding="utf-8")


def coverage(verdicts: list[InteractionVerdict], kind: str) -> dict[str, Any]:
    """The pact section of the coverage report: per consumer, each interaction's verdict."""
    consumers: dict[str, list[dict[str, str]]] = {}
    for v in verdicts:
        consumers.setdefault(v.consumer, []).append(
            {"interaction": v.description, "verdict": v.verdict.value, "why": v.why}
        )
    return {
        "pacts": {
            "kind": kind,
            "consumers": consumers,
            "failed": sorted({v.consumer for v in verdicts if v.verdict is Verdict.FAILED}),
        }
    }


def markdown(data: dict[str, Any]) -> str:
    pacts = data["pacts"]
    title = "breaking-change check" if pacts["kind"] == "spec" else "verification"
    lines = [
        f"# Contract coverage: partners' pacts ({title})",
        "",
        "| consumer | interaction | verdict | why |",
        "|---|---|---|---|",
    ]
    for consumer, rows in pacts["consumers"].items():
        for row in rows:
            why = row["why"].replace("|", "\\|")
            lines.append(f"| {consumer} | {row['interaction']} | {row['verdict']} | {why} |")
    lines += ["", f"Failed: {', '.join(pacts['failed']) or 'none'}", ""]
    return "\n".join(lines)
