"""The request journal: the last partner requests (time, partner, operation, status, Idempotency-Key, the
partner_order_id of the cart sent or of the order read, the errors the client was told, the fault that shaped the
answer, the request and answer bodies, and what became of the answer: sent whole, dropped by the mock after N bytes,
or left by a client that hung up after N seconds). Never an API key: the key is resolved to its partner, and a body
that quotes it has it blanked out. layers/journal.py records them."""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from mockserver.model.domain import format_timestamp


class Outcome(StrEnum):
    """What became of an answer."""

    ANSWERED = "answered"  # sent whole (or as far as the server took it)
    DROPPED = "dropped"  # the mock cut the connection on purpose (a fault, a certification condition)
    HUNG_UP = "hung-up"  # the client closed the connection before the answer was whole


@dataclass
class JournalEntry:
    time: datetime
    method: str
    path: str
    status: int
    operation: str | None
    partner_id: str | None
    idempotency_key: str | None
    partner_order_id: str | None = (
        None  # of the cart submitted, or of the order read (the console groups retries by it)
    )
    errors: Any = None
    fault: str | None = None
    request_body: str | None = None
    response_body: str | None = None
    seq: int = 0
    outcome: Outcome = Outcome.ANSWERED
    answer_bytes: int = 0  # body bytes sent to the client (for a dropped answer: where it was cut)
    dropped: str | None = None  # a dropped answer: "before-create" or "after-create" (model/faults.Drop)
    hung_up_after: float | None = None  # seconds from the request's start to the client's hang-up
    delay_ms: int | None = None  # the delay a fault imposed

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "time": format_timestamp(self.time), "outcome": self.outcome.value}


@dataclass(frozen=True)
class JournalFilter:
    """Which entries a reader wants: each field given must be equal (the admin API's and the console's filters)."""

    partner_id: str | None = None
    operation: str | None = None
    status: int | None = None
    partner_order_id: str | None = None
    idempotency_key: str | None = None

    def matches(self, entry: JournalEntry) -> bool:
        return all(wanted is None or getattr(entry, name) == wanted for name, wanted in vars(self).items())


@dataclass
class Journal:
    """The last `size` partner requests, newest last. Holds no API key: only the partner id the key resolved to."""

    size: int = 1000
    entries: deque[JournalEntry] = field(init=False)
    _recorded: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.entries = deque(maxlen=max(self.size, 0))

    @property
    def enabled(self) -> bool:
        return self.size > 0

    def record(self, entry: JournalEntry) -> None:
        self._recorded += 1
        entry.seq = self._recorded  # numbers survive the bound, so a reader can tell new entries from old
        self.entries.append(entry)

    def query(self, where: JournalFilter | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Newest first, at most `limit`, those `where` matches (every entry without one)."""
        found = []
        for entry in reversed(self.entries):
            if where is None or where.matches(entry):
                found.append(entry.as_json())
                if len(found) >= limit:
                    break
        return found

    def clear(self) -> None:
        self.entries.clear()
