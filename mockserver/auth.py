"""Bearer API keys, checked against the partners store by connexion's security middleware (so 401 comes first)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connexion.security import BearerSecurityHandler

from mockserver.state import MockState


def bearer_handler(state: MockState) -> type[BearerSecurityHandler]:
    """A security handler class bound to `state`: the partner id becomes the handlers' `user` argument."""

    def token_info(token: str) -> dict[str, Any] | None:
        partner_id = state.partners.authenticate(token.strip())
        return None if partner_id is None else {"sub": partner_id}

    class PartnerBearerHandler(BearerSecurityHandler):  # type: ignore[misc]
        def _resolve_func(self, security_scheme: dict[str, Any]) -> Callable[[str], dict[str, Any] | None]:
            return token_info

    return PartnerBearerHandler
