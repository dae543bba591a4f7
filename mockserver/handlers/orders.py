"""GET /orders/{supplier_order_id}."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from mockserver.model.state import MockState


def get_order(state: MockState) -> Callable[..., Awaitable[Any]]:
    """Build the getOrder handler over `state`."""

    async def getOrder(supplier_order_id: str, user: str) -> Any:
        return state.read_order(user, supplier_order_id), 200

    return getOrder
