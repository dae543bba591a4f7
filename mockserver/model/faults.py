"""Injected faults: the admin's store of them (the layer that shapes partner requests with them is
layers/faults.py)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any


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

    def __iter__(self) -> Iterator[Fault]:
        return iter(list(self._faults))
