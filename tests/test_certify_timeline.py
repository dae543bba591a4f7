"""The certification timelines (graders/timeline.py) and reports/certification.html, on hand-made records: retries
drawn against the guide's 1 s, 2 s, 4 s, drops and timeouts marked, reads against the polling cadence, the client's
strings escaped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any, cast

from certify import html_report
from graders.record import Record
from graders.report import RunSummary, outcome
from graders.rules import grade
from graders.timeline import WIDTH, text_width, timelines
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
    run = RunSummary(client="python client.py", client_end="exited 0", requests=5, orders=2, time_scale=SCALE)
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
    path = html_report.write(tmp_path, graded, outcome(graded), RunSummary(), data)
    assert "... and 5 more partner orders, not drawn" in path.read_text(encoding="utf-8")


def key_marks(svg: str) -> list[str]:
    """The seq of each attempt marked as sending a new Idempotency-Key."""
    return [g.get("data-seq", "") for g in parsed(svg).iter(f"{SVG}g") if g.get("class") == "key-changed"]


def test_a_retry_that_changes_its_key_is_marked_new_key_and_one_that_keeps_it_is_not() -> None:
    same = retries([1.2, 2.2])
    [timeline] = timelines(record(same))
    assert key_marks(timeline.svg) == [] and "new key" not in timeline.svg
    changed = retries([1.2, 2.2])
    changed[1]["idempotency_key"] = changed[2]["idempotency_key"] = "k-other"
    [timeline] = timelines(record(changed))
    assert key_marks(timeline.svg) == ["2"]  # the third attempt resent the second's key: not new again
    [label] = [t for t in parsed(timeline.svg).iter(f"{SVG}tspan") if t.text == " new key"]
    assert label.get("fill") == "#bf3989"
    assert "a retry resends the same key" in timeline.svg  # the marker's title says why it matters


def test_a_new_key_after_a_409_is_marked_as_the_guide_asks() -> None:
    entries = [submit(1, 1.0, "P-1", status=409, condition="409"), submit(2, 1.1, "P-1", key="k-fresh")]
    [timeline] = timelines(record(entries))
    assert key_marks(timeline.svg) == ["2"] and "after a 409, as the guide asks" in timeline.svg


def drawn_extent(element: ElementTree.Element) -> tuple[float, float]:
    """(left, right) of a <text> as the timeline estimates it (text_width), by its anchor, size and bold parts."""
    size = float(element.get("font-size", 11))
    parts = [(element.text or "", element.get("font-weight") == "bold")]
    parts += [(t.text or "", t.get("font-weight") == "bold") for t in element.iter(f"{SVG}tspan")]
    width = sum(text_width(text, size, bold) for text, bold in parts)
    x = float(element.get("x", 0))
    left = {"middle": x - width / 2, "end": x - width}.get(element.get("text-anchor", "start"), x)
    return left, left + width


def test_no_label_reaches_past_the_edges() -> None:
    """The labels that were clipped ("timeout a..."): a timeout, retries sent at once, the last retry's note, a new
    key, a fourth retry, a long partner_order_id, the axis' last tick."""
    slow = submit(1, 1.0, "P-SLOW", imposed="slow", condition="slow", gave_up_at=1.0 + 29 / SCALE)
    at_once = [dict(e, partner_order_id="P-ONCE") for e in retries([0.01, 0.01, 0.01, 0.01])]
    at_once[3]["idempotency_key"] = "k-new"
    late = [dict(e, partner_order_id="P-LATE", seq=e["seq"] + 20) for e in retries([1.5, 2.5, 4.5])]
    long_pid = submit(40, 3.0, "P-" + "x" * 300)
    for timeline in timelines(record([slow, *at_once, *late, long_pid])):
        for text in parsed(timeline.svg).iter(f"{SVG}text"):
            left, right = drawn_extent(text)
            assert left >= 0 and right <= WIDTH, (timeline.partner_order_id[:20], "".join(text.itertext()))


def test_the_shipped_band_is_named_even_when_it_is_a_sliver() -> None:
    """SHIPPED lasts a minute (20 to 21 min) of a 25 minute axis: too narrow for its name, which is drawn under it."""
    created = submit(1, 1.0, "P-1")
    polls = [read(seq, 1.0 + minute * 60 / SCALE, "id-P-1", status)
             for seq, (minute, status) in enumerate([(5.5, "PENDING_CONFIRMATION"), (11, "CONFIRMED"),
                                                     (20.5, "SHIPPED"), (22, "DELIVERED")], start=2)]  # fmt: skip
    [timeline] = timelines(record([created, *polls]))
    root = parsed(timeline.svg)
    [band] = [r for r in root.iter(f"{SVG}rect") if r.get("data-status") == "SHIPPED"]
    names = [t for t in root.iter(f"{SVG}text") if t.text == "SHIPPED"]
    assert len(names) == 1 and "SHIPPED from 20 min to 21 min" in timeline.svg
    middle = float(band.get("x", 0)) + float(band.get("width", 0)) / 2
    left, right = drawn_extent(names[0])
    assert left <= middle <= right  # under its band, not somewhere else
