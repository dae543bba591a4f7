"""Bearer tokens (partner API keys, the admin token) on a request: who the Authorization header names, resolved once
per request for every layer that asks, and connexion's security handler. 401 comes first."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from connexion.security import BearerSecurityHandler
from starlette.types import Scope

from mockserver.http.notes import note_partner, noted_partner
from mockserver.model.credentials import bearer_token

if TYPE_CHECKING:
    from mockserver.model.state import MockState


def authorized_partner(state: MockState, scope: Scope, authorization: str | None) -> str | None:
    """The partner the request's `Bearer <key>` Authorization header names, or None. Resolved once per request: the
    first layer that asks hashes the key and notes the answer in the scope for the others."""
    resolved, partner_id = noted_partner(scope)
    if not resolved:
        token = bearer_token(authorization)
        partner_id = None if token is None else state.authenticate(token)
        note_partner(scope, partner_id)
    return partner_id


def bearer_handler(state: MockState) -> type[BearerSecurityHandler]:
    """A security handler class bound to `state`. Partner keys by default; the admin token for a scheme marked
    `x-realm: admin` (the admin spec's). The partner id becomes the handlers' `user` argument."""

    def partner_token(token: str) -> dict[str, Any] | None:
        partner_id = state.authenticate(token)
        return None if partner_id is None else {"sub": partner_id}

    def admin_token(token: str) -> dict[str, Any] | None:
        return {"sub": "admin"} if state.is_admin(token) else None

    class MockBearerHandler(BearerSecurityHandler):  # type: ignore[misc]
        @staticmethod
        def get_auth_header_value(request: Any) -> tuple[str | None, str | None]:
            # connexion splits on any white space; the mock reads the header with the one parser above.
            token = bearer_token(request.headers.get("Authorization"))
            return (None, None) if token is None else ("bearer", token)

        def _resolve_func(self, security_scheme: dict[str, Any]) -> Callable[[str], dict[str, Any] | None]:
            return admin_token if security_scheme.get("x-realm") == "admin" else partner_token

    return MockBearerHandler
