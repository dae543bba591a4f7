"""The admin API's pact operations: a partner's pact written from the journal (GET /__admin/pact), and the provider
state-change URL a Pact verifier calls before each interaction (POST /__admin/pact/state). docs/pact.md says what
each state sets up, and what a staging must offer to verify the same pacts."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from mockserver.model import pact
from mockserver.model.domain import NotFound, Status, Tracking
from mockserver.model.journal import JournalFilter
from mockserver.model.state import MockState

Handler = Callable[..., Any]
# A SKU a state maps that the catalogue does not: any Shopify-like variant id will do.
STATE_VARIANT_ID = 44219312999999
# The steps from PENDING_CONFIRMATION to each status (the guide's transitions).
PATHS = {
    Status.PENDING_CONFIRMATION: [],
    Status.CONFIRMED: [Status.CONFIRMED],
    Status.SHIPPED: [Status.CONFIRMED, Status.SHIPPED],
    Status.DELIVERED: [Status.CONFIRMED, Status.SHIPPED, Status.DELIVERED],
    Status.REJECTED: [Status.REJECTED],
    Status.CANCELLED: [Status.CANCELLED],
}


class UnknownState(NotFound):
    """A provider state this mock cannot set up (a 404 the verifier reports for its interaction)."""


def admin_pact_handlers(state: MockState) -> dict[str, Handler]:
    """operationId -> handler for the pact operations, each closing over `state`."""

    async def getPact(partner_id: str, consumer: str | None = None) -> Any:
        if partner_id not in {partner.id for partner in state.partner_list()}:
            raise NotFound(f"no partner {partner_id!r}")
        entries = state.journal_entries(JournalFilter(partner_id=partner_id), limit=state.journal_size or 1)
        return pact.build_pact(entries, partner_id, state.skus(), consumer), 200

    async def setPactState(body: dict[str, Any]) -> Any:
        if body.get("action", "setup") != "setup":
            return {}, 200  # teardown: each state sets up what it needs; nothing is undone
        return set_up(state, str(body.get("state", "")), body.get("params") or {}), 200

    return {"getPact": getPact, "setPactState": setPactState}


def set_up(state: MockState, name: str, params: dict[str, Any]) -> dict[str, Any]:
    """Set up the provider state `name`; return the values the pact's ProviderState generators read."""
    if name == "":
        return {}
    if name == pact.STATE_SKU_MAPPED.format(sku=params.get("sku")):
        if params["sku"] not in state.skus():
            state.map_sku(str(params["sku"]), STATE_VARIANT_ID)
        return {}
    if name == pact.STATE_NO_SKU_MAPPED:
        for sku in params.get("skus", []):
            if sku in state.skus():
                state.unmap_sku(sku)
        return {}
    partner_id = str(params.get("partner_id", ""))
    if name in (pact.STATE_SUBMITTED, pact.STATE_OTHER_CART):
        cart = dict(params["cart"])
        if name == pact.STATE_OTHER_CART:  # another cart under the same key: the interaction's submit is refused
            cart["partner_order_id"] = f"{cart.get('partner_order_id', '')}-other"
        key = str(uuid.uuid4())
        outcome = state.submit_cart(_partner(state, partner_id), cart, key)
        return {
            "idempotency_key": key,
            **({"supplier_order_id": outcome.body["supplier_order_id"]} if outcome.body else {}),
        }
    status = params.get("status")
    # The partner in the state's name is the pact's; params.partner_id is the one to set up (a verifier may map a
    # consumer to another partner: --pact-partner).
    named = re.fullmatch(pact.STATE_ORDER_EXISTS.format(partner_id=r"\S+", status="(?P<status>[A-Z_]+)"), name)
    if status in Status.__members__ and named and named.group("status") == status:
        return {"supplier_order_id": _order_in(state, _partner(state, partner_id), Status(status), params)}
    raise UnknownState(f"provider state {name!r} is not one this mock sets up (docs/pact.md lists them)")


def _partner(state: MockState, partner_id: str) -> str:
    if partner_id not in {partner.id for partner in state.partner_list()}:
        raise NotFound(f"provider state for partner {partner_id!r}: no such partner on this mock")
    return partner_id


def _order_in(state: MockState, partner_id: str, status: Status, params: dict[str, Any]) -> str:
    """A new order of `partner_id` from the state's cart, moved to `status` with the state's details."""
    outcome = state.submit_cart(partner_id, dict(params["cart"]), None)
    if outcome.body is None:
        raise NotFound("provider state: the cart holds no mapped SKU here; give the SKU states first")
    order_id = str(outcome.body["supplier_order_id"])
    for step in PATHS[status]:
        details: dict[str, Any] = {}
        if step is Status.SHIPPED:
            tracking = params.get("tracking") or {}
            details["tracking"] = Tracking(
                carrier=tracking.get("carrier", "Aramex"),
                tracking_number=tracking.get("tracking_number", "34567890123"),
                tracking_url=tracking.get("tracking_url"),
                shipped_at=state.clock(),
            )
        if step is Status.REJECTED:
            details["rejection_reason"] = params.get("rejection_reason", "SKU out of stock")
        state.transition(order_id, step, **details)
    return order_id


def handlers(state: MockState) -> dict[str, Handler]:
    """The pact resource's operations, as every module of mockserver/handlers/admin/ offers them."""
    return admin_pact_handlers(state)
