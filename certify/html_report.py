"""reports/certification.html: the scorecard and every partner order's timeline in one self-contained file (no
script, no external style, no network), for a CI artifact. The timelines are graders/timeline.py's, as in the
console."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from graders.record import Record
from graders.report import MARKS, Outcome, timing_line
from graders.rules import FAIL, NOT_EXERCISED, Graded
from graders.timeline import MAX_TIMELINES, order_count, timelines

_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #1f2328; padding: 0 1rem; }
table { border-collapse: collapse; width: 100%; } th, td { border-bottom: 1px solid #d0d7de; padding: .3rem .4rem;
text-align: left; vertical-align: top; } .fail { color: #cf222e; font-weight: bold; } .pass { color: #1a7f37; }
.not-exercised { color: #9a6700; } figure { margin: 1rem 0; overflow-x: auto; } ul.evidence { margin: .2rem 0 0 1rem;
font-size: 12px; color: #57606a; } .headline { font-size: 1.2rem; font-weight: bold; }
svg { max-width: 100%; height: auto; }
"""


def render(graded: list[Graded], result: Outcome, run: dict[str, Any], record: Record) -> str:
    """The report as one HTML document."""
    rows = []
    for g in graded:
        css = {FAIL: "fail", NOT_EXERCISED: "not-exercised"}.get(g.verdict.verdict, "pass")
        evidence = "".join(f"<li>{escape(item)}</li>" for item in g.verdict.evidence)
        rows.append(
            f"<tr><td><code>{escape(g.rule.id)}</code><br>{escape(g.rule.title)}</td><td>{g.rule.level}</td>"
            f'<td class="{css}">{MARKS[g.verdict.verdict]}</td><td>{escape(g.verdict.reason)}'
            f"{f'<ul class=evidence>{evidence}</ul>' if evidence else ''}</td></tr>"
        )
    figures = "".join(f"<figure>{t.svg}</figure>" for t in timelines(record))
    left = order_count(record) - MAX_TIMELINES
    if left > 0:
        figures += f"<p>... and {left} more partner orders, not drawn (the first {MAX_TIMELINES} are).</p>"
    hints = "".join(f"<p><strong>{escape(hint)}</strong></p>" for hint in run.get("hints", []))
    if run.get("timing_run"):
        hints = f"<p>{escape(timing_line(run['timing_run']))} (its orders are not drawn).</p>{hints}"
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Certification scorecard</title>'
        f'<meta name="viewport" content="width=device-width"><style>{_STYLE}</style></head><body>'
        f"<h1>Certification scorecard</h1><p class=headline>{escape(result.headline)} (exit {result.code})</p>"
        f"<p>Client: <code>{escape(str(run.get('client', '')))}</code> ({escape(str(run.get('client_end', '')))}); "
        f"{run.get('requests', 0)} requests, {run.get('orders', 0)} partner orders, time scale "
        f"{escape(str(run.get('time_scale')))} (guide time = real time x time scale).</p>{hints}"
        "<table><thead><tr><th scope=col>Rule</th><th scope=col>Level</th><th scope=col>Verdict</th>"
        f"<th scope=col>Why</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        "<h2>Timelines</h2><p>Each partner order in guide time: its submits (a bar from the request to its answer; "
        "\u00d7 a dropped connection or a timeout) against the guide's retry schedule (shaded: the wait of 1 s, 2 s, "
        "4 s before the next retry), and its reads against the polling cadence over its lifecycle (shaded: too soon "
        f"for the next read).</p>{figures or '<p>No partner order was submitted.</p>'}</body></html>\n"
    )


def write(directory: Path, graded: list[Graded], result: Outcome, run: dict[str, Any], record: Record) -> Path:
    """Write certification.html whole (a half-written report never stays behind)."""
    path = directory / "certification.html"
    partial = path.with_suffix(".html.partial")
    partial.write_text(render(graded, result, run, record), encoding="utf-8")
    partial.replace(path)
    return path
