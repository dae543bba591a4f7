"""Orders as the admin sees them: the list (with each order's next steps), and the lifecycle moves."""

from __future__ import annotations

from typing import Any

from mockserver.handlers.admin.answers import Handler
from mockserver.handlers.order_actions import TRANSITION_OPERATIONS, transition_details, with_actions
from mockserver.model.domain import Status
from mockserver.model.state import MockState


def handlers(state: MockState) -> dict[str, Handler]:
    async def listOrders(partner_id: str | None = None, status: str | None = None) -> Any:
        return [with_actions(view) for view in state.admin_orders(partner_id, status)], 200

    def transition(status: Status) -> Handler:
        async def handler(order_id: str, body: dict[str, Any] | None = None) -> Any:
            details = transition_details(status, body, state.clock)
            return with_actions(state.transition(order_id, status, **details)), 200  # due auto-advance steps first

        handler.__name__ = TRANSITION_OPERATIONS[status]
        return handler

    return {
        "listOrders": listOrders,
        **{operation: transition(status) for status, operation in TRANSITION_OPERATIONS.items()},
    }
