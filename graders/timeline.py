"""A certification run drawn as timelines: one SVG per partner order, in guide time. Its submit attempts (the condition
imposed, the answers, drops and timeouts) against the guide's retry schedule (BACKOFF_SECONDS after a failure), and its
reads against the polling cadence, over the order's lifecycle. The console and reports/certification.html show the
same drawings; the schedule is the graders' own (graders/record.py), never a copy. This module places every shape
and label; graders/templates/timeline.svg.j2 draws them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from graders.record import (
    BACKOFF_SECONDS,
    MAX_RETRIES,
    MAX_TIMEOUT_SECONDS,
    POLL_INTERVAL_SECONDS,
    TERMINAL_STATUSES,
    Condition,
    Entry,
    Got,
    Imposed,
    Record,
    Run,
    failures_in_a_row,
    outcome,
    partner_orders,
)
from graders.render import render

# 1060 wide: the console's and the HTML report's column (1068 px), so the drawing fills it at about 1:1.
WIDTH, LEFT, RIGHT, ROW = 1060, 150, 20, 86
READS_ROW = ROW + 12  # a line under the lifecycle's bands names those too narrow to hold their name (SHIPPED)
# A glyph's average width in em, on the wide side of sans-serif (DejaVu Sans, Debian chromium's), bold a tenth wider:
# a label kept inside the drawing by this estimate is inside it when drawn.
GLYPH_EM, BOLD = 0.62, 1.1
KEY_COLOUR = "#bf3989"  # a changed Idempotency-Key: a colour no answer has (a 409 is purple)
COLOURS = {
    Got.SUCCESS: "#1a7f37",
    Got.NO_CONTENT: "#57606a",
    Got.TRANSIENT: "#cf222e",
    Got.CONFLICT: "#8250df",
    Got.CLIENT_ERROR: "#bc4c00",
    Got.OTHER: "#57606a",
}
STATUS_COLOURS = {"PENDING_CONFIRMATION": "#ddf4ff", "CONFIRMED": "#dafbe1", "SHIPPED": "#fff8c5"}
FINAL_COLOUR, TOO_SOON = "#eaeef2", "#ffebe9"
MAX_TIMELINES = 100  # a client that sends thousands of orders gets the first hundred drawn, and is told so


# What the template draws (graders/templates/timeline.svg.j2): a macro's name and its fields, in drawing order.
Shape = tuple[str, dict[str, Any]]


@dataclass
class Timeline:
    partner_order_id: str
    condition: str | None
    svg: str  # markup (markupsafe.Markup): the HTML report's template includes it as it is


def _shape(kind: str, **fields: Any) -> Shape:
    return kind, fields


def timelines(record: Record, limit: int = MAX_TIMELINES) -> list[Timeline]:
    """One timeline per partner order of the run (the first `limit`), in the order the client first submitted them."""
    run = Run(record)
    found = []
    for pid, attempts in list(run.orders.items())[:limit]:
        ids = {a["supplier_order_id"] for a in attempts if a.get("supplier_order_id")}
        reads = [r for r in run.reads if r.get("order_id") in ids]
        found.append(Timeline(pid, attempts[0].get("condition"), _svg(run, pid, attempts, reads)))
    return found


def _svg(run: Run, pid: str, attempts: list[Entry], reads: list[Entry]) -> str:
    condition = attempts[0].get("condition") or "none"
    summary = f"{len(attempts)} submit attempt(s) and {len(reads)} read(s); condition imposed: {condition}"
    shapes = _submits(run, attempts, top=24)
    height = 24 + ROW
    if reads:
        shapes += _reads(run, attempts, reads, top=height + 8)
        height += 8 + READS_ROW
    title = f"Order {attempts[0].get('slot', '?')}: {pid}"
    heading, note = _cut(title, WIDTH - 8, bold=True), f" · condition: {condition}"
    note = _cut(note, WIDTH - 8 - text_width(heading, bold=True))  # a long partner_order_id is cut, never clipped
    return render("timeline.svg.j2", width=WIDTH, height=height, title=title, summary=summary, heading=heading,
                  note=note, shapes=shapes, key_colour=KEY_COLOUR, too_soon=TOO_SOON)  # fmt: skip


def _cut(text: str, room: float, bold: bool = False) -> str:
    """`text`, or as much of it as fits in `room` followed by an ellipsis (the whole is in the SVG's title)."""
    if text_width(text, bold=bold) <= room:
        return text
    keep = int(room / text_width("x", bold=bold)) - 1
    return text[:keep] + "\u2026" if keep > 0 else ""


def text_width(text: str, size: float = 11, bold: bool = False) -> float:
    """About how wide `text` is drawn, rather more than less (see GLYPH_EM)."""
    return len(text) * size * GLYPH_EM * (BOLD if bold else 1.0)


def _inside(x: float, width: float) -> float:
    """The left end of a label of `width` that wants to start at x, moved so that it stays in the drawing."""
    return round(min(max(x, 2.0), WIDTH - 2 - width), 1)


class _Lanes:
    """The labels already drawn, per baseline: a new one takes the first lane where it overlaps none, or else goes on
    the first lane right after the last label there (retries sent at once have their labels side by side)."""

    def __init__(self) -> None:
        self.taken: dict[float, list[tuple[float, float]]] = {}

    def place(self, x: float, width: float, lanes: Sequence[float]) -> tuple[float, float]:
        """Where a label of `width` that wants to start at x goes: its left end and its baseline."""
        x = _inside(x, width)
        free = [y for y in lanes if all(x + width + 4 <= a or x >= b + 4 for a, b in self.taken.get(y, []))]
        y = free[0] if free else lanes[0]
        if not free:
            x = _inside(max(b for _, b in self.taken[y]) + 6, width)
        self.taken.setdefault(y, []).append((x, x + width))
        return x, y


class _Axis:
    """A panel's horizontal scale: guide seconds (or minutes) to x."""

    def __init__(self, span: float, unit: str, height: int = ROW) -> None:
        self.span, self.unit, self.height = max(span, 1e-9), unit, height

    def x(self, value: float) -> float:
        return round(LEFT + (WIDTH - LEFT - RIGHT) * min(max(value, 0.0), self.span) / self.span, 1)

    def ticks(self, top: int) -> list[Shape]:
        step, base = _nice_step(self.span), top + self.height - 18
        marks, value = [_shape("axis", x1=LEFT, x2=WIDTH - RIGHT, y=base)], 0.0
        while value <= self.span + 1e-9:
            x, label = self.x(value), f"{value:g}{self.unit}"
            at = "middle" if x + text_width(label) / 2 <= WIDTH - 2 else "end"  # the last one ends at the edge
            marks.append(_shape("tick", x=x, y=base, text=label, text_x=x if at == "middle" else WIDTH - 2, anchor=at))
            value += step
        return marks


def _nice_step(span: float) -> float:
    for step in (0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600):
        if span / step <= 10:
            return step
    return span / 10


def _ended(entry: Entry) -> float:
    """When the attempt ended for the client: its answer, the drop, or the hang-up."""
    for name in ("gave_up_at", "t_answer", "t"):
        value = entry.get(name)
        if isinstance(value, int | float):
            return float(value)
    return 0.0


def _answer(entry: Entry) -> str:
    if entry.get("gave_up_at") is not None:
        return "timed out"
    if not entry.get("answered"):
        return "dropped"
    return str(entry.get("status"))


def _submits(run: Run, attempts: list[Entry], top: int) -> list[Shape]:
    start = attempts[0]["t"]
    guide = [(run.guide(a["t"] - start), run.guide(_ended(a) - start)) for a in attempts]
    span = max([end for _, end in guide] + [sent for sent, _ in guide]) + 2
    streaks = [streak for _, _, streak in failures_in_a_row(attempts)]
    for entry, (sent, ended), streak in zip(attempts, guide, streaks, strict=True):
        if 0 < streak <= MAX_RETRIES:
            span = max(span, ended + BACKOFF_SECONDS[streak - 1] + 1)
        if entry.get("imposed") == Imposed.SLOW:
            span = max(span, sent + MAX_TIMEOUT_SECONDS + 2)
    axis, lanes = _Axis(span, " s"), _Lanes()
    parts = [_shape("panel", top=top, name="submits", unit="guide s since the first")]
    notes, retries = [], []  # drawn over the bars; placed first (notes) and last (retries), so no label hides another
    for entry, (sent, ended), streak in zip(attempts, guide, streaks, strict=True):
        if entry.get("imposed") == Imposed.SLOW:
            x, note = axis.x(sent + MAX_TIMEOUT_SECONDS), f"timeout at most {MAX_TIMEOUT_SECONDS:g} s"
            width = text_width(note)
            at, y = lanes.place(x + 3 if x + 3 + width <= WIDTH - 2 else x - 3 - width, width, [top + 8])
            parts.append(_shape("timeout_limit", x=x, top=top, bottom=top + ROW - 18))
            notes.append(_shape("label", x=at, y=y, text=note, fill="#bc4c00"))
        if 0 < streak <= MAX_RETRIES:
            wait = BACKOFF_SECONDS[streak - 1]
            x0, x1 = axis.x(ended), axis.x(ended + wait)
            parts.append(_shape("retry_wait", x0=x0, x1=x1, width=max(x1 - x0, 0.5), top=top, earliest=ended + wait,
                                retry=streak))  # fmt: skip
            note = f"retry {streak}: wait \u2265 {wait:g} s"
            width = text_width(note)
            retries.append((x1 + 2 if x1 + 2 + width <= WIDTH - 2 else x1 - 2 - width, width, note))
        elif streak > MAX_RETRIES:
            note = f"after #{entry['seq']}: no retry left ({MAX_RETRIES} max)"
            at, y = lanes.place(WIDTH, text_width(note), [top + 8])
            notes.append(_shape("label", x=at, y=y, text=note, fill="#cf222e"))
    for index, (entry, (sent, ended)) in enumerate(zip(attempts, guide, strict=True)):
        parts.extend(_attempt(entry, attempts[index - 1] if index else None, axis, (sent, ended), top, lanes))
    for x, width, note in retries:
        at, y = lanes.place(x, width, [top + 58])
        parts.append(_shape("label", x=at, y=y, text=note, fill="#cf222e"))
    return parts + notes + axis.ticks(top)


def _attempt(
    entry: Entry, previous: Entry | None, axis: _Axis, times: tuple[float, float], top: int, lanes: _Lanes
) -> list[Shape]:
    """One submit: its bar, how it ended, its label; a submit whose Idempotency-Key is not the one of the attempt
    before it is marked "new key" (a retry must resend its key; after a 409 a new one is due)."""
    sent, ended = times
    was, now = previous.get("idempotency_key") if previous else None, entry.get("idempotency_key")
    changed = previous is not None and now != was
    kind = outcome(entry)
    colour, answer = COLOURS[kind], _answer(entry)
    x0, x1 = axis.x(sent), axis.x(ended)
    label, new_key = f"#{entry['seq']} {answer}", " new key" if changed else ""
    at, y = lanes.place(x0, text_width(label) + text_width(new_key, bold=True), [top + 20, top + 8])
    drawn = _shape("attempt", seq=entry["seq"], sent=sent, answer=answer, attempt=entry.get("attempt", ""),
                   tip=_describe(entry, sent, ended), x0=x0, x1=x1, width=max(x1 - x0, 0) + 2, top=top, colour=colour,
                   label_x=at, label_y=y, text=label, new_key=changed)  # fmt: skip
    if not changed:
        return [drawn]
    meaning = _KEY_CHANGE.get(outcome(previous), "") if previous is not None else ""
    why = f"#{entry['seq']} sent a new Idempotency-Key: {was or 'none'} before, {now or 'none'} now{meaning}"
    return [drawn, _shape("key_changed", seq=entry["seq"], why=why, x0=x0, top=top)]


# What a new key means after each answer: a retry must resend its key; after a 409 the guide asks for a new one.
_KEY_CHANGE = {
    Got.TRANSIENT: " (a retry resends the same key: a new one risks a duplicate order)",
    Got.SUCCESS: " (the order was created: a new key makes it twice)",
    Got.CONFLICT: " (after a 409, as the guide asks)",
}


def _describe(entry: Entry, sent: float, ended: float) -> str:
    imposed = f", imposed: {entry['imposed']}" if entry.get("imposed") not in (None, Imposed.NORMAL) else ""
    key = entry.get("idempotency_key") or "none"
    return f"#{entry['seq']} at +{sent:.2f} s, {_answer(entry)} after {ended - sent:.2f} s; key {key}{imposed}"


def _reads(run: Run, attempts: list[Entry], reads: list[Entry], top: int) -> list[Shape]:
    created = next((a["t_answer"] for a in attempts if a.get("supplier_order_id")), attempts[0]["t"])
    minutes = [run.guide(r["t"] - created) / 60 for r in reads]
    lifecycle: dict[str, float] = dict(run.record.get("lifecycle_minutes") or {})
    rejected = attempts[0].get("condition") == Condition.REJECTED
    bands = _bands(lifecycle, rejected)
    span = max([*minutes, bands[-1][0] if bands else 0.0]) * 1.1 + 1
    axis, lanes = _Axis(span, " min", READS_ROW), _Lanes()
    parts = [_shape("panel", top=top, name="reads", unit="guide min since created")]
    for (begin, status), end in zip(bands, [b for b, _ in bands[1:]] + [span], strict=True):
        x0, x1 = axis.x(begin), axis.x(end)
        fill, width, name = STATUS_COLOURS.get(status, FINAL_COLOUR), x1 - x0, text_width(status, 10)
        parts.append(_shape("band", status=status, x=x0, width=width, top=top, fill=fill, begin=begin,
                            end=end if end < span else None))  # fmt: skip
        if name + 4 <= width:
            parts.append(_shape("label", x=x0 + 2, y=top + 54, text=status, fill="#57606a", size=10))
        else:  # too narrow for its name: the name under the band, on a tick from its middle
            middle = round((x0 + x1) / 2, 1)
            at, y = lanes.place(middle - name / 2, name, [top + 68])
            parts.append(_shape("band_name_under", status=status, middle=middle, top=top, x=at, y=y))
    allowed_from = 0.0
    for entry, minute in zip(reads, minutes, strict=True):
        read_status: str | None = entry.get("order_status")
        early = minute < allowed_from * 0.9
        after_final = any(r.get("order_status") in TERMINAL_STATUSES and r["t"] < entry["t"] for r in reads)
        colour = "#cf222e" if early or after_final else "#0969da"
        x = axis.x(minute)
        flag = " too soon" if early else (" after a final status" if after_final else "")
        tip = f"#{entry['seq']} read at +{minute:.1f} min: {read_status or entry.get('status')}{flag}"
        parts.append(_shape("read", seq=entry["seq"], minute=minute, early=early, tip=tip, x=x, top=top, colour=colour))
        interval = POLL_INTERVAL_SECONDS.get(read_status) if read_status else None
        if interval is not None:
            allowed_from = minute + interval / 60
            x1 = axis.x(allowed_from)
            parts.append(_shape("poll_wait", x=x, width=max(x1 - x, 0), top=top))
    return parts + axis.ticks(top)


def _bands(lifecycle: dict[str, float], rejected: bool) -> list[tuple[float, str]]:
    """(guide minute, status) where the order's scripted lifecycle moves it."""
    if rejected:
        return [(0.0, "PENDING_CONFIRMATION"), (lifecycle.get("rejected", 1.0), "REJECTED")]
    steps = [("confirmed", "CONFIRMED"), ("shipped", "SHIPPED"), ("delivered", "DELIVERED")]
    return [(0.0, "PENDING_CONFIRMATION")] + [(lifecycle[name], status) for name, status in steps if name in lifecycle]


def order_count(record: Record) -> int:
    """How many partner orders the run has, drawn or not (graders/record.py's count)."""
    return partner_orders(record)


def as_json(record: Record) -> list[dict[str, Any]]:
    """The timelines as the admin API's scorecard gives them."""
    return [{"partner_order_id": t.partner_order_id, "condition": t.condition, "svg": t.svg} for t in timelines(record)]
