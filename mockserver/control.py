"""Mock control that is not the partner API's: auto-advance schedules, injected faults and the request journal."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from mockserver.domain import Status, ValidationFailed, can_transition, format_timestamp


@dataclass(frozen=True)
class Step:
    """Move an order to `status` `after_seconds` after its creation."""

    status: Status
    after_seconds: float


def check_steps(steps: Iterable[Step]) -> list[Step]:
    """The steps, if they follow documented transitions from PENDING_CONFIRMATION with non-decreasing delays."""
    checked: list[Step] = []
    current, last_delay = Status.PENDING_CONFIRMATION, 0.0
    for index, step in enumerate(steps):
        if not can_transition(current, step.status):
            raise ValidationFailed(f"steps[{index}]: an order in {current.value} cannot become {step.status.value}")
        if step.after_seconds < last_delay:
            raise ValidationFailed(f"steps[{index}].after_seconds: must not be less than the previous step's")
        checked.append(step)
        current, last_delay = step.status, step.after_seconds
    return checked


@dataclass
class Fault:
    id: int
    count: int
    remaining: int
    operation: str | None = None
    status: int | None = None
    delay_ms: int = 0
    drop_connection: bool = False

    def as_json(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}

    def describe(self) -> str:
        parts = [f"fault {self.id}"]
        if self.delay_ms:
            parts.append(f"delay {self.delay_ms} ms")
        if self.drop_connection:
            parts.append("dropped connection")
        elif self.status:
            parts.append(f"status {self.status}")
        return ", ".join(parts)


class FaultStore:
    """Faults waiting for partner requests; each matching request uses up one count of the first matching fault."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)

    def add(self, count: int, **options: Any) -> Fault:
        fault = Fault(id=next(self._ids), count=count, remaining=count, **options)
        self._faults.append(fault)
        return fault

    def take(self, operation: str | None) -> Fault | None:
        """The fault that shapes this request, if any, with one count used."""
        for fault in self._faults:
            if fault.operation is None or fault.operation == operation:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self._faults.clear()

    def __bool__(self) -> bool:
        return bool(self._faults)

    def __iter__(self) -> Any:
        return iter(list(self._faults))


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
        self.entries = deque(maxlen=self.size) if self.size > 0 else deque(maxlen=0)

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
