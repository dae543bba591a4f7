"""The admin API (/__admin): health, lifecycle, runtime data, faults, journal, reset. Handlers named after
operationIds."""

from __future__ import annotations

import functools
import importlib.metadata
import itertools
import secrets
from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from mockserver.certification import (
    CONDITIONS,
    DEFAULT_SCENARIO,
    DEFAULT_SLOW_SECONDS,
    DEFAULT_TIME_SCALE,
    Certification,
)
from mockserver.control import Step, check_steps
from mockserver.domain import Conflict, NotFound, Status, Tracking, ValidationFailed
from mockserver.state import MockState

Handler = Callable[..., Any]
DISTRIBUTION = "jafarshop-contract-kit"
CERTIFICATION_PARTNER_NAME = "Certification run"


@functools.cache
def kit_version() -> str:
    """The installed kit's version, or "unknown" when it runs from a checkout that was never installed."""
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _admin_view(order: Any) -> dict[str, Any]:
    return {**order.as_json(), "partner_id": order.partner_id}


def admin_handlers(state: MockState) -> dict[str, Handler]:
    """operationId -> handler for the admin API, each closing over `state`."""

    def no_content() -> Response:
        return Response(status_code=204)

    async def getHealth() -> Any:
        return {"status": "ok", "version": kit_version()}, 200  # no token: `security: []` in the spec

    async def listOrders(partner_id: str | None = None, status: str | None = None) -> Any:
        with state.lock:
            for order in state.orders:
                state.catch_up(order)
            views = [_admin_view(order) for order in state.orders]
        views = [v for v in views if (partner_id is None or v["partner_id"] == partner_id)]
        views = [v for v in views if (status is None or v["status"] == status)]
        return sorted(views, key=lambda view: view["created_at"], reverse=True), 200

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
            order = state.transition(order_id, status, **details)  # applies due auto-advance steps first
            with state.lock:
                return _admin_view(order), 200

        return handler

    async def getAutoAdvance() -> Any:
        steps = [{"status": step.status.value, "after_seconds": step.after_seconds} for step in state.auto_advance]
        return {"steps": steps}, 200

    async def setAutoAdvance(body: dict[str, Any]) -> Any:
        steps = check_steps(Step(Status(step["status"]), float(step["after_seconds"])) for step in body["steps"])
        with state.lock:
            state.auto_advance = steps
        return await getAutoAdvance()

    async def listSkus() -> Any:
        with state.lock:
            variants = dict(state.catalogue.variants)
        return [{"sku": sku, "shopify_variant_id": variant} for sku, variant in sorted(variants.items())], 200

    async def putSku(sku: str, body: dict[str, Any]) -> Any:
        with state.lock:
            state.catalogue.add(sku, body["shopify_variant_id"])
        return {"sku": sku, "shopify_variant_id": body["shopify_variant_id"]}, 200

    async def deleteSku(sku: str) -> Any:
        with state.lock:
            if not state.catalogue.remove(sku):
                raise NotFound(f"SKU {sku!r} is not mapped")
        return no_content()

    async def listPartners() -> Any:
        with state.lock:
            return sorted(({"id": p.id, "name": p.name} for p in state.partners), key=lambda p: p["id"]), 200

    async def addPartner(body: dict[str, Any]) -> Any:
        key = body.get("api_key") or f"mock-key-{secrets.token_urlsafe(18)}"
        with state.lock:
            partner = state.partners.add(body["id"], body["name"], key)
        return {"id": partner.id, "name": partner.name, "api_key": key}, 201

    async def rotatePartnerKey(partner_id: str, body: dict[str, Any] | None = None) -> Any:
        key = (body or {}).get("api_key") or f"mock-key-{secrets.token_urlsafe(18)}"
        with state.lock:
            partner = state.partners.rotate_key(partner_id, key)
        return {"id": partner.id, "name": partner.name, "api_key": key}, 200

    async def listFaults() -> Any:
        with state.lock:
            return [fault.as_json() for fault in state.faults], 200

    async def addFault(body: dict[str, Any]) -> Any:
        options = {key: body[key] for key in ("operation", "status", "delay_ms", "drop_connection") if key in body}
        if not any(options.get(key) for key in ("status", "delay_ms", "drop_connection")):
            options["status"] = 500  # a fault with no effect named is a plain server error
        with state.lock:
            fault = state.faults.add(body["count"], **options)
        return fault.as_json(), 201

    async def clearFaults() -> Any:
        with state.lock:
            state.faults.clear()
        return no_content()

    async def getJournal(partner_id: str | None = None, limit: int = 100) -> Any:
        with state.lock:
            return state.journal.query(partner_id, limit), 200

    async def clearJournal() -> Any:
        with state.lock:
            state.journal.clear()
        return no_content()

    async def startCertification(body: dict[str, Any] | None = None) -> Any:
        body = body or {}
        scenario = tuple(body.get("scenario") or DEFAULT_SCENARIO)
        unknown = [name for name in scenario if name not in CONDITIONS]
        if unknown:
            raise ValidationFailed(
                f"scenario: unknown condition(s) {', '.join(unknown)}; known: {', '.join(CONDITIONS)}"
            )
        partner_id = body.get("partner_id", "certification")
        key = f"cert-key-{secrets.token_urlsafe(18)}"
        with state.lock:
            mapped = sorted(state.catalogue.variants)[:3]
            if not mapped:
                raise Conflict("the mock maps no SKU; map one first (PUT /__admin/skus/{sku})")
            existing = state.partners.get(partner_id)
            if existing is None:
                state.partners.add(partner_id, CERTIFICATION_PARTNER_NAME, key)
            elif existing.name == CERTIFICATION_PARTNER_NAME:
                state.partners.rotate_key(partner_id, key)
            else:  # never take over a real partner's key
                raise Conflict(f"partner {partner_id!r} exists and is not a certification partner; choose another id")
            unmapped = next(f"CERT-UNMAPPED-{n}" for n in itertools.count(1) if f"CERT-UNMAPPED-{n}" not in mapped)
            state.certification = Certification(
                partner_id=partner_id,
                api_key=key,
                time_scale=float(body.get("time_scale", DEFAULT_TIME_SCALE)),
                scenario=scenario,
                slow_seconds=float(body.get("slow_seconds", DEFAULT_SLOW_SECONDS)),
            )
            described = state.certification.describe()
        return {**described, "api_key": key, "mapped_skus": mapped, "unmapped_sku": unmapped}, 201

    async def getCertification() -> Any:
        with state.lock:
            certification = state.certification
            if certification is None:
                raise NotFound("no certification is armed; start one with POST /__admin/certification")
            return {
                **certification.describe(),
                "entries": list(certification.entries),
                "dropped_entries": certification.dropped_entries,
            }, 200

    async def stopCertification() -> Any:
        with state.lock:
            state.certification = None
        return no_content()

    async def resetState() -> Any:
        state.reset()
        return no_content()

    return {
        "getHealth": getHealth,
        "listOrders": listOrders,
        "confirmOrder": transition(Status.CONFIRMED),
        "rejectOrder": transition(Status.REJECTED),
        "shipOrder": transition(Status.SHIPPED),
        "deliverOrder": transition(Status.DELIVERED),
        "cancelOrder": transition(Status.CANCELLED),
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
        "stopCertification": stopCertification,
        "resetState": resetState,
    }
