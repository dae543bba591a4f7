"""The lifecycle steps an order may take next, as admin API calls: what the console shows as buttons. The allowed
statuses are the domain's TRANSITIONS; the operation, path and body fields of each step are read from the admin spec,
so the page holds no copy of either."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

from mockserver.http.routes import routes
from mockserver.http.spec import ADMIN_BASE, ADMIN_SPEC, load_spec
from mockserver.model.domain import TRANSITIONS, Status, Tracking

# The admin operation that moves an order to each status (handlers/admin/orders.py registers them from this table).
TRANSITION_OPERATIONS: dict[Status, str] = {
    Status.CONFIRMED: "confirmOrder",
    Status.REJECTED: "rejectOrder",
    Status.SHIPPED: "shipOrder",
    Status.DELIVERED: "deliverOrder",
    Status.CANCELLED: "cancelOrder",
}


def transition_details(status: Status, body: dict[str, Any] | None, clock: Callable[[], datetime]) -> dict[str, Any]:
    """What a move's admin request body adds to the order (MockState.transition's keywords): a rejection's reason, a
    shipment's tracking (shipped at `clock()`); nothing for the other moves, or without a body."""
    if status is Status.REJECTED and body:
        return {"rejection_reason": body["rejection_reason"]}
    if status is Status.SHIPPED and body:
        tracking = Tracking(
            carrier=body["carrier"],
            tracking_number=body["tracking_number"],
            tracking_url=body.get("tracking_url"),
            shipped_at=clock(),
        )
        return {"tracking": tracking}
    return {}


@functools.cache
def _fields(operation_id: str) -> tuple[tuple[str, bool], ...]:
    """(name, required) of the operation's JSON body properties, in the spec's order."""
    route = routes()[operation_id]
    operation = load_spec(ADMIN_SPEC)["paths"][route.path.removeprefix(ADMIN_BASE)][route.method.lower()]
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    required = set(schema.get("required", []))
    return tuple((name, name in required) for name in schema.get("properties", {}))


def with_actions(view: dict[str, Any]) -> dict[str, Any]:
    """An admin order view plus `actions`: each allowed next status with its admin path and body fields."""
    actions = []
    for status in sorted(TRANSITIONS.get(Status(view["status"]), ()), key=list(Status).index):
        operation_id = TRANSITION_OPERATIONS[status]
        path = routes()[operation_id].path.removeprefix(ADMIN_BASE).replace("{order_id}", view["id"])
        fields = [{"name": name, "required": required} for name, required in _fields(operation_id)]
        actions.append({"status": status.value, "operation": operation_id, "path": path, "fields": fields})
    return {**view, "actions": actions}
