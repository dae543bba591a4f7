"""The admin API (/__admin), one module per resource (the admin spec's tags): `mock` (health, reset), `orders`,
`auto_advance`, `skus`, `partners`, `faults`, `journal`, `certification`. Handlers are named after operationIds and
are a line or two each: MockState locks and catches up itself, and the rules are the model's (or, for what an admin
request's body means, one helper: handlers/order_actions.py, partners.new_api_key)."""

from __future__ import annotations

from mockserver.handlers.admin import (
    auto_advance,
    certification,
    faults,
    journal,
    mock,
    orders,
    partners,
    skus,
)
from mockserver.handlers.admin.answers import Handler
from mockserver.handlers.admin.mock import kit_version as kit_version
from mockserver.model.state import MockState

RESOURCES = (mock, orders, auto_advance, skus, partners, faults, journal, certification)


def admin_handlers(state: MockState) -> dict[str, Handler]:
    """operationId -> handler for the admin API, each closing over `state` (which locks and catches up itself)."""
    found: dict[str, Handler] = {}
    for resource in RESOURCES:
        found.update(resource.handlers(state))
    return found
