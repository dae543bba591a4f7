"""Graders of the requests themselves (Authentication, Submit Cart, Field Reference, Security) and of idempotency."""

from __future__ import annotations

import itertools
from collections import defaultdict

from graders.record import (
    NOT_EXERCISED,
    Auth,
    Entry,
    Got,
    Run,
    Verdict,
    outcome,
    retries_of,
    verdict,
)
from jafarshop_kit.media_types import is_json_content_type


def auth_bearer(run: Run) -> Verdict:
    wrong = {
        Auth.MISSING: "no Authorization header",
        Auth.NOT_BEARER: "not the Bearer scheme",
        Auth.MALFORMED: "extra white space around or inside the key",
        Auth.WRONG_KEY: "a key that is no partner's (not the one it was given)",
    }
    calls = [e for e in run.entries if e.get("operation")]  # the API's operations (not its spec, not OPTIONS)
    failures = [run.show(e, f": {wrong.get(e['auth'], e['auth'])}") for e in calls if e.get("auth") != Auth.OK]
    return verdict(
        failures,
        bool(calls),
        f"every API call ({len(calls)}) sent `Authorization: Bearer <key>`",
        "the client sent no request",
        "requests without `Authorization: Bearer <its key>` as the guide shows it",
    )


def content_type_json(run: Run) -> Verdict:
    submits = run.all_submits
    failures = [
        run.show(e, f": Content-Type {e.get('content_type')!r}")
        for e in submits
        if not is_json_content_type(e.get("content_type"))
    ]
    return verdict(
        failures,
        bool(submits),
        f"every submit ({len(submits)}) sent Content-Type: application/json",
        "the client submitted no cart",
        "submits without Content-Type: application/json",
    )


def body_valid(run: Run) -> Verdict:
    submits = run.all_submits
    failures = [run.show(e, ": " + "; ".join(e["body_errors"])) for e in submits if e.get("body_errors")]
    return verdict(
        failures,
        bool(submits),
        f"every submitted cart ({len(submits)}) is valid against the spec",
        "the client submitted no cart",
        "carts that break the spec's schema",
    )


def key_not_in_url(run: Run) -> Verdict:
    failures = [run.show(e, ": the API key is in the URL") for e in run.entries if e.get("key_in_url")]
    return verdict(
        failures,
        bool(run.entries),
        "the API key never appeared in a URL or query string",
        "the client sent no request",
        "the API key was sent in a URL, where proxies and logs keep it",
    )


def key_not_logged(run: Run) -> Verdict:
    output = run.record.get("client_output")
    if output is None or not output["watched"]:
        return Verdict(
            NOT_EXERCISED, "the client's output was not watched (graded with `report`, not run by the command)"
        )
    failures = [f"the API key in the client's {where}" for where in output["key_seen"]]
    return verdict(
        failures,
        bool(run.entries),  # a client that never used its key had no chance to log it
        "the API key never appeared in the client's output",
        "the client sent no request",
        "the client printed its API key (the guide: 'Never log API keys')",
    )


def https_production(run: Run) -> Verdict:
    return Verdict(
        NOT_EXERCISED,
        "the mock serves plain HTTP on this machine: check that your production base URL "
        "starts with https:// (the guide: 'Use HTTPS only in production')",
    )


def key_present(run: Run) -> Verdict:
    failures = [run.show(e, ": no Idempotency-Key") for e in run.all_submits if not e.get("idempotency_key")]
    duplicates = [
        pid
        for pid, attempts in run.orders.items()
        if len({e["supplier_order_id"] for e in attempts if e.get("supplier_order_id")}) > 1
    ]
    if failures and duplicates:
        failures.append(
            f"{len(duplicates)} partner order(s) became more than one JafarShop order: {', '.join(duplicates)}"
        )
    return verdict(
        failures,
        bool(run.all_submits),
        f"every submit ({len(run.all_submits)}) carried an Idempotency-Key",
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
    return verdict(
        failures,
        exercised,
        "each partner order had its own Idempotency-Key",
        "submit at least two different orders",
        "one Idempotency-Key shared by different orders",
    )


def retry_same(run: Run) -> Verdict:
    failures, retries = [], 0
    for previous, current, _ in retries_of(run):
        retries += 1
        if current.get("idempotency_key") != previous.get("idempotency_key"):
            failures.append(run.show(current, f": a different key from #{previous['seq']}'s (a duplicate order risk)"))
        elif current.get("body_hash") != previous.get("body_hash"):
            failures.append(run.show(current, f": a different payload from #{previous['seq']}'s (answered 409)"))
    for attempts in run.orders.values():
        # An order submitted again after its 200 is harmless with the same key (a replay), a duplicate without it.
        for previous, current in itertools.pairwise(attempts):
            if outcome(previous) == Got.SUCCESS and current.get("idempotency_key") != previous.get("idempotency_key"):
                failures.append(
                    run.show(current, f": #{previous['seq']} had created this order; a new key makes it twice")
                )
        created = {entry["supplier_order_id"] for entry in attempts if entry.get("supplier_order_id")}
        keyed = any(entry.get("idempotency_key") for entry in attempts)  # without keys: idempotency-key-present's
        if len(created) > 1 and keyed:
            failures.append(f"partner order {attempts[0]['partner_order_id']} became {len(created)} JafarShop orders")
    return verdict(
        failures,
        retries > 0,
        f"every retry ({retries}) resent the same key and the same payload",
        "retry a failed submit (500, 503, a dropped connection or a timeout)",
        "retries or resubmissions that changed the Idempotency-Key or the payload (duplicate orders)",
    )


def conflict_new_key(run: Run) -> Verdict:
    failures, pending, conflicts = [], [], 0
    for attempts in run.orders.values():
        for index, entry in enumerate(attempts):
            if outcome(entry) != Got.CONFLICT or not entry.get("idempotency_key"):
                continue  # a 409 to a submit without a key is idempotency-key-present's to report
            later = attempts[index + 1 :]
            reused = [e for e in later if e.get("idempotency_key") == entry.get("idempotency_key")]
            if reused:
                failures.append(run.show(reused[0], f": the key that got 409 in #{entry['seq']} sent again"))
            elif later:
                conflicts += 1
            elif run.had_time(entry["t_answer"]):
                failures.append(
                    run.show(entry, f": never submitted again with a new key; {run.ended(entry['t_answer'])}")
                )
            else:
                pending.append(run.show(entry))
    return verdict(
        failures,
        conflicts > 0,
        "after each 409 the order was submitted again with a new key",
        "the client got no 409",
        "a 409 not followed by a new key",
        pending,
    )
