"""Graders of the Retry Strategy: which failures are retried, how soon, how often, and timeouts."""

from __future__ import annotations

from graders.record import (
    BACKOFF_SECONDS,
    CLIENT_ERROR_STATUSES,
    MAX_RETRIES,
    MAX_TIMEOUT_SECONDS,
    NOT_EXERCISED,
    RECONNECT_NOISE_SECONDS,
    TIMING_TIME_SCALE,
    TIMING_TOLERANCE,
    Got,
    Imposed,
    Run,
    Verdict,
    failures_in_a_row,
    outcome,
    retries_of,
    statuses_words,
    verdict,
)
from jafarshop_kit.guide import backoff_words

_CLIENT_ERRORS = statuses_words(CLIENT_ERROR_STATUSES)


def retry_transient(run: Run) -> Verdict:
    failures, pending, retried = [], [], 0
    for attempts in run.orders.values():
        for index, entry, streak in failures_in_a_row(attempts):
            if not streak:
                continue
            if index + 1 < len(attempts) or streak > MAX_RETRIES:  # retried, or given up after the guide's last retry
                retried += 1
            elif not run.had_time(entry["t_answer"]):
                pending.append(run.show(entry))
            elif streak == 1:
                failures.append(run.show(entry, f": never retried; {run.ended(entry['t_answer'])}"))
            else:
                failures.append(run.show(entry, f": given up after {streak - 1} of the guide's {MAX_RETRIES} retries "
                                         f"({backoff_words()}); {run.ended(entry['t_answer'])}"))  # fmt: skip
    return verdict(
        failures,
        retried > 0,
        f"every 500, 503, dropped connection and timeout ({retried}) was retried, up to {MAX_RETRIES} times",
        "the client met no 500, 503, dropped connection or timeout",
        "transient failures not retried (each is shown with what the client did next)",
        pending,
    )


def retry_backoff(run: Run) -> Verdict:
    """Each retry's gap, in real time from the end of the failed answer (its last byte, or the drop) to the retry's
    arrival. Shorter than 90% of the guide's wait fails: a client that waits shows at least its wait, whatever the
    load. Longer passes only when it is also longer than a reconnect may take on a loaded machine; between the two
    (at a fast time scale) the retry is undecided, and no pass is given on it."""
    failures, undecided, retries = [], [], 0
    for previous, current, streak in retries_of(run):
        if streak > len(BACKOFF_SECONDS) or previous.get("gave_up_at") is not None:
            continue  # after a timeout the mock sees the hang-up later than the client made it: not timed
        retries += 1
        gap = current["t"] - previous["t_answer"]
        waited, needed = run.guide(gap), BACKOFF_SECONDS[streak - 1]
        if waited < needed * TIMING_TOLERANCE:
            failures.append(run.show(current, f": retry {streak} after {waited:.2f} s ({gap * 1000:.0f} ms real); "
                                     f"the guide waits {needed:.0f} s"))  # fmt: skip
        elif gap < RECONNECT_NOISE_SECONDS:
            undecided.append(run.show(current, f": retry {streak} after {waited:.2f} s, {gap * 1000:.0f} ms real: "
                                      "a reconnect without a wait may take as long"))  # fmt: skip
    if undecided and not failures:
        return Verdict(
            NOT_EXERCISED,
            f"{len(undecided)} of {retries} retries came within {RECONNECT_NOISE_SECONDS * 1000:.0f} ms real of the "
            f"failure, which a reconnect alone may take on a busy machine: time scale {run.scale:g} is too fast to "
            f"tell the guide's waits from none (jafarshop-certify times them on a second run at time scale "
            f"{TIMING_TIME_SCALE:g}; attached, arm the run with --time-scale {TIMING_TIME_SCALE:g})",
            undecided[:5],
        )
    return verdict(
        failures,
        retries > 0,
        f"every retry ({retries}) waited at least {backoff_words()} (guide time)",
        "the client retried no failed submit",
        f"retries sooner than the guide's {backoff_words()}",
    )


def retry_max(run: Run) -> Verdict:
    """Exercised only by a failure that outlasted MAX_RETRIES retries: then the client must stop."""
    failures, pending, stopped = [], [], 0
    for attempts in run.orders.values():
        for index, entry, streak in failures_in_a_row(attempts):
            if streak == MAX_RETRIES + 2:
                start = attempts[index - streak + 1]
                failures.append(run.show(entry, f": retry {streak - 1} of the order failing since #{start['seq']}"))
            elif streak == MAX_RETRIES + 1 and index + 1 == len(attempts):
                if run.had_time(entry["t_answer"]):
                    stopped += 1
                else:
                    pending.append(run.show(entry))
    return verdict(
        failures,
        stopped > 0,
        f"every order still failing after {MAX_RETRIES} retries ({stopped}) was given up",
        f"no order failed {MAX_RETRIES + 1} times in a row (the client never reached the guide's last retry)",
        f"more than {MAX_RETRIES} retries of one order",
        pending,
    )


def no_retry_client_errors(run: Run) -> Verdict:
    failures, pending, refused = [], [], 0
    for attempts in run.orders.values():
        resent: set[int] = set()
        for index, entry in enumerate(attempts):
            if outcome(entry) != Got.CLIENT_ERROR or entry["seq"] in resent:
                continue
            sent = (entry.get("body_hash"), entry.get("content_type"))  # a fixed Content-Type is a fixed request
            again = [e for e in attempts[index + 1 :] if (e.get("body_hash"), e.get("content_type")) == sent]
            resent.update(e["seq"] for e in again)
            for number, resend in enumerate(again, start=1):
                note = (
                    f": the same cart again after #{entry['seq']}'s {entry['status']} (resend {number} of {len(again)})"
                )
                failures.append(run.show(resend, note))
            if not again and run.had_time(entry["t_answer"]):
                refused += 1
            elif not again:
                pending.append(run.show(entry))
    return verdict(
        failures,
        refused > 0,
        f"no cart answered {_CLIENT_ERRORS} was sent again unchanged",
        f"the client got no {_CLIENT_ERRORS}",
        "client errors resent unchanged (each resend shown)",
        pending,
    )


def timeout_handling(run: Run) -> Verdict:
    slow = [e for e in run.submits if e.get("imposed") == Imposed.SLOW]
    failures, pending, waits = [], [], []
    limit = MAX_TIMEOUT_SECONDS / TIMING_TOLERANCE
    for entry in slow:
        gave_up = entry.get("gave_up_at")
        if gave_up is None:  # a client may also give up without closing the connection, and retry
            retry = next(
                (e for e in run.orders.get(entry.get("partner_order_id") or "", []) if entry["t"] < e["t"]), None
            )
            gave_up = retry["t"] if retry is not None and retry["t"] < entry["t_answer"] else None
        if gave_up is not None and gave_up >= run.end:  # hung up because its process ended: still waiting then
            waited = run.guide(run.end - entry["t"])
            if waited > limit:
                failures.append(run.show(entry, f": still waiting after {waited:.0f} s, when {run.ended(run.end)}; "
                                         + _timeout_advice(run)))  # fmt: skip
            else:
                pending.append(run.show(entry))
        elif gave_up is None:
            failures.append(run.show(entry, ": waited for the slow answer; " + _timeout_advice(run)))
        elif run.guide(gave_up - entry["t"]) > limit:
            waited = run.guide(gave_up - entry["t"])
            failures.append(run.show(entry, f": gave up after {waited:.0f} s; " + _timeout_advice(run)))
        else:
            waits.append(f"{run.guide(gave_up - entry['t']):.1f} s")
    return verdict(
        failures,
        bool(waits),
        f"gave up on the slow answer after {', '.join(waits)} (guide time)",
        "the client gave up on no slow answer (it met none, or was stopped while it waited)",
        f"no timeout, or one longer than {MAX_TIMEOUT_SECONDS:.0f} s, on a slow answer",
        pending,
    )


def _timeout_advice(run: Run) -> str:
    return (
        f"time out within {MAX_TIMEOUT_SECONDS:.0f} s of guide time ({MAX_TIMEOUT_SECONDS / run.scale:.3g} s real at "
        f"time scale {run.scale:g}: divide your timeout by JAFARSHOP_TIME_SCALE) and retry with the same key"
    )
