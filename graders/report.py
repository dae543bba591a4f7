"""The scorecard: a terminal table, reports/certification.md, reports/certification.json and JUnit XML."""

from __future__ import annotations

import json
import shutil
import textwrap
from dataclasses import asdict, dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any

from graders.rules import FAIL, MUST, NOT_EXERCISED, PASS, SHOULD, Graded
from jafarshop_kit.junit import Case, Kind, Problem, Suite, suite_element, to_bytes


class ExitCode(IntEnum):
    """jafarshop-certify's exit codes (docs/certification.md and the README list them: the values stay)."""

    CERTIFIED = 0  # every MUST rule exercised and passed, no rule failed
    FAILED = 1  # a rule failed (with --lenient, a MUST rule)
    USAGE = 2  # a usage or setting error
    INCOMPLETE = 3  # nothing failed, but a MUST rule was not exercised


CERTIFIED, FAILED, USAGE, INCOMPLETE = ExitCode.CERTIFIED, ExitCode.FAILED, ExitCode.USAGE, ExitCode.INCOMPLETE
MARKS = {PASS: "pass", FAIL: "FAIL", NOT_EXERCISED: "not exercised"}


@dataclass
class Outcome:
    code: ExitCode
    headline: str


@dataclass
class TimingRun:
    """The timing run, as the scorecard reports it (certify/timing_run.py)."""

    time_scale: float
    scenario: list[str]
    requests: int
    duration: float  # real seconds
    client_end: str  # "client exited 0 after 3.2 s"
    rules: list[str]  # the rules it decides


@dataclass
class RunSummary:
    """What the scorecard says of the run besides the rules: the client, the counts, the timing run, hints. Its
    as_json() is the reports' "run" object, key for key."""

    client: str = ""  # the client's command, or what drove an attached mock
    client_end: str = ""  # "client exited 0 after 3.2 s", "graded so far"
    base_url: str = ""
    time_scale: float | None = None
    scenario: list[str] = field(default_factory=list)
    requests: int = 0
    orders: int = 0  # graders/record.py's partner_orders()
    duration: float = 0.0  # real seconds
    dropped_entries: int = 0
    timing_run: TimingRun | None = None
    hints: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        found = asdict(self)
        if self.timing_run is None:
            del found["timing_run"]
        return found


def outcome(graded: list[Graded], *, lenient: bool = False) -> Outcome:
    """Exit 0 only when every MUST rule was exercised and passed and no rule failed; 1 when a rule failed (with
    `lenient`, a failed SHOULD rule is a warning only); 3 when none failed but a MUST rule was not exercised."""
    failed_must = [g for g in graded if g.rule.level == MUST and g.verdict.verdict == FAIL]
    failed_should = [g for g in graded if g.rule.level == SHOULD and g.verdict.verdict == FAIL]
    untested = [g for g in graded if g.rule.level == MUST and g.verdict.verdict == NOT_EXERCISED]
    warnings = f"; {len(failed_should)} SHOULD rule(s) not followed" if failed_should else ""
    if failed_must or (failed_should and not lenient):
        names = ", ".join(g.rule.id for g in failed_must + ([] if lenient else failed_should))
        return Outcome(FAILED, f"NOT CERTIFIED: failed {names}")
    if untested:
        names = ", ".join(g.rule.id for g in untested)
        return Outcome(INCOMPLETE, f"NOT CERTIFIED YET: MUST rule(s) not exercised: {names}{warnings}")
    if failed_should:
        return Outcome(CERTIFIED, f"CERTIFIED with warnings (--lenient): every MUST rule passed{warnings}")
    return Outcome(CERTIFIED, "CERTIFIED: every MUST rule exercised and passed, no rule failed")


def as_json(graded: list[Graded], result: Outcome, run: RunSummary) -> dict[str, Any]:
    return {
        "result": {"exit_code": result.code, "summary": result.headline},
        "run": run.as_json(),
        "rules": rules_json(graded),
    }


def rules_json(graded: list[Graded]) -> list[dict[str, Any]]:
    """The rules' verdicts as the JSON report and the admin API's scorecard give them."""
    return [
        {
            "id": g.rule.id,
            "level": g.rule.level,
            "section": g.rule.section,
            "rule": g.rule.title,
            "verdict": g.verdict.verdict,
            "reason": g.verdict.reason,
            "to_exercise": (g.to_exercise or None) if g.verdict.verdict == NOT_EXERCISED else None,
            "evidence": g.verdict.evidence,
        }
        for g in graded
    ]


def timing_line(timing: TimingRun) -> str:
    """The timing run in one line: what it replayed, at what scale, how it ended, which rules it decided."""
    return (
        f"timing run: {','.join(timing.scenario)} at time scale {timing.time_scale:g}, {timing.requests} "
        f"requests, {timing.duration:.1f} s; {timing.client_end}; decides {', '.join(timing.rules)}"
    )


def table(graded: list[Graded], result: Outcome, run: RunSummary) -> str:
    """The terminal scorecard: one line a rule, the evidence of each failure under it."""
    width = min(shutil.get_terminal_size((120, 24)).columns, 160)
    lines = [
        f"jafarshop-certify: {run.client or 'client'}",
        f"  {run.requests} requests, {run.orders} partner orders, time scale "
        f"{run.time_scale} (guide time = real x {run.time_scale}), {run.duration:.1f} s; "
        f"{run.client_end}",
        *([f"  {timing_line(run.timing_run)}"] if run.timing_run else []),
        "",
        f"  {'rule':<26} {'level':<6} {'verdict':<14} reason",
    ]
    for g in graded:
        head = f"  {g.rule.id:<26} {g.rule.level:<6} {MARKS[g.verdict.verdict]:<14} "
        reason = g.verdict.reason
        if g.verdict.verdict == NOT_EXERCISED and g.rule.needs:
            reason += f" (to exercise it: {g.to_exercise})"
        wrapped = textwrap.wrap(reason, max(width - len(head), 40)) or [""]
        lines.append(head + wrapped[0])
        lines.extend(" " * len(head) + more for more in wrapped[1:])
        if g.verdict.verdict == FAIL:
            lines.extend(f"      {item}" for item in g.verdict.evidence)
    lines += ["", *run.hints, result.headline]
    return "\n".join(lines)


def markdown(graded: list[Graded], result: Outcome, run: RunSummary) -> str:
    lines = [
        "# Certification scorecard",
        "",
        f"**{result.headline}** (exit {result.code})",
        "",
        f"- Client: `{run.client}` ({run.client_end})",
        f"- Requests: {run.requests}; partner orders: {run.orders}; "
        f"run: {run.duration:.1f} s real at time scale {run.time_scale}",
        f"- Scenario: {', '.join(run.scenario)}",
        *([f"- {timing_line(run.timing_run)}"] if run.timing_run else []),
        *[f"- **{hint}**" for hint in run.hints],
        "",
        "| Rule | Level | Guide section | Verdict | Why |",
        "|---|---|---|---|---|",
    ]
    for g in graded:
        why = g.verdict.reason
        if g.verdict.verdict == NOT_EXERCISED and g.rule.needs:
            why += f" (to exercise it: {g.to_exercise})"
        lines.append(
            f"| `{g.rule.id}`: {g.rule.title} | {g.rule.level} | {g.rule.section} | {MARKS[g.verdict.verdict]} | "
            f"{why.replace('|', '/')} |"
        )
    evidence = [g for g in graded if g.verdict.evidence]
    if evidence:
        lines += ["", "## Evidence", "", "Times are guide time since the run started (real time in brackets)."]
        for g in evidence:
            lines += ["", f"### `{g.rule.id}` ({MARKS[g.verdict.verdict]})", ""]
            lines += [f"- {item}" for item in g.verdict.evidence]
    return "\n".join(lines) + "\n"


def junit(graded: list[Graded], result: Outcome, duration: float) -> bytes:
    """One test case a rule: a failure for a failed rule, skipped for one not exercised."""
    cases = []
    for g in graded:
        problem = None
        if g.verdict.verdict == FAIL:
            problem = Problem(Kind.FAILURE, g.verdict.reason, "\n".join(g.verdict.evidence), type=g.rule.level)
        elif g.verdict.verdict == NOT_EXERCISED:
            problem = Problem(Kind.SKIPPED, f"not exercised: {g.verdict.reason}")
        output = f"{g.rule.title} [{g.rule.section}]: {g.verdict.reason}"
        cases.append(Case(f"certify.{g.rule.level}", g.rule.id, problem, output))
    return to_bytes(suite_element(Suite("jafarshop-certify", cases, duration, result.headline)))


def write(directory: Path, graded: list[Graded], result: Outcome, run: RunSummary) -> list[Path]:
    """The three report files, written whole (a half-written report never stays behind)."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        directory / "certification.json": json.dumps(as_json(graded, result, run), indent=2).encode(),
        directory / "certification.md": markdown(graded, result, run).encode(),
        directory / "certification-junit.xml": junit(graded, result, run.duration),
    }
    for path, content in files.items():
        partial = path.with_suffix(path.suffix + ".partial")
        partial.write_bytes(content)
        partial.replace(path)
    return list(files)
