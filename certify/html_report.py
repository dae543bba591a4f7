"""reports/certification.html: the scorecard and every partner order's timeline in one self-contained file (no
script, no external style, no network), for a CI artifact. The timelines are graders/timeline.py's, as in the
console."""

from __future__ import annotations

from pathlib import Path

from graders import render as templates
from graders.record import Record
from graders.report import MARKS, Outcome, RunSummary, timing_line
from graders.rules import FAIL, NOT_EXERCISED, PASS, Graded
from graders.timeline import MAX_TIMELINES, order_count, timelines
from jafarshop_kit.guide import backoff_words


def render(graded: list[Graded], result: Outcome, run: RunSummary, record: Record) -> str:
    """The report as one HTML document (graders/templates/report.html.j2)."""
    return templates.render(
        "report.html.j2",
        graded=graded,
        result=result,
        run=run,
        timing_run=timing_line(run.timing_run) if run.timing_run else None,
        marks=MARKS,
        css={PASS: "pass", FAIL: "fail", NOT_EXERCISED: "not-exercised"},
        timelines=timelines(record),
        not_drawn=order_count(record) - MAX_TIMELINES,
        max_timelines=MAX_TIMELINES,
        backoff=backoff_words(),
    )


def write(directory: Path, graded: list[Graded], result: Outcome, run: RunSummary, record: Record) -> Path:
    """Write certification.html whole (a half-written report never stays behind)."""
    path = directory / "certification.html"
    partial = path.with_suffix(".html.partial")
    partial.write_text(render(graded, result, run, record), encoding="utf-8")
    partial.replace(path)
    return path
