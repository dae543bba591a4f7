"""Bearer tokens (partner API keys, the admin token), checked by connexion's security middleware: 401 comes first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connexion.security import BearerSecurityHandler

from mockserver.state import MockState


def bearer_handler(state: MockState) -> type[BearerSecurityHandler]:
    """A security handler class bound to `state`. Partner keys by default; the admin token for a scheme marked
    `x-realm: admin` (the admin spec's). The partner id becomes the handlers' `user` argument."""

    def partner_token(token: str) -> dict[str, Any] | None:
        partner_id = state.partners.authenticate(token.strip())
        return None if partner_id is None else {"sub": partner_id}

    def admin_token(token: str) -> dict[str, Any] | None:
        return {"sub": "admin"} if state.is_admin(token.strip()) else None

    class MockBearerHandler(BearerSecurityHandler):  # type: ignore[misc]
        def _resolve_func(self, security_scheme: dict[str, Any]) -> Callable[[str], dict[str, Any] | None]:
            return admin_token if security_scheme.get("x-realm") == "admin" else partner_token

    return MockBearerHandler


def authorized_partner(state: MockState, authorization: str | None) -> str | None:
    """The partner a `Bearer <key>` Authorization header names, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return state.partners.authenticate(token.strip())
