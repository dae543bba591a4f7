"""Partners and their API keys (a key is shown once, when it is made)."""

from __future__ import annotations

import secrets
from typing import Any

from mockserver.handlers.admin.answers import Handler
from mockserver.model.state import MockState


def new_api_key() -> str:
    """A key for a partner added or re-keyed without one of its own."""
    return f"mock-key-{secrets.token_urlsafe(18)}"


def handlers(state: MockState) -> dict[str, Handler]:
    async def listPartners() -> Any:
        return [{"id": partner.id, "name": partner.name} for partner in state.partner_list()], 200

    async def addPartner(body: dict[str, Any]) -> Any:
        key = body.get("api_key") or new_api_key()
        partner = state.add_partner(body["id"], body["name"], key)
        return {"id": partner.id, "name": partner.name, "api_key": key}, 201

    async def rotatePartnerKey(partner_id: str, body: dict[str, Any] | None = None) -> Any:
        key = (body or {}).get("api_key") or new_api_key()
        partner = state.rotate_key(partner_id, key)
        return {"id": partner.id, "name": partner.name, "api_key": key}, 200

    return {"listPartners": listPartners, "addPartner": addPartner, "rotatePartnerKey": rotatePartnerKey}
