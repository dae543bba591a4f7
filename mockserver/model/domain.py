"""The API's rules: SKU mapping, payload identity, order building, the status lifecycle (jafarshop_kit/lifecycle.py,
re-exported here), and the errors they raise.

No HTTP machinery: nothing here reads a request or writes a response. Each error does carry the status and message
the contract answers it with, because which failure is a 404 and which a 409 is part of the rules; http/envelope.py is
what turns them into the envelope."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

# The guide's lifecycle, written once below the mock and the graders; the mock's code reads it from here.
from jafarshop_kit.lifecycle import TRANSITIONS as TRANSITIONS
from jafarshop_kit.lifecycle import Status as Status
from jafarshop_kit.lifecycle import can_transition as can_transition
from jafarshop_kit.lifecycle import is_terminal as is_terminal


class ApiError(Exception):
    """An answer in the documented error envelope; raised anywhere, rendered by one handler."""

    status = 500
    error = "internal server error"

    def __init__(self, details: Any = None, *, error: str | None = None, headers: Mapping[str, str] | None = None):
        super().__init__(error or self.error)
        if error is not None:
            self.error = error
        self.details = details
        self.headers = dict(headers or {})


class BadRequest(ApiError):
    status = 400
    error = "bad request"


class Unauthorized(ApiError):
    status = 401
    error = "unauthorized"


class AccessDenied(ApiError):
    status = 403
    error = "access denied"


class OrderNotFound(ApiError):
    status = 404
    error = "order not found"


class IdempotencyConflict(ApiError):
    status = 409
    error = "idempotency key conflict: same key used with different payload"


class PayloadTooLarge(ApiError):
    status = 413
    error = "request body too large"


class UnsupportedMediaType(ApiError):
    status = 415
    error = "unsupported media type"


class StoreFull(ApiError):
    status = 503
    error = "order store full"


class ValidationFailed(ApiError):
    status = 422
    error = "validation failed"


class ResetMeanwhile(ApiError):
    """A partner request that began before a reset and would change the state after it: refused, nothing changed."""

    status = 503
    error = "the mock was reset during this request"

    def __init__(self) -> None:
        super().__init__(
            "the mock went back to its fixtures (a reset) while this request was in progress; it changed nothing "
            "(no order, no idempotency record, no journal entry): send it again"
        )


def has_mapped_sku(items: list[dict[str, Any]], catalogue: Mapping[str, int]) -> bool:
    """A cart creates an order when at least one of its SKUs is mapped."""
    return any(item["sku"] in catalogue for item in items)


def idempotency_key(header: str | None) -> str | None:
    """The Idempotency-Key a request names: None when the header is absent or empty (an empty one counts as absent:
    the spec's x-contract-decisions)."""
    return header or None


def payload_fingerprint(body: Any) -> str:
    """A digest equal for equal JSON values: key order, white space and 2 vs 2.0 do not matter."""
    canonical = json.dumps(_normalise(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _normalise(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _normalise(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_normalise(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with microseconds and a Z suffix."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(slots=True)
class Tracking:
    carrier: str
    tracking_number: str
    shipped_at: datetime
    tracking_url: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "carrier": self.carrier,
            "tracking_number": self.tracking_number,
            "tracking_url": self.tracking_url,
            "shipped_at": format_timestamp(self.shipped_at),
        }


@dataclass(slots=True)
class Order:
    """An order as the mock stores it; `as_json` is the body of GET /orders/{id}."""

    id: str
    partner_id: str
    partner_order_id: str
    shopify_order_id: int
    customer: dict[str, Any]
    shipping: dict[str, Any]
    totals: dict[str, Any]
    payment_status: str | None
    payment_method: str | None
    items: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime
    status: Status = Status.PENDING_CONFIRMATION
    rejection_reason: str | None = None
    tracking: Tracking | None = None
    # Auto-advance steps still to come: (when, status), oldest first.
    schedule: list[tuple[datetime, Status]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "partner_order_id": self.partner_order_id,
            "status": self.status.value,
            "shopify_order_id": self.shopify_order_id,
            "customer_name": self.customer["name"],
            "customer_phone": self.customer.get("phone"),
            "shipping_address": {
                "street": self.shipping["street"],
                "city": self.shipping["city"],
                "state": self.shipping.get("state"),
                "postal_code": self.shipping["postal_code"],
                "country": self.shipping["country"],
            },
            "cart_total": self.totals["total"],
            "payment_status": self.payment_status,
            "payment_method": self.payment_method,
            "items": self.items,
            "rejection_reason": self.rejection_reason,
            "tracking": self.tracking.as_json() if self.tracking else None,
            "created_at": format_timestamp(self.created_at),
            "updated_at": format_timestamp(self.updated_at),
        }

    def admin_view(self) -> dict[str, Any]:
        """The order as the admin API shows it: with its partner."""
        return {**self.as_json(), "partner_id": self.partner_id}

    def move_to(
        self,
        new: Status,
        now: datetime,
        *,
        rejection_reason: str | None = None,
        tracking: Tracking | None = None,
    ) -> None:
        """Apply one lifecycle step, or raise InvalidTransition and change nothing."""
        if not can_transition(self.status, new):
            raise InvalidTransition(
                f"an order in {self.status.value} cannot become {new.value}; allowed: "
                + (", ".join(sorted(s.value for s in TRANSITIONS.get(self.status, ()))) or "none (terminal)")
            )
        if new is Status.REJECTED and not rejection_reason:
            raise InvalidTransition("a rejection needs a rejection_reason")
        if new is Status.SHIPPED and tracking is None:
            raise InvalidTransition("shipping needs tracking data")
        self.status = new
        if rejection_reason is not None:
            self.rejection_reason = rejection_reason
        if tracking is not None:
            self.tracking = tracking
        # updated_at moves strictly forward even when two changes land within one clock tick.
        self.updated_at = max(now, self.updated_at + timedelta(microseconds=1))


class InvalidTransition(ApiError):
    status = 409
    error = "invalid status transition"


class NotFound(ApiError):
    status = 404
    error = "not found"


class Conflict(ApiError):
    status = 409
    error = "conflict"


def order_items(items: list[dict[str, Any]], catalogue: Mapping[str, int]) -> list[dict[str, Any]]:
    """The order's items: every submitted item, flagged, with its variant id only when mapped."""
    result = []
    for item in items:
        variant = catalogue.get(item["sku"])
        line: dict[str, Any] = {
            "sku": item["sku"],
            "title": item["title"],
            "price": item["price"],
            "quantity": item["quantity"],
            "product_url": item.get("product_url"),
            "is_supplier_item": variant is not None,
        }
        if variant is not None:
            line["shopify_variant_id"] = variant
        result.append(line)
    return result
