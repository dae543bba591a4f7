"""Graders of the Retry Strategy: which failures are retried, how soon, how often, and timeouts."""

from __future__ import annotations

from certify.record import (
    BACKOFF_SECONDS,
    MAX_RETRIES,
    MAX_TIMEOUT_SECONDS,
    SETTLE_SECONDS,
    TIMING_TOLERANCE,
    Run,
    Verdict,
    outcome,
    retries_of,
    verdict,
)


def retry_transient(run: Run) -> Verdict:
    failures, seen = [], 0
    for attempts in run.orders.values():
        for index, entry in enumerate(attempts):
            if outcome(entry) == "transient":
                seen += 1
                late = run.guide(run.end - entry["t_answer"]) < SETTLE_SECONDS
                if index == len(attempts) - 1 and not late:
                    failures.append(run.show(entry, ": never retried"))
                break
    return verdict(
        failures,
        seen > 0,
        "every 500, 503, dropped connection and timeout was retried",
        "meet a 500, 503 or dropped connection (the 2nd to 6th orders)",
        "transient failures not retried",
    )


def retry_backoff(run: Run) -> Verdict:
    failures, retries = [], 0
    for previous, current, streak in retries_of(run):
        if streak > len(BACKOFF_SECONDS) or previous.get("gave_up_at") is not None:
            continue  # after a timeout the mock sees the hang-up later than the client made it: not timed
        retries += 1
        waited, needed = run.guide(current["t"] - previous["t_answer"]), BACKOFF_SECONDS[streak - 1]
        if waited < needed * TIMING_TOLERANCE:
            failures.append(run.show(current, f": retry {streak} after {waited:.2f} s; the guide waits {needed:.0f} s"))
    return verdict(
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
            if outcome(entry) == "transient":
                streak, start = streak + 1, start or entry
                exercised = True
            else:
                streak, start = 0, None
            if streak == MAX_RETRIES + 2:
                failures.append(run.show(entry, f": retry {streak - 1} of the order failing since #{start['seq']}"))  # type: ignore[index]
    return verdict(
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
            if outcome(entry) == "client-error":
                seen += 1
                sent = (entry.get("body_hash"), entry.get("content_type"))  # a fixed Content-Type is a fixed request
                again = [e for e in attempts[index + 1 :] if (e.get("body_hash"), e.get("content_type")) == sent]
                if again:
                    failures.append(
                        run.show(again[0], f": the same cart again after #{entry['seq']}'s {entry['status']}")
                    )
                    break
    return verdict(
        failures,
        seen > 0,
        "no cart answered 400, 401, 403 or 422 was sent again unchanged",
        "get a 422 (the scenario gives one on the 8th order)",
        "client errors retried",
    )


def timeout_handling(run: Run) -> Verdict:
    slow = [e for e in run.submits if e.get("imposed") == "slow"]
    failures, waits = [], []
    limit = MAX_TIMEOUT_SECONDS / TIMING_TOLERANCE
    for entry in slow:
        gave_up = entry.get("gave_up_at")
        if gave_up is None:  # a client may also give up without closing the connection, and retry
            retry = next(
                (e for e in run.orders.get(entry.get("partner_order_id") or "", []) if entry["t"] < e["t"]), None
            )
            gave_up = retry["t"] if retry is not None and retry["t"] < entry["t_answer"] else None
        if gave_up is not None and gave_up >= run.end:
            continue  # hung up because it was stopped at the end of the run: says nothing
        if gave_up is None:
            failures.append(run.show(entry, ": waited for the slow answer; " + _timeout_advice(run)))
        elif run.guide(gave_up - entry["t"]) > limit:
            waited = run.guide(gave_up - entry["t"])
            failures.append(run.show(entry, f": gave up after {waited:.0f} s; " + _timeout_advice(run)))
        else:
            waits.append(f"{run.guide(gave_up - entry['t']):.1f} s")
    return verdict(
        failures,
        bool(slow),
        f"gave up on the slow answer after {', '.join(waits)} (guide time)",
        "submit at least 6 orders (the 6th answers slowly)",
        "no timeout, or one longer than 30 s, on a slow answer",
    )


def _timeout_advice(run: Run) -> str:
    return (
        f"time out within {MAX_TIMEOUT_SECONDS:.0f} s of guide time ({MAX_TIMEOUT_SECONDS / run.scale:.3g} s real at "
        f"time scale {run.scale:g}: divide your timeout by JAFARSHOP_TIME_SCALE) and retry with the same key"
    )
