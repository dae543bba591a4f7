"""The certification timelines (certify/timeline.py) and reports/certification.html, on hand-made records: retries
drawn against the guide's 1 s, 2 s, 4 s, drops and timeouts marked, reads against the polling cadence, the client's
strings escaped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any, cast

from certify import html_report
from certify.record import Record
from certify.report import outcome
from certify.rules import grade
from certify.timeline import timelines
from tests.test_certify_rules import read, submit

SCALE = 60.0  # guide seconds = real seconds x 60
SVG = "{http://www.w3.org/2000/svg}"


def record(entries: list[dict[str, Any]], elapsed: float = 100.0) -> Record:
    return cast(Record, {"time_scale": SCALE, "elapsed": elapsed, "entries": entries,
            "lifecycle_minutes": {"confirmed": 6.0, "shipped": 20.0, "delivered": 21.0, "rejected": 1.0}})  # fmt: skip


def retries(guide_waits: list[float]) -> list[dict[str, Any]]:
    """An order failing with 500 until its last attempt, each retry `guide_waits[i]` guide seconds after an answer."""
    entries, t = [], 1.0
    for seq, wait in enumerate([*guide_waits, None], start=1):
        entries.append(submit(seq, t, "P-1", status=500 if wait else 200, condition="500-once", attempt=seq))
        if wait is not None:
            t = entries[-1]["t_answer"] + wait / SCALE
    return entries


def parsed(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)


def retry_positions(svg: str) -> list[tuple[float, float]]:
    """(where each retry is drawn, where the schedule's earliest retry is drawn) as x."""
    root = parsed(svg)
    starts = [float(g.find(f"{SVG}rect").get("x")) + 1 for g in root.iter(f"{SVG}g") if g.get("class") == "attempt"]  # type: ignore[union-attr,arg-type]
    allowed = [float(line.get("x1")) for line in root.iter(f"{SVG}line") if line.get("class") == "expected-retry"]  # type: ignore[arg-type]
    return list(zip(starts[1:], allowed, strict=False))


def test_retries_that_wait_the_guides_schedule_are_drawn_after_it() -> None:
    entries = retries([1.2, 2.2, 4.5])
    [timeline] = timelines(record(entries))
    pairs = retry_positions(timeline.svg)
    assert len(pairs) == 3
    assert all(drawn >= allowed for drawn, allowed in pairs), pairs
    # The schedule is drawn from each failed answer: 1 s, 2 s, 4 s of guide time later.
    earliest = [float(x) for x in re.findall(r'data-earliest-s="([\d.]+)"', timeline.svg)]
    answers = [(e["t_answer"] - entries[0]["t"]) * SCALE for e in entries[:3]]
    assert [round(e - a, 2) for e, a in zip(earliest, answers, strict=True)] == [1.0, 2.0, 4.0]


def test_retries_sent_at_once_are_drawn_inside_the_wait() -> None:
    [timeline] = timelines(record(retries([0.05, 0.05, 0.05])))
    pairs = retry_positions(timeline.svg)
    assert len(pairs) == 3
    assert all(drawn < allowed for drawn, allowed in pairs), pairs


def test_a_fourth_retry_is_past_the_schedule() -> None:
    [timeline] = timelines(record(retries([1.5, 2.5, 4.5, 8.5])))
    assert timeline.svg.count('class="expected-retry"') == 3
    assert "no retry left (3 max)" in timeline.svg


def test_drops_and_timeouts_are_marked() -> None:
    dropped = submit(1, 1.0, "P-1", status=200, answered=False, imposed="drop", condition="drop-after-create")
    slow = submit(2, 2.0, "P-2", status=200, imposed="slow", condition="slow", gave_up_at=2.0 + 25 / SCALE)
    drawn = {t.partner_order_id: t.svg for t in timelines(record([dropped, slow]))}
    assert 'data-answer="dropped"' in drawn["P-1"]
    assert 'data-answer="timed out"' in drawn["P-2"]
    assert 'class="timeout-limit"' in drawn["P-2"] and "timeout at most 30 s" in drawn["P-2"]


def test_reads_too_soon_are_flagged_and_cadence_reads_are_not() -> None:
    created = submit(1, 1.0, "P-1")
    on_time = [read(2, 1.0 + 5.5 * 60 / SCALE, "id-P-1", "PENDING_CONFIRMATION"),
               read(3, 1.0 + 11 * 60 / SCALE, "id-P-1", "CONFIRMED")]  # fmt: skip
    [timeline] = timelines(record([created, *on_time]))
    assert timeline.svg.count('class="read"') == 2 and "too-soon" not in timeline.svg
    hasty = [read(2, 1.0 + 5.5 * 60 / SCALE, "id-P-1", "PENDING_CONFIRMATION"),
             read(3, 1.0 + 6.5 * 60 / SCALE, "id-P-1", "PENDING_CONFIRMATION")]  # fmt: skip
    [timeline] = timelines(record([created, *hasty]))
    assert timeline.svg.count('class="read too-soon"') == 1


def test_the_clients_strings_are_escaped() -> None:
    hostile = '<script>alert(1)</script>"&'
    entry = submit(1, 1.0, hostile, key='k"><svg onload=x>')
    [timeline] = timelines(record([entry]))
    parsed(timeline.svg)  # well-formed XML whatever the client sent
    assert "<script>" not in timeline.svg and "onload=x>" not in timeline.svg


def test_the_html_report_holds_the_scorecard_and_a_timeline_per_order(tmp_path: Path) -> None:
    data = record([*retries([1.2, 2.2, 4.5]), submit(9, 20.0, "<P-2>", status=422, condition="422")])
    graded = grade(data)
    run = {"client": "python client.py", "client_end": "exited 0", "requests": 5, "orders": 2, "time_scale": SCALE}
    path = html_report.write(tmp_path, graded, outcome(graded), run, data)
    text = path.read_text(encoding="utf-8")
    assert path.name == "certification.html" and not list(tmp_path.glob("*.partial"))
    assert text.count("<svg") == 2 and "&lt;P-2&gt;" in text and "<P-2>" not in text
    assert "retry-backoff" in text and outcome(graded).headline in text
    assert not re.search(r"<script|<link|src=|href=", text)  # one file, nothing fetched


def test_a_flood_of_orders_is_drawn_up_to_the_limit_and_says_how_many_more(tmp_path: Path) -> None:
    data = record([submit(seq, seq / 1000, f"P-{seq}") for seq in range(1, 106)])
    assert len(timelines(data)) == 100
    graded = grade(data)
    path = html_report.write(tmp_path, graded, outcome(graded), {}, data)
    assert "... and 5 more partner orders, not drawn" in path.read_text(encoding="utf-8")
