"""Injected faults: the admin's store of them (the layer that shapes partner requests with them is
layers/faults.py)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from mockserver.model.domain import ValidationFailed


class Drop(StrEnum):
    """Where a dropped connection cuts the request: before the mock handles it (no order is made), or after (the order
    exists, and its answer is cut half-way: only a retry with the same key can tell)."""

    BEFORE_CREATE = "before-create"
    AFTER_CREATE = "after-create"

    @property
    def words(self) -> str:
        return _DROP_WORDS[self]


_DROP_WORDS = {
    Drop.BEFORE_CREATE: "connection dropped before the request was handled (no order created)",
    Drop.AFTER_CREATE: "connection dropped after the request was handled (an order it made exists)",
}
DEFAULT_STATUS = 500  # a fault that names no effect (no status, delay or drop) is a plain server error


def drop_kind(value: bool | str | None) -> Drop | None:
    """The `drop_connection` of a fault request: "before-create" or "after-create"; true is "before-create" (what it
    always meant); false or None is no drop. Anything else is a 422."""
    if value is None or value is False:
        return None
    if value is True:
        return Drop.BEFORE_CREATE
    try:
        return Drop(value)
    except ValueError:
        raise ValidationFailed(
            f"drop_connection: {value!r} is none of {', '.join(drop.value for drop in Drop)} (true means "
            f"{Drop.BEFORE_CREATE.value})"
        ) from None


@dataclass
class Fault:
    id: int
    count: int
    remaining: int
    operation: str | None = None
    status: int | None = None
    delay_ms: int = 0
    drop_connection: Drop | None = None

    def as_json(self) -> dict[str, Any]:
        fields = {
            "id": self.id,
            "count": self.count,
            "remaining": self.remaining,
            "operation": self.operation,
            "status": self.status,
            "delay_ms": self.delay_ms,
            "drop_connection": None if self.drop_connection is None else self.drop_connection.value,
        }
        return {key: value for key, value in fields.items() if value is not None}

    def describe(self) -> str:
        parts = [f"fault {self.id}"]
        if self.delay_ms:
            parts.append(f"delay {self.delay_ms} ms")
        if self.drop_connection is not None:
            parts.append(self.drop_connection.words)
        elif self.status:
            parts.append(f"status {self.status}")
        return ", ".join(parts)


class FaultStore:
    """Faults waiting for partner requests; each matching request uses up one count of the first matching fault."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)

    def add(
        self,
        count: int,
        *,
        operation: str | None = None,
        status: int | None = None,
        delay_ms: int = 0,
        drop_connection: bool | str | None = None,
    ) -> Fault:
        """A new fault, last in line. A status and a drop together are refused (422): the answer is either one. With
        no status, delay or drop, it is a 500."""
        drop = drop_kind(drop_connection)
        if status is not None and drop is not None:
            raise ValidationFailed(
                f"status {status} and drop_connection {drop.value}: a fault either answers a status or drops the "
                "connection; add two faults for both"
            )
        if status is None and not delay_ms and drop is None:
            status = DEFAULT_STATUS
        fault = Fault(
            id=next(self._ids),
            count=count,
            remaining=count,
            operation=operation,
            status=status,
            delay_ms=delay_ms,
            drop_connection=drop,
        )
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
