"""The admin API (/__admin): health, lifecycle, runtime data, faults, journal, certification, reset. Handlers are
named after operationIds and are a line or two each: MockState locks and catches up itself."""

from __future__ import annotations

import asyncio
import functools
import importlib.metadata
import secrets
from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from graders.scorecard import scorecard
from mockserver.handlers.admin_pact import admin_pact_handlers
from mockserver.handlers.order_actions import TRANSITION_OPERATIONS, with_actions
from mockserver.model.auto_advance import Step, check_steps
from mockserver.model.certification import start_run
from mockserver.model.domain import Status, Tracking
from mockserver.model.journal import JournalFilter
from mockserver.model.state import MockState

Handler = Callable[..., Any]
DISTRIBUTION = "jafarshop-contract-kit"


@functools.cache
def kit_version() -> str:
    """The installed kit's version, or "unknown" when it runs from a checkout that was never installed."""
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def admin_handlers(state: MockState) -> dict[str, Handler]:
    """operationId -> handler for the admin API, each closing over `state` (which locks and catches up itself)."""

    def no_content() -> Response:
        return Response(status_code=204)

    async def getHealth() -> Any:
        return {"status": "ok", "version": kit_version()}, 200  # no token: `security: []` in the spec

    async def listOrders(partner_id: str | None = None, status: str | None = None) -> Any:
        return [with_actions(view) for view in state.admin_orders(partner_id, status)], 200

    def transition(status: Status) -> Handler:
        async def handler(order_id: str, body: dict[str, Any] | None = None) -> Any:
            details: dict[str, Any] = {}
            if status is Status.REJECTED and body:
                details["rejection_reason"] = body["rejection_reason"]
            if status is Status.SHIPPED and body:
                details["tracking"] = Tracking(
                    carrier=body["carrier"],
                    tracking_number=body["tracking_number"],
                    tracking_url=body.get("tracking_url"),
                    shipped_at=state.clock(),
                )
            return with_actions(state.transition(order_id, status, **details)), 200  # due auto-advance steps first

        return handler

    async def getAutoAdvance() -> Any:
        return {
            "steps": [{"status": s.status.value, "after_seconds": s.after_seconds} for s in state.auto_advance]
        }, 200

    async def setAutoAdvance(body: dict[str, Any]) -> Any:
        state.set_auto_advance(check_steps(Step(Status(s["status"]), float(s["after_seconds"])) for s in body["steps"]))
        return await getAutoAdvance()

    async def listSkus() -> Any:
        return [{"sku": sku, "shopify_variant_id": variant} for sku, variant in sorted(state.skus().items())], 200

    async def putSku(sku: str, body: dict[str, Any]) -> Any:
        state.map_sku(sku, body["shopify_variant_id"])
        return {"sku": sku, "shopify_variant_id": body["shopify_variant_id"]}, 200

    async def deleteSku(sku: str) -> Any:
        state.unmap_sku(sku)
        return no_content()

    async def listPartners() -> Any:
        return [{"id": partner.id, "name": partner.name} for partner in state.partner_list()], 200

    async def addPartner(body: dict[str, Any]) -> Any:
        key = body.get("api_key") or f"mock-key-{secrets.token_urlsafe(18)}"
        partner = state.add_partner(body["id"], body["name"], key)
        return {"id": partner.id, "name": partner.name, "api_key": key}, 201

    async def rotatePartnerKey(partner_id: str, body: dict[str, Any] | None = None) -> Any:
        key = (body or {}).get("api_key") or f"mock-key-{secrets.token_urlsafe(18)}"
        partner = state.rotate_key(partner_id, key)
        return {"id": partner.id, "name": partner.name, "api_key": key}, 200

    async def listFaults() -> Any:
        return [fault.as_json() for fault in state.fault_list()], 200

    async def addFault(body: dict[str, Any]) -> Any:
        options = {key: body[key] for key in ("operation", "status", "delay_ms", "drop_connection") if key in body}
        return state.add_fault(body["count"], **options).as_json(), 201  # the defaults and the 422s: model/faults.py

    async def clearFaults() -> Any:
        state.clear_faults()
        return no_content()

    async def getJournal(
        partner_id: str | None = None,
        limit: int = 100,
        operation: str | None = None,
        status: int | None = None,
        partner_order_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        where = JournalFilter(partner_id, operation, status, partner_order_id, idempotency_key)
        return state.journal_entries(where, limit), 200

    async def clearJournal() -> Any:
        state.clear_journal()
        return no_content()

    async def startCertification(body: dict[str, Any] | None = None) -> Any:
        return state.arm_certification(functools.partial(start_run, body or {})).as_started(), 201

    async def getCertification() -> Any:
        return state.certification_record(), 200

    async def getCertificationScorecard() -> Any:
        # The graders' own grade: the console shows what jafarshop-certify would say.
        return await asyncio.to_thread(scorecard, state.certification_record()), 200

    async def stopCertification() -> Any:
        state.disarm_certification()
        return no_content()

    async def resetState() -> Any:
        state.reset()
        return no_content()

    return {
        "getHealth": getHealth,
        "listOrders": listOrders,
        **{operation: transition(status) for status, operation in TRANSITION_OPERATIONS.items()},
        "getAutoAdvance": getAutoAdvance,
        "setAutoAdvance": setAutoAdvance,
        "listSkus": listSkus,
        "putSku": putSku,
        "deleteSku": deleteSku,
        "listPartners": listPartners,
        "addPartner": addPartner,
        "rotatePartnerKey": rotatePartnerKey,
        "listFaults": listFaults,
        "addFault": addFault,
        "clearFaults": clearFaults,
        "getJournal": getJournal,
        "clearJournal": clearJournal,
        "startCertification": startCertification,
        "getCertification": getCertification,
        "getCertificationScorecard": getCertificationScorecard,
        "stopCertification": stopCertification,
        "resetState": resetState,
        **admin_pact_handlers(state),
    }
