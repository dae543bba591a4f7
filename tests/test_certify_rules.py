"""jafarshop-certify's graders on hand-made records: each rule's pass, fail and "not exercised", without HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from certify.report import FAILED, INCOMPLETE, outcome
from certify.rules import FAIL, NOT_EXERCISED, PASS, grade

# --- the graders, on hand-made records -------------------------------------------------------------------------------


def submit(seq: int, t: float, pid: str, key: str | None = "k1", status: int = 200, **extra: Any) -> dict[str, Any]:
    entry = {"seq": seq, "t": t, "t_answer": t + 0.001, "method": "POST", "path": "/v1/carts/submit",
             "operation": "submitCart", "auth": "ok", "key_in_url": False, "content_type": "application/json",
             "idempotency_key": key, "partner_order_id": pid, "body_hash": "h-" + pid, "body_errors": [],
             "status": status, "answered": True}  # fmt: skip
    if status == 200:
        entry.update(supplier_order_id=f"id-{pid}", order_status="PENDING_CONFIRMATION")
    return {**entry, **extra}


def read(seq: int, t: float, order_id: str, status: str, **extra: Any) -> dict[str, Any]:
    return {"seq": seq, "t": t, "t_answer": t + 0.001, "method": "GET", "path": f"/v1/orders/{order_id}",
            "operation": "getOrder", "auth": "ok", "key_in_url": False, "order_id": order_id, "status": 200,
            "order_status": status, "answered": True, **extra}  # fmt: skip


def verdicts(entries: list[dict[str, Any]], scale: float = 60.0, elapsed: float = 100.0) -> dict[str, str]:
    return {g.rule.id: g.verdict.verdict for g in grade({"time_scale": scale, "elapsed": elapsed, "entries": entries})}


def test_nothing_sent_exercises_nothing_and_is_not_certified() -> None:
    graded = grade({"time_scale": 60, "elapsed": 60, "entries": []})
    assert {g.verdict.verdict for g in graded} == {NOT_EXERCISED}
    assert outcome(graded).code == INCOMPLETE


@pytest.mark.parametrize(
    ("waits", "verdict"),
    [
        ((1.0, 2.0, 4.0), PASS),  # the guide's waits, in guide seconds
        ((1.0, 2.0, 3.0), FAIL),  # the third retry too soon
        ((0.0, 0.0, 0.0), FAIL),  # no backoff at all
        ((0.95, 1.9, 3.8), PASS),  # within the 10% allowed for timers
    ],
)
def test_retry_backoff_is_measured_from_the_failed_answer(waits: tuple[float, ...], verdict: str) -> None:
    entries, t = [], 0.0
    for seq, wait in enumerate(waits, start=1):
        entries.append(submit(seq, t, "P1", status=500))
        t += 0.001 + wait / 60
    entries.append(submit(len(waits) + 1, t + 0.0001, "P1"))
    result = verdicts(entries)
    assert result["retry-backoff"] == verdict
    assert result["retry-transient"] == PASS and result["retry-max"] == PASS


@pytest.mark.parametrize(("attempts", "verdict"), [(4, PASS), (5, FAIL)])
def test_at_most_three_retries(attempts: int, verdict: str) -> None:
    entries = [submit(n, n * 0.2, "P1", status=500) for n in range(1, attempts + 1)]
    assert verdicts(entries)["retry-max"] == verdict


def test_a_retry_with_a_new_key_or_payload_fails_the_must_rule() -> None:
    assert verdicts([submit(1, 0, "P1", status=503), submit(2, 0.1, "P1", key="k2")])["idempotency-retry-same"] == FAIL
    changed = submit(2, 0.1, "P1", body_hash="other")
    assert verdicts([submit(1, 0, "P1", status=503), changed])["idempotency-retry-same"] == FAIL
    assert verdicts([submit(1, 0, "P1", status=503), submit(2, 0.1, "P1")])["idempotency-retry-same"] == PASS


def test_an_order_submitted_again_after_its_200_with_a_new_key_is_a_duplicate() -> None:
    duplicate = submit(2, 5, "P1", key="k2", supplier_order_id="id-P1-again")
    assert verdicts([submit(1, 0, "P1"), duplicate])["idempotency-retry-same"] == FAIL
    assert verdicts([submit(1, 0, "P1"), submit(2, 5, "P1")])["idempotency-retry-same"] != FAIL  # a replay


def test_one_key_for_two_orders_fails_and_one_order_does_not_exercise_it() -> None:
    assert verdicts([submit(1, 0, "P1"), submit(2, 1, "P2")])["idempotency-key-unique"] == FAIL
    assert verdicts([submit(1, 0, "P1"), submit(2, 1, "P2", key="k2")])["idempotency-key-unique"] == PASS
    assert verdicts([submit(1, 0, "P1")])["idempotency-key-unique"] == NOT_EXERCISED


@pytest.mark.parametrize(
    ("gap_minutes", "seen", "verdict"),
    [(5.0, "PENDING_CONFIRMATION", PASS), (1.0, "PENDING_CONFIRMATION", FAIL), (15.0, "CONFIRMED", PASS),
     (10.0, "CONFIRMED", FAIL), (60.0, "SHIPPED", FAIL)],
)  # fmt: skip
def test_poll_cadence_follows_the_status_last_seen(gap_minutes: float, seen: str, verdict: str) -> None:
    first = 5.5 / 60 * 60  # the first read 5.5 guide minutes after the submit
    entries = [submit(1, 0, "P1"), read(2, first, "id-P1", seen), read(3, first + gap_minutes, "id-P1", seen)]
    assert verdicts(entries)["poll-cadence"] == verdict


def test_reading_a_rejected_order_again_fails_and_an_unknown_id_fails() -> None:
    entries = [submit(1, 0, "P1"), read(2, 6, "id-P1", "REJECTED"), read(3, 12, "id-P1", "REJECTED")]
    result = verdicts(entries)
    assert result["poll-stop-terminal"] == FAIL and result["poll-cadence"] == PASS
    unknown = {**read(2, 6, "id-other", "PENDING_CONFIRMATION"), "status": 404, "order_status": None}
    assert verdicts([submit(1, 0, "P1"), unknown])["poll-returned-id"] == FAIL
    upper = read(2, 6, "ID-P1", "PENDING_CONFIRMATION")  # ids are compared as the API compares them
    assert verdicts([submit(1, 0, "P1"), upper])["poll-returned-id"] == PASS


def test_the_first_read_is_not_timed_against_the_submit() -> None:
    """A job that reads every pending order on one 5-minute tick reads a new order soon after it was made."""
    entries = [submit(1, 0, "P1"), read(2, 0.2, "id-P1", "PENDING_CONFIRMATION")]
    entries.append(read(3, 0.2 + 5.0, "id-P1", "PENDING_CONFIRMATION"))
    assert verdicts(entries)["poll-cadence"] == PASS


@pytest.mark.parametrize(
    ("gave_up_after", "retry_at", "verdict"),
    [(30.0, None, PASS), (45.0, None, FAIL), (None, 30.5, PASS), (None, None, FAIL)],
    ids=["hung-up-at-30-s", "hung-up-at-45-s", "retried-without-hanging-up", "waited"],
)
def test_a_slow_answer_is_given_up_within_30_s_of_guide_time(
    gave_up_after: float | None, retry_at: float | None, verdict: str
) -> None:
    slow = submit(
        1, 0, "P6", imposed="slow", t_answer=1.0, gave_up_at=None if gave_up_after is None else gave_up_after / 60
    )
    entries = [slow] + ([submit(2, retry_at / 60, "P6")] if retry_at else [])
    assert verdicts(entries)["timeout-handling"] == verdict


def test_a_client_error_resent_with_a_fixed_content_type_is_not_a_retry() -> None:
    refused = submit(1, 0, "P1", status=415, content_type="text/plain")
    assert verdicts([refused, submit(2, 1, "P1")])["no-retry-client-errors"] == PASS
    assert verdicts([refused, submit(2, 1, "P1", content_type="text/plain")])["no-retry-client-errors"] == FAIL


def test_only_the_apis_operations_are_graded_for_their_authorization() -> None:
    spec_read = {
        **read(2, 1, "x", "PENDING_CONFIRMATION"),
        "operation": None,
        "auth": "missing",
        "path": "/v1/openapi.json",
    }
    assert verdicts([submit(1, 0, "P1"), spec_read])["auth-bearer"] == PASS


def test_a_204_resubmitted_fails_and_a_422_resent_unchanged_fails() -> None:
    assert verdicts([submit(1, 0, "P1", status=204), submit(2, 1, "P1")])["no-content-handled"] == FAIL
    assert verdicts([submit(1, 0, "P1", status=422), submit(2, 1, "P1")])["no-retry-client-errors"] == FAIL
    fixed = submit(2, 1, "P1", body_hash="fixed")
    assert verdicts([submit(1, 0, "P1", status=422), fixed])["no-retry-client-errors"] == PASS


def test_requests_are_checked_for_bearer_content_type_body_and_key_in_url() -> None:
    result = verdicts([submit(1, 0, "P1", auth="malformed", content_type="text/plain", body_errors=["bad"],
                              key_in_url=True)])  # fmt: skip
    assert [result[rule] for rule in ("auth-bearer", "content-type-json", "body-valid", "key-not-in-url")] == [FAIL] * 4


def test_a_failed_should_rule_fails_unless_lenient() -> None:
    graded = grade(
        {"time_scale": 60, "elapsed": 100, "entries": [submit(1, 0, "P1", status=500), submit(2, 0.001, "P1")]}
    )
    assert next(g for g in graded if g.rule.id == "retry-backoff").verdict.verdict == FAIL
    assert outcome(graded).code == FAILED
    assert outcome(graded, lenient=True).code == INCOMPLETE  # MUST rules such as idempotency-key-unique not exercised
