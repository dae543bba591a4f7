"""The request journal: the last partner requests (time, partner, operation, status, Idempotency-Key, the errors the
client was told, the fault that shaped the answer). Never an API key. layers/journal.py records them."""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from mockserver.model.domain import format_timestamp


@dataclass
class JournalEntry:
    time: datetime
    method: str
    path: str
    status: int
    operation: str | None
    partner_id: str | None
    idempotency_key: str | None
    errors: Any = None
    fault: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "time": format_timestamp(self.time)}


@dataclass
class Journal:
    """The last `size` partner requests, newest last. Holds no API key: only the partner id the key resolved to."""

    size: int = 1000
    entries: deque[JournalEntry] = field(init=False)

    def __post_init__(self) -> None:
        self.entries = deque(maxlen=max(self.size, 0))

    @property
    def enabled(self) -> bool:
        return self.size > 0

    def record(self, entry: JournalEntry) -> None:
        self.entries.append(entry)

    def query(self, partner_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Newest first, optionally one partner's."""
        found = []
        for entry in reversed(self.entries):
            if partner_id is None or entry.partner_id == partner_id:
                found.append(entry.as_json())
                if len(found) >= limit:
                    break
        return found

    def clear(self) -> None:
        self.entries.clear()
