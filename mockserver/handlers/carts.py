"""POST /carts/submit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from connexion import request
from starlette.responses import Response

from mockserver.http.notes import noted_epoch
from mockserver.model.domain import idempotency_key
from mockserver.model.state import MockState


def submit_cart(state: MockState) -> Callable[..., Awaitable[Any]]:
    """Build the submitCart handler over `state`."""

    async def submitCart(body: dict[str, Any], user: str) -> Any:
        key = idempotency_key(request.headers.get("Idempotency-Key"))
        outcome = state.submit_cart(user, body, key, noted_epoch(request.scope))
        if outcome.body is None:
            # `NoContent, 204` would still send a Content-Type; a bare Response sends none.
            return Response(status_code=204)
        return outcome.body, outcome.status

    return submitCart
