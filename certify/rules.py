"""The guide's client rules, and the grade of a certification record against them.

Each rule is one row: MUST or SHOULD as the guide words it, the guide section it comes from, and a grader that reads
the record the mock kept (`GET /__admin/certification`) and returns pass, fail or "not exercised" with the entries that
show it. Times in the record are real seconds; the guide's intervals are compared on the scaled clock
(guide seconds = real seconds x time_scale). No HTTP here: tests drive the graders with hand-made records.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from mockserver.certification import is_json_content_type

PASS, FAIL, NOT_EXERCISED = "pass", "fail", "not exercised"
MUST, SHOULD = "MUST", "SHOULD"
TRANSIENT_STATUSES = {500, 502, 503, 504}
CLIENT_ERROR_STATUSES = {400, 401, 403, 413, 415, 422}
TERMINAL_STATUSES = {"REJECTED", "CANCELLED", "DELIVERED"}
# The guide's Retry Strategy: "Wait: 1s, 2s, 4s"; Polling Recommendations: the least time between two reads.
BACKOFF_SECONDS = (1.0, 2.0, 4.0)
MAX_RETRIES = 3
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
        self.end = float(record.get("elapsed", 0.0))
        self.entries: list[Entry] = sorted(record.get("entries", []), key=lambda entry: entry["seq"])
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
        what = f"{entry['method']} {entry['path']}"
        if entry.get("operation") == "submitCart":
            key = entry.get("idempotency_key")
            what += f" {entry.get('partner_order_id') or '(no partner_order_id)'} key={_short(key) if key else 'none'}"
        answer = "dropped" if not entry.get("answered") and entry.get("gave_up_at") is None else entry.get("status")
        if entry.get("gave_up_at") is not None:
            answer = f"client hung up after {self.guide(entry['gave_up_at'] - entry['t']):.0f} s"
        elif entry.get("order_status"):
            answer = f"{answer} {entry['order_status']}"
        imposed = f" [{entry['condition']}, attempt {entry['attempt']}]" if entry.get("condition") else ""
        return f"#{entry['seq']} {self.when(entry['t'])} {what} -> {answer}{imposed}{note}"

    def when(self, t: float) -> str:
        return f"+{_duration(self.guide(t))} ({t:.2f} s real)"


def _short(key: str) -> str:
    return key if len(key) <= 12 else key[:8] + "..."


def _duration(seconds: float) -> str:
    if seconds >= 5400:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 90:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.1f} s"


def _outcome(entry: Entry) -> str:
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


def _verdict(failures: list[str], exercised: bool, passed: str, not_exercised: str, failed: str) -> Verdict:
    if failures:
        return Verdict(
            FAIL, failed, failures[:10] + ([f"... and {len(failures) - 10} more"] if len(failures) > 10 else [])
        )
    if not exercised:
        return Verdict(NOT_EXERCISED, not_exercised)
    return Verdict(PASS, passed)


def _retries(run: Run) -> Iterable[tuple[Entry, Entry, int]]:
    """(failed attempt, the next attempt of the same order, how many failures in a row so far) for every retry."""
    for attempts in run.orders.values():
        streak = 0
        for previous, current in itertools.pairwise(attempts):
            streak = streak + 1 if _outcome(previous) == "transient" else 0
            if streak:
                yield previous, current, streak


# --- requests -------------------------------------------------------------------------------------------------------


def auth_bearer(run: Run) -> Verdict:
    wrong = {
        "missing": "no Authorization header",
        "not-bearer": "not the Bearer scheme",
        "malformed": "extra white space around or inside the key",
        "wrong-key": "not the key it was given",
    }
    failures = [run.show(e, f": {wrong.get(e['auth'], e['auth'])}") for e in run.entries if e.get("auth") != "ok"]
    return _verdict(
        failures,
        bool(run.entries),
        f"every request ({len(run.entries)}) sent `Authorization: Bearer <key>`",
        "the client sent no request",
        "requests without `Authorization: Bearer <key>` as the guide shows it",
    )


def content_type_json(run: Run) -> Verdict:
    submits = [e for e in run.entries if e.get("operation") == "submitCart"]
    failures = [
        run.show(e, f": Content-Type {e.get('content_type')!r}")
        for e in submits
        if not is_json_content_type(e.get("content_type"))
    ]
    return _verdict(
        failures,
        bool(submits),
        f"every submit ({len(submits)}) sent Content-Type: application/json",
        "the client submitted no cart",
        "submits without Content-Type: application/json",
    )


def body_valid(run: Run) -> Verdict:
    submits = [e for e in run.entries if e.get("operation") == "submitCart"]
    failures = [run.show(e, ": " + "; ".join(e["body_errors"])) for e in submits if e.get("body_errors")]
    return _verdict(
        failures,
        bool(submits),
        f"every submitted cart ({len(submits)}) is valid against the spec",
        "the client submitted no cart",
        "carts that break the spec's schema",
    )


def key_not_in_url(run: Run) -> Verdict:
    failures = [run.show(e, ": the API key is in the URL") for e in run.entries if e.get("key_in_url")]
    return _verdict(
        failures,
        bool(run.entries),
        "the API key never appeared in a URL or query string",
        "the client sent no request",
        "the API key was sent in a URL, where proxies and logs keep it",
    )


def key_not_logged(run: Run) -> Verdict:
    output = run.record.get("client_output") or {}
    if not output.get("watched"):
        return Verdict(
            NOT_EXERCISED, "the client's output was not watched (graded with `report`, not run by the command)"
        )
    failures = [f"the API key in the client's {where}" for where in output.get("key_seen", [])]
    return _verdict(
        failures,
        True,
        "the API key never appeared in the client's output",
        "",
        "the client printed its API key (the guide: 'Never log API keys')",
    )


def https_production(run: Run) -> Verdict:
    return Verdict(
        NOT_EXERCISED,
        "the mock serves plain HTTP on this machine: check that your production base URL "
        "starts with https:// (the guide: 'Use HTTPS only in production')",
    )


# --- idempotency ----------------------------------------------------------------------------------------------------


def key_present(run: Run) -> Verdict:
    failures = [run.show(e, ": no Idempotency-Key") for e in run.submits if not e.get("idempotency_key")]
    duplicates = [
        pid
        for pid, attempts in run.orders.items()
        if len({e["supplier_order_id"] for e in attempts if e.get("supplier_order_id")}) > 1
    ]
    if failures and duplicates:
        failures.append(
            f"{len(duplicates)} partner order(s) became more than one JafarShop order: {', '.join(duplicates)}"
        )
    return _verdict(
        failures,
        bool(run.submits),
        f"every submit ({len(run.submits)}) carried an Idempotency-Key",
        "the client submitted no cart",
        "submits without an Idempotency-Key",
    )


def key_unique(run: Run) -> Verdict:
    owners: dict[str, set[str]] = defaultdict(set)
    first: dict[str, Entry] = {}
    for entry in run.submits:
        key, pid = entry.get("idempotency_key"), entry.get("partner_order_id")
        if key and pid:
            owners[key].add(pid)
            first.setdefault(key, entry)
    failures = [
        run.show(first[key], f": the same key for {len(pids)} orders ({', '.join(sorted(pids)[:5])})")
        for key, pids in owners.items()
        if len(pids) > 1
    ]
    exercised = len({pid for pids in owners.values() for pid in pids}) >= 2
    return _verdict(
        failures,
        exercised,
        "each partner order had its own Idempotency-Key",
        "submit at least two different orders",
        "one Idempotency-Key shared by different orders",
    )


def retry_same(run: Run) -> Verdict:
    failures, retries = [], 0
    for previous, current, _ in _retries(run):
        retries += 1
        if current.get("idempotency_key") != previous.get("idempotency_key"):
            failures.append(run.show(current, f": a different key from #{previous['seq']}'s (a duplicate order risk)"))
        elif current.get("body_hash") != previous.get("body_hash"):
            failures.append(run.show(current, f": a different payload from #{previous['seq']}'s (answered 409)"))
    return _verdict(
        failures,
        retries > 0,
        f"every retry ({retries}) resent the same key and the same payload",
        "retry a failed submit (500, 503, a dropped connection or a timeout)",
        "retries that changed the Idempotency-Key or the payload",
    )


def conflict_new_key(run: Run) -> Verdict:
    failures, conflicts = [], 0
    for attempts in run.orders.values():
        for index, entry in enumerate(attempts):
            if _outcome(entry) != "conflict" or not entry.get("idempotency_key"):
                continue  # a 409 to a submit without a key is idempotency-key-present's to report
            conflicts += 1
            later = attempts[index + 1 :]
            reused = [e for e in later if e.get("idempotency_key") == entry.get("idempotency_key")]
            if reused:
                failures.append(run.show(reused[0], f": the key that got 409 in #{entry['seq']} sent again"))
            elif not later and run.guide(run.end - entry["t_answer"]) > SETTLE_SECONDS:
                failures.append(run.show(entry, ": never submitted again with a new key"))
    return _verdict(
        failures,
        conflicts > 0,
        "after each 409 the order was submitted again with a new key",
        "get a 409 (the scenario gives one on the 7th order)",
        "a 409 not followed by a new key",
    )


# --- retries --------------------------------------------------------------------------------------------------------


def retry_transient(run: Run) -> Verdict:
    failures, seen = [], 0
    for attempts in run.orders.values():
        for index, entry in enumerate(attempts):
            if _outcome(entry) == "transient":
                seen += 1
                late = run.guide(run.end - entry["t_answer"]) < SETTLE_SECONDS
                if index == len(attempts) - 1 and not late:
                    failures.append(run.show(entry, ": never retried"))
                break
    return _verdict(
        failures,
        seen > 0,
        "every 500, 503, dropped connection and timeout was retried",
        "meet a 500, 503 or dropped connection (the 2nd to 6th orders)",
        "transient failures not retried",
    )


def retry_backoff(run: Run) -> Verdict:
    failures, retries = [], 0
    for previous, current, streak in _retries(run):
        if streak > len(BACKOFF_SECONDS) or previous.get("gave_up_at") is not None:
            continue  # after a timeout the mock sees the hang-up later than the client made it: not timed
        retries += 1
        waited, needed = run.guide(current["t"] - previous["t_answer"]), BACKOFF_SECONDS[streak - 1]
        if waited < needed * TIMING_TOLERANCE:
            failures.append(run.show(current, f": retry {streak} after {waited:.2f} s; the guide waits {needed:.0f} s"))
    return _verdict(
        failures,
        retries > 0,
        f"every retry ({retries}) waited at least 1 s, 2 s, 4 s (guide time)",
        "retry a failed submit",
        "retries sooner than the guide's 1 s, 2 s, 4 s",
    )


def retry_max(run: Run) -> Verdict:
    failures, exercised = [], False
    for attempts in run.orders.values():
        streak, start = 0, None
        for entry in attempts:
            if _outcome(entry) == "transient":
                streak, start = streak + 1, start or entry
                exercised = True
            else:
                streak, start = 0, None
            if streak == MAX_RETRIES + 2:
                failures.append(run.show(entry, f": retry {streak - 1} of the order failing since #{start['seq']}"))  # type: ignore[index]
    return _verdict(
        failures,
        exercised,
        f"no order was retried more than {MAX_RETRIES} times",
        "meet a failing submit (the 4th order fails every time)",
        "more than 3 retries of one order",
    )


def no_retry_client_errors(run: Run) -> Verdict:
    failures, seen = [], 0
    for attempts in run.orders.values():
        for index, entry in enumerate(attempts):
            if _outcome(entry) == "client-error":
                seen += 1
                again = [e for e in attempts[index + 1 :] if e.get("body_hash") == entry.get("body_hash")]
                if again:
                    failures.append(
                        run.show(again[0], f": the same cart again after #{entry['seq']}'s {entry['status']}")
                    )
                    break
    return _verdict(
        failures,
        seen > 0,
        "no cart answered 400, 401, 403 or 422 was sent again unchanged",
        "get a 422 (the scenario gives one on the 8th order)",
        "client errors retried",
    )


def timeout_handling(run: Run) -> Verdict:
    slow = [e for e in run.submits if e.get("imposed") == "slow"]
    failures = [
        run.show(e, ": waited for the slow answer; time out (at most 30 s) and retry with the same key")
        for e in slow
        if e.get("gave_up_at") is None
    ]
    waited = ", ".join(f"{run.guide(e['gave_up_at'] - e['t']):.1f} s" for e in slow if e.get("gave_up_at") is not None)
    return _verdict(
        failures,
        bool(slow),
        f"gave up on the slow answer after {waited} (guide time)",
        "submit at least 6 orders (the 6th answers slowly)",
        "no timeout on a slow answer",
    )


# --- answers and polling ------------------------------------------------------------------------------------------


def no_content_handled(run: Run) -> Verdict:
    failures, seen = [], 0
    for attempts in run.orders.values():
        for index, entry in enumerate(attempts):
            if _outcome(entry) == "no-content":
                seen += 1
                if index + 1 < len(attempts):
                    failures.append(run.show(attempts[index + 1], f": submitted again after #{entry['seq']}'s 204"))
                break
    return _verdict(
        failures,
        seen > 0,
        "each 204 was taken as 'no JafarShop items': not retried",
        "submit at least 9 orders (the 9th is answered 204)",
        "a 204 treated as a failure and retried",
    )


def _returned(run: Run) -> dict[str, Entry]:
    """supplier_order_id -> the answered 200 that gave it to the client first."""
    found: dict[str, Entry] = {}
    for entry in run.submits:
        if entry.get("answered") and entry.get("status") == 200 and entry.get("supplier_order_id"):
            found.setdefault(entry["supplier_order_id"], entry)
    return found


def poll_returned_id(run: Run) -> Verdict:
    returned = _returned(run)
    failures = [
        run.show(e, ": not a supplier_order_id this client was given")
        for e in run.reads
        if e.get("order_id") not in returned or returned[e["order_id"]]["t_answer"] > e["t"]
    ]
    return _verdict(
        failures,
        bool(run.reads),
        f"every read ({len(run.reads)}) asked for a supplier_order_id from a 200",
        "read an order you created (GET /v1/orders/{supplier_order_id})",
        "reads of ids never returned",
    )


def _timelines(run: Run) -> dict[str, list[Entry]]:
    """supplier_order_id -> the submit that returned it, then the client's reads of it, in order."""
    returned = _returned(run)
    lines: dict[str, list[Entry]] = {order_id: [entry] for order_id, entry in returned.items()}
    for entry in run.reads:
        if entry.get("order_id") in lines:
            lines[entry["order_id"]].append(entry)
    return lines


def poll_cadence(run: Run) -> Verdict:
    failures, reads = [], 0
    for line in _timelines(run).values():
        for previous, current in itertools.pairwise(line):
            status = previous.get("order_status")
            if status not in POLL_INTERVAL_SECONDS or not previous.get("answered"):
                continue
            reads += 1
            since = previous["t_answer"] if previous.get("operation") == "submitCart" else previous["t"]
            gap, needed = run.guide(current["t"] - since), POLL_INTERVAL_SECONDS[status]
            if gap < needed * TIMING_TOLERANCE:
                failures.append(
                    run.show(
                        current,
                        f": {_duration(gap)} after #{previous['seq']} saw {status}; "
                        f"the guide polls every {_duration(needed)} or more",
                    )
                )
    return _verdict(
        failures,
        reads > 0,
        f"every read ({reads}) kept the guide's polling intervals (5 min pending, 15 min confirmed, daily shipped)",
        "poll an order you created",
        "reads more often than the guide's polling recommendations",
    )


def poll_stop_terminal(run: Run) -> Verdict:
    failures, seen = [], 0
    for line in _timelines(run).values():
        ended = next((e for e in line[1:] if e.get("order_status") in TERMINAL_STATUSES), None)
        if ended is None:
            continue
        seen += 1
        after = [e for e in line if e["seq"] > ended["seq"]]
        if after:
            failures.append(run.show(after[0], f": read again after #{ended['seq']} saw {ended['order_status']}"))
    return _verdict(
        failures,
        seen > 0,
        "no order was read again after it was seen REJECTED, CANCELLED or DELIVERED",
        "poll the 10th order until you see it REJECTED (after 1 min guide time)",
        "orders read again after a final status",
    )


RULES: tuple[Rule, ...] = (
    Rule(
        "auth-bearer",
        MUST,
        "Authentication",
        "Every request sends `Authorization: Bearer {api_key}`",
        "send any request",
        auth_bearer,
    ),
    Rule(
        "content-type-json",
        MUST,
        "1. Submit Cart",
        "Every submit sends Content-Type: application/json",
        "submit a cart",
        content_type_json,
    ),
    Rule(
        "body-valid",
        MUST,
        "Field Reference",
        "Every submitted cart is valid against the spec",
        "submit a cart",
        body_valid,
    ),
    Rule(
        "key-not-in-url",
        MUST,
        "Security Best Practices",
        "The API key never appears in a URL or query string",
        "send any request",
        key_not_in_url,
    ),
    Rule(
        "key-not-logged",
        SHOULD,
        "Best Practices 5 (Security)",
        "The API key never appears in the client's output",
        "run the client with jafarshop-certify -- COMMAND",
        key_not_logged,
    ),
    Rule("https-production", SHOULD, "Security Best Practices", "HTTPS only in production", "", https_production),
    Rule(
        "idempotency-key-present",
        MUST,
        "Idempotency; Best Practices 1",
        "Every submit carries an Idempotency-Key",
        "submit a cart",
        key_present,
    ),
    Rule(
        "idempotency-key-unique",
        MUST,
        "Idempotency",
        "Each order has its own key (not one constant key)",
        "submit at least two orders",
        key_unique,
    ),
    Rule(
        "idempotency-retry-same",
        MUST,
        "Idempotency",
        "A retry resends the same key and the same payload",
        "retry a failed submit",
        retry_same,
    ),
    Rule(
        "conflict-new-key",
        SHOULD,
        "Retry Strategy 3; Common Errors 409",
        "After a 409, a new key (never the same)",
        "get the 409 of the 7th order",
        conflict_new_key,
    ),
    Rule(
        "retry-transient",
        SHOULD,
        "Retry Strategy 1",
        "500, 503, dropped connections and timeouts are retried",
        "meet the failures of the 2nd-6th orders",
        retry_transient,
    ),
    Rule(
        "retry-backoff",
        SHOULD,
        "Retry Strategy 1",
        "Retries wait at least 1 s, 2 s, 4 s (exponential backoff)",
        "retry a failed submit",
        retry_backoff,
    ),
    Rule(
        "retry-max",
        SHOULD,
        "Retry Strategy 1",
        "At most 3 retries of one order",
        "meet the 4th order, which always fails",
        retry_max,
    ),
    Rule(
        "no-retry-client-errors",
        SHOULD,
        "Retry Strategy 2",
        "400, 401, 403 and 422 are not retried unchanged",
        "get the 422 of the 8th order",
        no_retry_client_errors,
    ),
    Rule(
        "timeout-handling",
        SHOULD,
        "Best Practices 6 (timeouts)",
        "A slow answer is given up and retried",
        "submit the 6th order, which answers slowly",
        timeout_handling,
    ),
    Rule(
        "no-content-handled",
        MUST,
        "Common Errors 204",
        "A 204 means 'no JafarShop items': not an error, no retry",
        "get the 204 of the 9th order",
        no_content_handled,
    ),
    Rule(
        "poll-returned-id",
        MUST,
        "2. Get Order Status",
        "Reads ask for the supplier_order_id a 200 returned",
        "read an order you created",
        poll_returned_id,
    ),
    Rule(
        "poll-cadence",
        SHOULD,
        "Polling Recommendations",
        "Polls every 5-10 min pending, 15-30 min confirmed, daily shipped (not more often)",
        "poll an order you created",
        poll_cadence,
    ),
    Rule(
        "poll-stop-terminal",
        SHOULD,
        "Status Transitions",
        "No polling after REJECTED, CANCELLED or DELIVERED",
        "poll the 10th order until it is REJECTED",
        poll_stop_terminal,
    ),
)


@dataclass
class Graded:
    rule: Rule
    verdict: Verdict


def grade(record: Record) -> list[Graded]:
    """Every rule's verdict on this record."""
    run = Run(record)
    return [Graded(rule, rule.grade(run)) for rule in RULES]
