"""The order lifecycle as the guide writes it: the statuses, the valid transitions and which statuses are final.

The mock's rules (mockserver/model/domain.py) and the graders (graders/) both read it here.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    PENDING_CONFIRMATION = "PENDING_CONFIRMATION"
    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


# The guide's "Valid Transitions"; a status missing as a key is terminal.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.PENDING_CONFIRMATION: frozenset({Status.CONFIRMED, Status.REJECTED, Status.CANCELLED}),
    Status.CONFIRMED: frozenset({Status.SHIPPED, Status.CANCELLED}),
    Status.SHIPPED: frozenset({Status.DELIVERED}),
}


def can_transition(current: Status, new: Status) -> bool:
    """Whether the guide allows an order to move from `current` to `new`."""
    return new in TRANSITIONS.get(current, frozenset())


def is_terminal(status: Status) -> bool:
    """Whether no further change is allowed from `status`."""
    return not TRANSITIONS.get(status)
