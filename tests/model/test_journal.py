"""The journal's store, without HTTP: numbering, the bound, and what an entry says of its answer."""

from __future__ import annotations

from datetime import UTC, datetime

from mockserver.model.journal import Journal, JournalEntry, JournalFilter, Outcome


def _entry(**fields: object) -> JournalEntry:
    base = {"time": datetime(2026, 1, 1, tzinfo=UTC), "method": "POST", "path": "/v1/carts/submit", "status": 200,
            "operation": "submitCart", "partner_id": "partner-a", "idempotency_key": "k"}  # fmt: skip
    return JournalEntry(**{**base, **fields})  # type: ignore[arg-type]


def test_an_entry_says_what_became_of_its_answer() -> None:
    dropped = _entry(outcome=Outcome.DROPPED, dropped="after-create", answer_bytes=48).as_json()
    assert (dropped["outcome"], dropped["dropped"], dropped["answer_bytes"]) == ("dropped", "after-create", 48)
    hung_up = _entry(outcome=Outcome.HUNG_UP, hung_up_after=0.301, delay_ms=1200).as_json()
    assert (hung_up["outcome"], hung_up["hung_up_after"], hung_up["delay_ms"]) == ("hung-up", 0.301, 1200)
    plain = _entry().as_json()
    assert plain["outcome"] == "answered" and plain["dropped"] is None and plain["hung_up_after"] is None
    assert plain["time"] == "2026-01-01T00:00:00.000000Z"  # to the microsecond


def test_entries_are_numbered_past_the_bound_and_read_newest_first() -> None:
    journal = Journal(size=2)
    for status in (200, 503, 500):
        journal.record(_entry(status=status))
    assert [(e["seq"], e["status"]) for e in journal.query()] == [(3, 500), (2, 503)]
    assert [e["status"] for e in journal.query(JournalFilter(status=503))] == [503]


def test_entries_filter_by_partner_order_and_key() -> None:
    journal = Journal()
    for pid, key in [("P-1", "k-1"), ("P-1", "k-2"), ("P-2", "k-1"), (None, None)]:
        journal.record(_entry(partner_order_id=pid, idempotency_key=key))
    assert [e["seq"] for e in journal.query(JournalFilter(partner_order_id="P-1"))] == [2, 1]
    assert [e["seq"] for e in journal.query(JournalFilter(idempotency_key="k-1"))] == [3, 1]
    assert [e["seq"] for e in journal.query(JournalFilter(partner_order_id="P-1", idempotency_key="k-1"))] == [1]
