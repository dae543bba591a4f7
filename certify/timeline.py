"""A certification run drawn as timelines: one SVG per partner order, in guide time. Its submit attempts (the condition
imposed, the answers, drops and timeouts) against the guide's retry schedule (1 s, 2 s, 4 s after a failure), and its
reads against the polling cadence, over the order's lifecycle. The console and reports/certification.html show the
same drawings; the schedule is the graders' own (certify/record.py), never a copy."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from certify.record import (
    BACKOFF_SECONDS,
    MAX_RETRIES,
    MAX_TIMEOUT_SECONDS,
    POLL_INTERVAL_SECONDS,
    TERMINAL_STATUSES,
    Entry,
    Record,
    Run,
    outcome,
)

WIDTH, LEFT, RIGHT, ROW = 760, 150, 20, 86
COLOURS = {
    "success": "#1a7f37",
    "no-content": "#57606a",
    "transient": "#cf222e",
    "conflict": "#8250df",
    "client-error": "#bc4c00",
    "other": "#57606a",
}
STATUS_COLOURS = {"PENDING_CONFIRMATION": "#ddf4ff", "CONFIRMED": "#dafbe1", "SHIPPED": "#fff8c5"}
FINAL_COLOUR, TOO_SOON = "#eaeef2", "#ffebe9"
MAX_TIMELINES = 100  # a client that sends thousands of orders gets the first hundred drawn, and is told so


@dataclass
class Timeline:
    partner_order_id: str
    condition: str | None
    svg: str


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
    body = _submits(run, attempts, top=24)
    height = 24 + ROW
    if reads:
        body += _reads(run, attempts, reads, top=height + 8)
        height += 8 + ROW
    title = escape(f"Order {attempts[0].get('slot', '?')}: {pid}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'height="{height}" role="img" aria-label="{title}: {escape(summary)}" font-family="sans-serif" '
        f'font-size="11"><title>{title}</title><desc>{escape(summary)}</desc>'
        f'<text x="4" y="14"><tspan font-weight="bold">{title}</tspan><tspan fill="#57606a"> · condition: '
        f"{escape(condition)}</tspan></text>{body}</svg>"
    )


class _Axis:
    """A panel's horizontal scale: guide seconds (or minutes) to x."""

    def __init__(self, span: float, unit: str) -> None:
        self.span, self.unit = max(span, 1e-9), unit

    def x(self, value: float) -> float:
        return round(LEFT + (WIDTH - LEFT - RIGHT) * min(max(value, 0.0), self.span) / self.span, 1)

    def ticks(self, top: int) -> str:
        step = _nice_step(self.span)
        marks, value = [], 0.0
        while value <= self.span + 1e-9:
            x = self.x(value)
            marks.append(
                f'<line x1="{x}" y1="{top + ROW - 18}" x2="{x}" y2="{top + ROW - 14}" stroke="#8c959f"/>'
                f'<text x="{x}" y="{top + ROW - 4}" text-anchor="middle" fill="#57606a">{value:g}{self.unit}</text>'
            )
            value += step
        axis = f'<line x1="{LEFT}" y1="{top + ROW - 18}" x2="{WIDTH - RIGHT}" y2="{top + ROW - 18}" stroke="#8c959f"/>'
        return axis + "".join(marks)


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


def _submits(run: Run, attempts: list[Entry], top: int) -> str:
    start = attempts[0]["t"]
    guide = [(run.guide(a["t"] - start), run.guide(_ended(a) - start)) for a in attempts]
    span = max([end for _, end in guide] + [sent for sent, _ in guide]) + 2
    parts, streak = [], 0
    for entry, (sent, ended) in zip(attempts, guide, strict=True):
        streak = streak + 1 if outcome(entry) == "transient" else 0
        if 0 < streak <= MAX_RETRIES:
            span = max(span, ended + BACKOFF_SECONDS[streak - 1] + 1)
        if entry.get("imposed") == "slow":
            span = max(span, sent + MAX_TIMEOUT_SECONDS + 2)
    axis = _Axis(span, " s")
    parts.append(f'<text x="4" y="{top + 26}">submits</text><text x="4" y="{top + 40}" fill="#57606a">guide s since '
                 "the first</text>")  # fmt: skip
    streak = 0
    for index, (entry, (sent, ended)) in enumerate(zip(attempts, guide, strict=True)):
        kind = outcome(entry)
        streak = streak + 1 if kind == "transient" else 0
        if entry.get("imposed") == "slow":
            x = axis.x(sent + MAX_TIMEOUT_SECONDS)
            parts.append(
                f'<line class="timeout-limit" x1="{x}" y1="{top}" x2="{x}" y2="{top + ROW - 18}" stroke="#bc4c00" '
                f'stroke-dasharray="2 2"/><text x="{x + 3}" y="{top + 8}" fill="#bc4c00">timeout at most '
                f"{MAX_TIMEOUT_SECONDS:g} s</text>"
            )
        if 0 < streak <= MAX_RETRIES and index + 1 <= len(attempts):
            wait = BACKOFF_SECONDS[streak - 1]
            x0, x1 = axis.x(ended), axis.x(ended + wait)
            parts.append(
                f'<rect x="{x0}" y="{top + 20}" width="{max(x1 - x0, 0.5)}" height="24" fill="{TOO_SOON}"/>'
                f'<line class="expected-retry" data-earliest-s="{ended + wait:.3f}" data-retry="{streak}" x1="{x1}" '
                f'y1="{top + 16}" x2="{x1}" y2="{top + 48}" stroke="#cf222e" stroke-dasharray="3 2"/>'
                f'<text x="{x1 + 2}" y="{top + 58}" fill="#cf222e">retry {streak}: wait \u2265 {wait:g} s</text>'
            )
        elif streak > MAX_RETRIES:
            parts.append(f'<text x="{WIDTH - RIGHT}" y="{top + 8}" text-anchor="end" fill="#cf222e">after #'
                         f'{entry["seq"]}: no retry left ({MAX_RETRIES} max)</text>')  # fmt: skip
        parts.append(_attempt(entry, axis, sent, ended, top, kind))
    return "".join(parts) + axis.ticks(top)


def _attempt(entry: Entry, axis: _Axis, sent: float, ended: float, top: int, kind: str) -> str:
    colour, answer = COLOURS[kind], _answer(entry)
    x0, x1 = axis.x(sent), axis.x(ended)
    label = escape(f"#{entry['seq']} {answer}")
    end_mark = (
        f'<text x="{x1}" y="{top + 36}" text-anchor="middle" fill="{colour}" font-weight="bold">\u00d7</text>'
        if answer in ("dropped", "timed out")
        else f'<circle cx="{x1}" cy="{top + 32}" r="3" fill="{colour}"/>'
    )
    return (
        f'<g class="attempt" data-seq="{entry["seq"]}" data-guide-s="{sent:.3f}" data-answer="{escape(answer)}" '
        f'data-attempt="{entry.get("attempt", "")}"><title>{escape(_describe(entry, sent, ended))}</title>'
        f'<rect x="{x0 - 1}" y="{top + 26}" width="{max(x1 - x0, 0) + 2}" height="12" rx="2" fill="{colour}" '
        f'fill-opacity="0.35" stroke="{colour}"/>{end_mark}'
        f'<text x="{x0}" y="{top + 20}" fill="{colour}">{label}</text></g>'
    )


def _describe(entry: Entry, sent: float, ended: float) -> str:
    imposed = f", imposed: {entry['imposed']}" if entry.get("imposed") not in (None, "normal") else ""
    key = entry.get("idempotency_key") or "none"
    return f"#{entry['seq']} at +{sent:.2f} s, {_answer(entry)} after {ended - sent:.2f} s; key {key}{imposed}"


def _reads(run: Run, attempts: list[Entry], reads: list[Entry], top: int) -> str:
    created = next((a["t_answer"] for a in attempts if a.get("supplier_order_id")), attempts[0]["t"])
    minutes = [run.guide(r["t"] - created) / 60 for r in reads]
    lifecycle: dict[str, float] = dict(run.record.get("lifecycle_minutes") or {})
    rejected = attempts[0].get("condition") == "rejected"
    bands = _bands(lifecycle, rejected)
    span = max([*minutes, bands[-1][0] if bands else 0.0]) * 1.1 + 1
    axis = _Axis(span, " min")
    parts = [f'<text x="4" y="{top + 26}">reads</text><text x="4" y="{top + 40}" fill="#57606a">guide min since '
             "created</text>"]  # fmt: skip
    for (begin, status), end in zip(bands, [b for b, _ in bands[1:]] + [span], strict=True):
        fill, width = STATUS_COLOURS.get(status, FINAL_COLOUR), axis.x(end) - axis.x(begin)
        label = status if width > 5.5 * len(status) else ""  # a band too narrow for its name keeps it in its title
        parts.append(
            f'<rect x="{axis.x(begin)}" y="{top + 44}" width="{width}" height="12" fill="{fill}"><title>{status} from '
            f'{begin:g} min</title></rect><text x="{axis.x(begin) + 2}" y="{top + 54}" font-size="9" '
            f'fill="#57606a">{label}</text>'
        )
    allowed_from = 0.0
    for entry, minute in zip(reads, minutes, strict=True):
        read_status: str | None = entry.get("order_status")
        early = minute < allowed_from * 0.9
        after_final = any(r.get("order_status") in TERMINAL_STATUSES and r["t"] < entry["t"] for r in reads)
        colour = "#cf222e" if early or after_final else "#0969da"
        x = axis.x(minute)
        flag = " too soon" if early else (" after a final status" if after_final else "")
        tip = escape(f"#{entry['seq']} read at +{minute:.1f} min: {read_status or entry.get('status')}{flag}")
        parts.append(
            f'<g class="read{" too-soon" if early else ""}" data-seq="{entry["seq"]}" data-guide-min="{minute:.3f}">'
            f'<title>{tip}</title><line x1="{x}" y1="{top + 20}" x2="{x}" y2="{top + 42}" stroke="{colour}" '
            'stroke-width="2"/></g>'
        )
        interval = POLL_INTERVAL_SECONDS.get(read_status) if read_status else None
        if interval is not None:
            allowed_from = minute + interval / 60
            x1 = axis.x(allowed_from)
            parts.append(f'<rect class="poll-wait" x="{x}" y="{top + 28}" width="{max(x1 - x, 0)}" height="6" '
                         f'fill="{TOO_SOON}"/>')  # fmt: skip
    return "".join(parts) + axis.ticks(top)


def _bands(lifecycle: dict[str, float], rejected: bool) -> list[tuple[float, str]]:
    """(guide minute, status) where the order's scripted lifecycle moves it."""
    if rejected:
        return [(0.0, "PENDING_CONFIRMATION"), (lifecycle.get("rejected", 1.0), "REJECTED")]
    steps = [("confirmed", "CONFIRMED"), ("shipped", "SHIPPED"), ("delivered", "DELIVERED")]
    return [(0.0, "PENDING_CONFIRMATION")] + [(lifecycle[name], status) for name, status in steps if name in lifecycle]


def order_count(record: Record) -> int:
    """How many partner orders the run has, drawn or not."""
    return len(Run(record).orders)


def as_json(record: Record) -> list[dict[str, Any]]:
    """The timelines as the admin API's scorecard gives them."""
    return [{"partner_order_id": t.partner_order_id, "condition": t.condition, "svg": t.svg} for t in timelines(record)]
