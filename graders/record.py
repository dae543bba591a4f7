"""A certification record as the graders read it: the mock's entries indexed by partner order, the verdict type,
and what every grader shares (an attempt's outcome, the retries of an order, one entry shown as evidence).

Times in the record are real seconds; the guide's intervals are compared on the scaled clock
(guide seconds = real seconds x time_scale). No HTTP here: tests drive the graders with hand-made records.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypedDict, cast

# The record's types (the mock writes it, the graders read it), re-exported for the rest of graders/ and certify/.
from jafarshop_kit.guide import BACKOFF_SECONDS as BACKOFF_SECONDS
from jafarshop_kit.guide import MAX_RETRIES as MAX_RETRIES
from jafarshop_kit.lifecycle import Status, is_terminal
from jafarshop_kit.run_record import Auth as Auth
from jafarshop_kit.run_record import Condition as Condition
from jafarshop_kit.run_record import Entry as Entry
from jafarshop_kit.run_record import Imposed as Imposed
from jafarshop_kit.run_record import RunRecord as RunRecord
from jafarshop_kit.run_record import Settings as Settings


class Grade(StrEnum):
    """A rule's verdict, written as it is into the JSON, Markdown, HTML and JUnit reports and the admin API."""

    PASS = "pass"
    FAIL = "fail"
    NOT_EXERCISED = "not exercised"


class Level(StrEnum):
    """How the guide words a rule."""

    MUST = "MUST"
    SHOULD = "SHOULD"


class Got(StrEnum):
    """What one attempt got, as the graders and the timelines class it (outcome())."""

    SUCCESS = "success"
    NO_CONTENT = "no-content"
    TRANSIENT = "transient"
    CONFLICT = "conflict"
    CLIENT_ERROR = "client-error"
    OTHER = "other"


PASS, FAIL, NOT_EXERCISED = Grade.PASS, Grade.FAIL, Grade.NOT_EXERCISED
MUST, SHOULD = Level.MUST, Level.SHOULD
TRANSIENT_STATUSES = {500, 502, 503, 504}
CLIENT_ERROR_STATUSES = {400, 401, 403, 413, 415, 422}
TERMINAL_STATUSES = frozenset(status.value for status in Status if is_terminal(status))
# The guide's Retry Strategy is jafarshop_kit/guide.py's (BACKOFF_SECONDS, MAX_RETRIES, re-exported above); its
# Polling Recommendations: the least time between two reads.
MAX_TIMEOUT_SECONDS = 30.0  # the kit's decision where the guide says only "implement proper timeout handling"
POLL_INTERVAL_SECONDS = {"PENDING_CONFIRMATION": 5 * 60.0, "CONFIRMED": 15 * 60.0, "SHIPPED": 24 * 3600.0}
TIMING_TOLERANCE = 0.9  # a wait counts when it is at least 90% of the guide's (timers and scheduling are not exact)
SETTLE_SECONDS = 10.0  # guide seconds: a failure this close to the end of the run left the client no time to retry
REACTION_SECONDS = 0.25  # real seconds, at any time scale: a process needs some to act (scheduling, GC, a JVM's JIT)
# Timing under load (docs/certification.md, "Timing under load"). A retry sent at once reaches the mock one reconnect
# after the failure, and load only lengthens that: a gap shorter than RECONNECT_NOISE_SECONDS (real, at any time scale;
# several times the longest such gap measured under load) may be a reconnect and no wait, so it never passes. The
# timing run is at TIMING_TIME_SCALE, where 90% of the guide's shortest wait (1 s: 250 ms real) is twice that.
RECONNECT_NOISE_SECONDS = 0.1
TIMING_TIME_SCALE = 4.0


class ClientOutput(TypedDict):
    watched: bool  # jafarshop-certify ran the client and read its stdout and stderr
    key_seen: list[str]  # where the API key showed ("stdout line 3")


class Record(RunRecord, total=False):
    """The mock's record, and what only jafarshop-certify saw of the client (absent when grading with `report`)."""

    client_end: str  # in words: "exited 1", "stopped at the time limit (60 s)"
    client_exit_code: int  # absent when it was stopped
    client_ended_at: float  # real seconds since the run was armed
    client_output: ClientOutput


@dataclass
class Verdict:
    verdict: Grade
    reason: str
    evidence: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Rule:
    id: str
    level: Level
    section: str
    title: str
    to_exercise: str  # what the client must do for the rule to be checked
    grade: Callable[[Run], Verdict]
    needs: tuple[Condition, ...] = ()  # the scenario's conditions that exercise it, if any
    timed: bool = False  # decided on the timing run: its waits are too short in real time at the main run's scale

    def how_to_exercise(self, scenario: list[str]) -> str:
        """to_exercise, with the orders of this run's scenario that give the chance (or that none does)."""
        if not self.needs:
            return self.to_exercise
        found = [number for number, name in enumerate(scenario, start=1) if name in self.needs]
        wanted = " or ".join(self.needs)
        if not found:
            return f"{self.to_exercise}: no order of this run's scenario is {wanted} (add one with --scenario)"
        orders = ", ".join(ordinal(number) for number in found[:4])
        return f"{self.to_exercise}: the {orders} order{'s' if len(found) > 1 else ''} of the scenario ({wanted})"


class Run:
    """A certification record, indexed the way the graders read it."""

    def __init__(self, record: Record) -> None:
        self.record = record
        self.scale = float(record.get("time_scale", 1.0))
        # The end of the client's run: when it stopped (certify knows), else when the record was read.
        self.end = min(float(record.get("elapsed", 0.0)), float(record.get("client_ended_at") or math.inf))
        self.client_end = record.get("client_end")  # None: graded with `report`, the client may still be running
        self.exit_code = record.get("client_exit_code")  # None: stopped at the time limit, or graded with `report`
        self.entries: list[Entry] = sorted((_normalised(e) for e in record.get("entries", [])), key=lambda e: e["seq"])
        # Every entry is the client's (the mock records no other partner's traffic); `mine` authenticated as it.
        self.all_submits = [entry for entry in self.entries if entry.get("operation") == "submitCart"]
        self.mine = [entry for entry in self.entries if entry.get("auth") == Auth.OK]
        self.submits = [entry for entry in self.mine if entry.get("operation") == "submitCart"]
        self.reads = [entry for entry in self.mine if entry.get("operation") == "getOrder"]
        self.orders: dict[str, list[Entry]] = defaultdict(list)  # partner_order_id -> its submits, in order
        for entry in self.submits:
            if pid := entry.get("partner_order_id"):
                self.orders[pid].append(entry)

    def guide(self, seconds: float) -> float:
        return seconds * self.scale

    def had_time(self, t: float, needed: float = SETTLE_SECONDS) -> bool:
        """Whether the client could have acted on what it got at `t` (real): it ended by itself after it, or the run
        went on for `needed` guide seconds (and REACTION_SECONDS real). A client stopped, or graded, sooner than that
        has shown nothing."""
        later = self.end - t
        return self.exit_code is not None or (self.guide(later) >= needed and later >= REACTION_SECONDS)

    def ended(self, t: float) -> str:
        """How the run went on after `t`, as evidence: "the client exited 1, 0.4 s later (0.01 s real)"."""
        later = f"{duration(self.guide(self.end - t))} later ({self.end - t:.2f} s real)"
        if self.client_end is None:
            return f"nothing up to the grade, {later}"
        return f"the client {self.client_end}, {later}"

    def show(self, entry: Entry, note: str = "") -> str:
        """One entry as evidence: number, time (guide and real), request, answer, the imposed condition."""
        what = _printable(f"{entry['method']} {entry['path']}")
        if entry.get("operation") == "submitCart":
            key = entry.get("idempotency_key")
            pid = entry.get("partner_order_id") or "(no partner_order_id)"
            what += _printable(f" {pid} key={short(key) if key else 'none'}")
        gave_up = entry.get("gave_up_at")
        answer = "dropped" if not entry.get("answered") and gave_up is None else entry.get("status")
        if gave_up is not None:
            answer = f"client hung up after {self.guide(gave_up - entry['t']):.0f} s"
        elif entry.get("order_status") and entry.get("answered"):  # a dropped answer showed the client no status
            answer = f"{answer} {entry['order_status']}"
        imposed = f" [{entry['condition']}, attempt {entry['attempt']}]" if entry.get("condition") else ""
        return f"#{entry['seq']} {self.when(entry['t'])} {what} -> {answer}{imposed}{note}"

    def when(self, t: float) -> str:
        return f"+{duration(self.guide(t))} ({t:.2f} s real)"


def _normalised(entry: Entry) -> Entry:
    """Order ids compared as the API compares them: without regard to case."""
    found = entry.copy()
    if isinstance(found.get("order_id"), str):
        found["order_id"] = found["order_id"].lower()
    if isinstance(found.get("supplier_order_id"), str):
        found["supplier_order_id"] = found["supplier_order_id"].lower()
    return found


def ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 4th ... 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


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


def outcome(entry: Entry) -> Got:
    """What the client got: success, no-content, transient, conflict, client-error or other."""
    if not entry.get("answered"):
        return Got.TRANSIENT  # a dropped connection, or a slow answer the client gave up on
    status = entry.get("status")
    if status == 200:
        return Got.SUCCESS
    if status == 204:
        return Got.NO_CONTENT
    if status in TRANSIENT_STATUSES:
        return Got.TRANSIENT
    if status == 409:
        return Got.CONFLICT
    if status in CLIENT_ERROR_STATUSES:
        return Got.CLIENT_ERROR
    return Got.OTHER


def statuses_words(statuses: Iterable[int]) -> str:
    """A set of statuses in words, in order: "400, 401, 403, 413, 415 or 422"."""
    ordered = [str(status) for status in sorted(statuses)]
    return ", ".join(ordered[:-1]) + f" or {ordered[-1]}" if len(ordered) > 1 else "".join(ordered)


def verdict(
    failures: list[str], exercised: bool, passed: str, not_exercised: str, failed: str, pending: Iterable[str] = ()
) -> Verdict:
    """Fail on any failure; pass only with evidence of the behaviour (`exercised`). `pending`: what the client met too
    close to the end of the run to show either way, listed but never counted as a pass."""
    waiting = [f"{item}: not judged, the run ended too soon after it" for item in pending]
    if failures:
        return Verdict(FAIL, failed, _at_most(failures, 10))
    if not exercised:
        late = f"; {len(waiting)} met too close to the end of the run to judge" if waiting else ""
        return Verdict(NOT_EXERCISED, not_exercised + late, _at_most(waiting, 5))
    return Verdict(PASS, passed + (f" ({len(waiting)} more not judged)" if waiting else ""), _at_most(waiting, 5))


def _at_most(items: list[str], limit: int) -> list[str]:
    return items[:limit] + ([f"... and {len(items) - limit} more"] if len(items) > limit else [])


def failures_in_a_row(attempts: Sequence[Entry]) -> Iterator[tuple[int, Entry, int]]:
    """(index, attempt, how many transient failures in a row end with it: 0 when it did not fail) for each attempt of
    one order. The one count of "failures in a row": the retry graders and the timelines read it."""
    streak = 0
    for index, entry in enumerate(attempts):
        streak = streak + 1 if outcome(entry) == Got.TRANSIENT else 0
        yield index, entry, streak


def retries_of(run: Run) -> Iterable[tuple[Entry, Entry, int]]:
    """(failed attempt, the next attempt of the same order, how many failures in a row so far) for every retry."""
    for attempts in run.orders.values():
        for index, previous, streak in failures_in_a_row(attempts[:-1]):
            if streak:
                yield previous, attempts[index + 1], streak


def partner_orders(record: RunRecord) -> int:
    """How many partner orders a run has: the distinct partner_order_ids its client submitted with its key (the
    orders the graders grade and the timelines draw). The terminal, the reports and the console all count so."""
    return len(Run(cast(Record, record)).orders)
