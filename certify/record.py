"""A certification record as the graders read it: the mock's entries indexed by partner order, the verdict type,
and what every grader shares (an attempt's outcome, the retries of an order, one entry shown as evidence).

Times in the record are real seconds; the guide's intervals are compared on the scaled clock
(guide seconds = real seconds x time_scale). No HTTP here: tests drive the graders with hand-made records.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

PASS, FAIL, NOT_EXERCISED = "pass", "fail", "not exercised"
MUST, SHOULD = "MUST", "SHOULD"
TRANSIENT_STATUSES = {500, 502, 503, 504}
CLIENT_ERROR_STATUSES = {400, 401, 403, 413, 415, 422}
TERMINAL_STATUSES = {"REJECTED", "CANCELLED", "DELIVERED"}
# The guide's Retry Strategy: "Wait: 1s, 2s, 4s"; Polling Recommendations: the least time between two reads.
BACKOFF_SECONDS = (1.0, 2.0, 4.0)
MAX_RETRIES = 3
MAX_TIMEOUT_SECONDS = 30.0  # the kit's decision where the guide says only "implement proper timeout handling"
POLL_INTERVAL_SECONDS = {"PENDING_CONFIRMATION": 5 * 60.0, "CONFIRMED": 15 * 60.0, "SHIPPED": 24 * 3600.0}
TIMING_TOLERANCE = 0.9  # a wait counts when it is at least 90% of the guide's (timers and scheduling are not exact)
SETTLE_SECONDS = 10.0  # guide seconds: a failure this close to the end of the run left the client no time to retry
Record = dict[str, Any]
Entry = dict[str, Any]


@dataclass
class Verdict:
    verdict: str
    reason: str
    evidence: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Rule:
    id: str
    level: str
    section: str
    title: str
    to_exercise: str  # what the client must do for the rule to be checked
    grade: Callable[[Run], Verdict]


class Run:
    """A certification record, indexed the way the graders read it."""

    def __init__(self, record: Record) -> None:
        self.record = record
        self.scale = float(record.get("time_scale", 1.0))
        # The end of the client's run: when it stopped (certify knows), else when the record was read.
        self.end = min(float(record.get("elapsed", 0.0)), float(record.get("client_ended_at") or math.inf))
        self.entries: list[Entry] = sorted((_normalised(e) for e in record.get("entries", [])), key=lambda e: e["seq"])
        # Every entry is the client's (the mock records no other partner's traffic); `mine` authenticated as it.
        self.all_submits = [entry for entry in self.entries if entry.get("operation") == "submitCart"]
        self.mine = [entry for entry in self.entries if entry.get("auth") == "ok"]
        self.submits = [entry for entry in self.mine if entry.get("operation") == "submitCart"]
        self.reads = [entry for entry in self.mine if entry.get("operation") == "getOrder"]
        self.orders: dict[str, list[Entry]] = defaultdict(list)  # partner_order_id -> its submits, in order
        for entry in self.submits:
            if entry.get("partner_order_id"):
                self.orders[entry["partner_order_id"]].append(entry)

    def guide(self, seconds: float) -> float:
        return seconds * self.scale

    def show(self, entry: Entry, note: str = "") -> str:
        """One entry as evidence: number, time (guide and real), request, answer, the imposed condition."""
        what = _printable(f"{entry['method']} {entry['path']}")
        if entry.get("operation") == "submitCart":
            key = entry.get("idempotency_key")
            pid = entry.get("partner_order_id") or "(no partner_order_id)"
            what += _printable(f" {pid} key={short(key) if key else 'none'}")
        answer = "dropped" if not entry.get("answered") and entry.get("gave_up_at") is None else entry.get("status")
        if entry.get("gave_up_at") is not None:
            answer = f"client hung up after {self.guide(entry['gave_up_at'] - entry['t']):.0f} s"
        elif entry.get("order_status"):
            answer = f"{answer} {entry['order_status']}"
        imposed = f" [{entry['condition']}, attempt {entry['attempt']}]" if entry.get("condition") else ""
        return f"#{entry['seq']} {self.when(entry['t'])} {what} -> {answer}{imposed}{note}"

    def when(self, t: float) -> str:
        return f"+{duration(self.guide(t))} ({t:.2f} s real)"


def _normalised(entry: Entry) -> Entry:
    """Order ids compared as the API compares them: without regard to case."""
    found = dict(entry)
    for name in ("order_id", "supplier_order_id"):
        if isinstance(found.get(name), str):
            found[name] = found[name].lower()
    return found


def _printable(text: str) -> str:
    """The client's own strings in evidence, with control characters (no valid XML, new Markdown lines) shown as ?."""
    return "".join(char if char.isprintable() else "?" for char in text)


def short(key: str) -> str:
    return key if len(key) <= 12 else key[:8] + "..."


def duration(seconds: float) -> str:
    if seconds >= 5400:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 90:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.1f} s"


def outcome(entry: Entry) -> str:
    """What the client got: success, no-content, transient, conflict, client-error or other."""
    if not entry.get("answered"):
        return "transient"  # a dropped connection, or a slow answer the client gave up on
    status = entry.get("status")
    if status == 200:
        return "success"
    if status == 204:
        return "no-content"
    if status in TRANSIENT_STATUSES:
        return "transient"
    if status == 409:
        return "conflict"
    if status in CLIENT_ERROR_STATUSES:
        return "client-error"
    return "other"


def verdict(failures: list[str], exercised: bool, passed: str, not_exercised: str, failed: str) -> Verdict:
    if failures:
        return Verdict(
            FAIL, failed, failures[:10] + ([f"... and {len(failures) - 10} more"] if len(failures) > 10 else [])
        )
    if not exercised:
        return Verdict(NOT_EXERCISED, not_exercised)
    return Verdict(PASS, passed)


def retries_of(run: Run) -> Iterable[tuple[Entry, Entry, int]]:
    """(failed attempt, the next attempt of the same order, how many failures in a row so far) for every retry."""
    for attempts in run.orders.values():
        streak = 0
        for previous, current in itertools.pairwise(attempts):
            streak = streak + 1 if outcome(previous) == "transient" else 0
            if streak:
                yield previous, current, streak
