"""Operation handlers, one module per resource, named after the spec's operationIds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mockserver.handlers import carts, orders
from mockserver.model.state import MockState


def operation_handlers(state: MockState) -> dict[str, Callable[..., Any]]:
    """operationId -> handler, each closing over `state` (no module-level state)."""
    return {
        "submitCart": carts.submit_cart(state),
        "getOrder": orders.get_order(state),
    }
