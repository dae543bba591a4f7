"""Bearer tokens (partner API keys, the admin token): one parser of the Authorization header for every layer that
reads it (connexion's security check, the fast path, the journal, certification). 401 comes first."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from connexion.security import BearerSecurityHandler

if TYPE_CHECKING:
    from mockserver.model.state import MockState

# RFC 6750 section 2.1: credentials = "Bearer" 1*SP b64token; the scheme is case-insensitive (RFC 9110 section 11.1).
# A tab, or anything after the token, is not a Bearer credential: 401, and the journal agrees (no partner).
_BEARER = re.compile(r"[Bb][Ee][Aa][Rr][Ee][Rr] +([^\s]+)")


def bearer_token(authorization: str | None) -> str | None:
    """The token of a `Bearer <token>` Authorization header, or None."""
    if not authorization:
        return None
    match = _BEARER.fullmatch(authorization.strip(" "))
    return match.group(1) if match else None


def authorized_partner(state: MockState, authorization: str | None) -> str | None:
    """The partner a `Bearer <key>` Authorization header names, or None."""
    token = bearer_token(authorization)
    return None if token is None else state.partners.authenticate(token)


def bearer_handler(state: MockState) -> type[BearerSecurityHandler]:
    """A security handler class bound to `state`. Partner keys by default; the admin token for a scheme marked
    `x-realm: admin` (the admin spec's). The partner id becomes the handlers' `user` argument."""

    def partner_token(token: str) -> dict[str, Any] | None:
        partner_id = state.partners.authenticate(token)
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
