"""Auto-advance: the path new orders follow by themselves, a status after a delay each, and what an automatic step
fills in (a reason for a rejection, tracking data for a shipment)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mockserver.model.domain import Order, Status, Tracking, ValidationFailed, can_transition


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


def automatic_details(status: Status, order: Order, due: datetime) -> dict[str, Any]:
    """What an automatic step needs: a reason for a rejection, tracking data for a shipment."""
    if status is Status.REJECTED:
        return {"rejection_reason": "rejected automatically by the mock's auto-advance"}
    if status is Status.SHIPPED:
        number = str(order.shopify_order_id)[-11:]
        return {
            "tracking": Tracking(
                carrier="Aramex",
                tracking_number=number,
                shipped_at=due,
                tracking_url=f"https://www.aramex.com/track/results?ShipmentNumber={number}",
            )
        }
    return {}
