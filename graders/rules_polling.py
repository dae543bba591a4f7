"""Graders of how answers are taken (204) and how orders are polled (Polling Recommendations)."""

from __future__ import annotations

import itertools

from graders.record import (
    POLL_INTERVAL_SECONDS,
    TERMINAL_STATUSES,
    TIMING_TOLERANCE,
    Entry,
    Got,
    Run,
    Verdict,
    duration,
    outcome,
    verdict,
)


def no_content_handled(run: Run) -> Verdict:
    failures, pending, taken = [], [], 0
    last = run.entries[-1]["seq"] if run.entries else None
    crashed = run.exit_code not in (None, 0)
    for attempts in run.orders.values():
        for index, entry in enumerate(attempts):
            if outcome(entry) != Got.NO_CONTENT:
                continue
            if index + 1 < len(attempts):
                failures.append(run.show(attempts[index + 1], f": submitted again after #{entry['seq']}'s 204"))
            elif crashed and entry["seq"] == last:  # its last request: the 204 is what it did not take
                failures.append(run.show(entry, f": its last request; {run.ended(entry['t_answer'])} (an error exit)"))
            elif run.had_time(entry["t_answer"]):
                taken += 1
            else:
                pending.append(run.show(entry))
            break
    return verdict(
        failures,
        taken > 0,
        "each 204 was taken as 'no JafarShop items': not retried, and the client went on",
        "the client got no 204",
        "a 204 treated as a failure (retried, or the client ended in error on it)",
        pending,
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
        # A read answered 200 is of this client's own order (one it made in an earlier run, too).
        if e.get("status") != 200
        and (e.get("order_id") not in returned or returned[e["order_id"]]["t_answer"] > e["t"])
    ]
    return verdict(
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
            if previous.get("operation") == "submitCart":
                continue  # the first read is not timed: a job that reads every pending order on one tick is fine
            reads += 1
            gap, needed = run.guide(current["t"] - previous["t"]), POLL_INTERVAL_SECONDS[status]
            if gap < needed * TIMING_TOLERANCE:
                failures.append(
                    run.show(
                        current,
                        f": {duration(gap)} after #{previous['seq']} saw {status}; "
                        f"the guide polls every {duration(needed)} or more",
                    )
                )
    return verdict(
        failures,
        reads > 0,
        f"every read after another ({reads}) kept the guide's polling intervals ({_intervals()})",
        "the client read no order twice (the first read after the submit is not timed)",
        "reads more often than the guide's polling recommendations",
    )


def poll_stop_terminal(run: Run) -> Verdict:
    failures, pending, stopped = [], [], 0
    # A client that stopped shows it by not reading for at least the shortest interval it would have polled at.
    quiet = min(POLL_INTERVAL_SECONDS.values()) * TIMING_TOLERANCE
    for line in _timelines(run).values():
        ended = next((e for e in line[1:] if e.get("order_status") in TERMINAL_STATUSES), None)
        if ended is None:
            continue
        after = [e for e in line if e["seq"] > ended["seq"]]
        if after:
            failures.append(run.show(after[0], f": read again after #{ended['seq']} saw {ended['order_status']}"))
        elif run.had_time(ended["t_answer"], quiet):
            stopped += 1
        else:
            pending.append(run.show(ended))
    return verdict(
        failures,
        stopped > 0,
        f"no order was read again after it was seen {' or '.join(sorted(TERMINAL_STATUSES))}",
        f"the client saw no order {' or '.join(sorted(TERMINAL_STATUSES))}",
        "orders read again after a final status",
        pending,
    )


def _intervals() -> str:
    return ", ".join(f"{duration(seconds)} {status}" for status, seconds in POLL_INTERVAL_SECONDS.items())
