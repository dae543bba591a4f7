"""The mock's in-memory state: one MockState composed of small stores, each with its own rules."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from mockserver.control import FaultStore, Journal, Step
from mockserver.domain import (
    AccessDenied,
    Conflict,
    IdempotencyConflict,
    InvalidTransition,
    NotFound,
    Order,
    OrderNotFound,
    Status,
    StoreFull,
    Tracking,
    has_mapped_sku,
    order_items,
    payload_fingerprint,
)
from mockserver.fixtures import CatalogueEntry, Fixtures, PartnerFixture

if TYPE_CHECKING:
    from mockserver.certification import Certification

# The guide's example shopify_order_id; new orders count up from here so ids look like Shopify's.
FIRST_SHOPIFY_ORDER_ID = 6349083345108
DEFAULT_ADMIN_TOKEN = "demo-admin-token"
# Memory bounds: the mock is meant to run for days under partners' load tests without growing without limit.
DEFAULT_MAX_ORDERS = 100_000
DEFAULT_MAX_IDEMPOTENCY_RECORDS = 100_000
DEFAULT_IDEMPOTENCY_TTL = timedelta(hours=24)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8")).digest()


class Catalogue:
    """The SKU mapping: SKU -> Shopify variant id. A SKU not here is the partner's own product."""

    def __init__(self, entries: Iterable[CatalogueEntry] = ()) -> None:
        self._variants: dict[str, int] = {entry.sku: entry.shopify_variant_id for entry in entries}

    @property
    def variants(self) -> Mapping[str, int]:
        return self._variants

    def add(self, sku: str, shopify_variant_id: int) -> None:
        self._variants[sku] = shopify_variant_id

    def remove(self, sku: str) -> bool:
        return self._variants.pop(sku, None) is not None


@dataclass(frozen=True)
class Partner:
    id: str
    name: str
    key_digest: bytes


class Partners:
    """Partners and their API keys. Only SHA-256 digests of keys are kept; lookups compare in constant time."""

    def __init__(self, partners: Iterable[PartnerFixture] = ()) -> None:
        self._by_digest: dict[bytes, Partner] = {}
        for fixture in partners:
            self.add(fixture.id, fixture.name, fixture.api_key)

    def add(self, partner_id: str, name: str, api_key: str) -> Partner:
        """A new partner; 409 when the id or the key is taken."""
        if self.get(partner_id) is not None:
            raise Conflict(f"a partner with id {partner_id!r} exists already")
        partner = Partner(id=partner_id, name=name, key_digest=_digest(api_key))
        if partner.key_digest in self._by_digest:
            raise Conflict("that API key belongs to another partner; choose another")
        self._by_digest[partner.key_digest] = partner
        return partner

    def get(self, partner_id: str) -> Partner | None:
        return next((partner for partner in self._by_digest.values() if partner.id == partner_id), None)

    def rotate_key(self, partner_id: str, new_key: str) -> Partner:
        """Replace a partner's key; the old key stops working at once."""
        partner = self.get(partner_id)
        if partner is None:
            raise NotFound(f"no partner has id {partner_id!r}")
        digest = _digest(new_key)
        if digest in self._by_digest:
            raise Conflict("that API key is in use; choose another")
        del self._by_digest[partner.key_digest]
        rotated = Partner(id=partner.id, name=partner.name, key_digest=digest)
        self._by_digest[digest] = rotated
        return rotated

    def authenticate(self, api_key: str) -> str | None:
        """The partner id that owns `api_key`, or None."""
        digest = _digest(api_key)
        partner = self._by_digest.get(digest)
        # The dict lookup is keyed by a digest the caller cannot steer; the final comparison is constant-time.
        if partner is not None and hmac.compare_digest(partner.key_digest, digest):
            return partner.id
        return None

    def __iter__(self) -> Iterator[Partner]:
        return iter(self._by_digest.values())


@dataclass(frozen=True, slots=True)
class SubmitOutcome:
    """The answer to a cart submission: 200 with a body, or 204 with none."""

    status: int
    body: dict[str, Any] | None
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    fingerprint: str
    outcome: SubmitOutcome


class IdempotencyStore:
    """First answers by (partner, key): a key's scope is the partner that sent it. A record is kept for `ttl` and
    at most `max_records` are kept, oldest dropped first; a key whose record is gone counts as new."""

    def __init__(
        self,
        max_records: int = DEFAULT_MAX_IDEMPOTENCY_RECORDS,
        ttl: timedelta = DEFAULT_IDEMPOTENCY_TTL,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._records: OrderedDict[tuple[str, str], tuple[datetime, IdempotencyRecord]] = OrderedDict()
        self._max_records, self._ttl, self._clock = max_records, ttl, clock

    def get(self, partner_id: str, key: str) -> IdempotencyRecord | None:
        found = self._records.get((partner_id, key))
        if found is None:
            return None
        made, record = found
        if self._clock() - made >= self._ttl:
            del self._records[(partner_id, key)]
            return None
        return record

    def put(self, partner_id: str, key: str, record: IdempotencyRecord) -> None:
        now = self._clock()
        self._records[(partner_id, key)] = (now, record)
        self._records.move_to_end((partner_id, key))
        # Records are in creation order, so the expired and the surplus ones are all at the front.
        while self._records:
            made, _ = next(iter(self._records.values()))
            if len(self._records) <= self._max_records and now - made < self._ttl:
                break
            self._records.popitem(last=False)

    def __len__(self) -> int:
        return len(self._records)


class OrderStore:
    """Orders by id."""

    def __init__(self) -> None:
        self._orders: dict[str, Order] = {}

    def add(self, order: Order) -> None:
        self._orders[order.id] = order

    def get_for_partner(self, partner_id: str, order_id: str) -> Order:
        """The order, if it is this partner's; 404 for an unknown id (UUID or not), 403 for another partner's."""
        order = self.get(order_id)
        if order is None:
            raise OrderNotFound()
        if order.partner_id != partner_id:
            raise AccessDenied()
        return order

    def get(self, order_id: str) -> Order | None:
        return self._orders.get(order_id.lower())

    def __len__(self) -> int:
        return len(self._orders)

    def __iter__(self) -> Iterator[Order]:
        return iter(self._orders.values())


class MockState:
    """Everything the mock knows. `reset()` goes back to the fixtures: catalogue and partners as loaded, no orders,
    no idempotency records, no faults, an empty journal, auto-advance off. The admin token survives a reset."""

    def __init__(
        self,
        fixtures: Fixtures,
        *,
        clock: Callable[[], datetime] = _utcnow,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        admin_token: str | None = None,
        journal_size: int = 1000,
        max_orders: int = DEFAULT_MAX_ORDERS,
        max_idempotency_records: int = DEFAULT_MAX_IDEMPOTENCY_RECORDS,
        idempotency_ttl: timedelta = DEFAULT_IDEMPOTENCY_TTL,
    ) -> None:
        self.fixtures = fixtures
        self.clock = clock
        self.new_id = new_id
        self.journal_size = journal_size
        self.max_orders = max_orders
        self.max_idempotency_records = max_idempotency_records
        self.idempotency_ttl = idempotency_ttl
        self._admin_digest = _digest(admin_token or fixtures.admin_token or DEFAULT_ADMIN_TOKEN)
        # One lock makes "look up the key, create the order, record the key" a single step for every caller,
        # whether handlers run on the event loop or in a thread pool.
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """Back to the fixtures, as the class docstring says."""
        with self.lock:
            self.catalogue = Catalogue(self.fixtures.catalogue)
            self.partners = Partners(self.fixtures.partners)
            self.idempotency = IdempotencyStore(self.max_idempotency_records, self.idempotency_ttl, self.clock)
            self.orders = OrderStore()
            self.faults = FaultStore()
            self.journal = Journal(self.journal_size)
            self.auto_advance: list[Step] = []
            self.certification: Certification | None = None  # armed by POST /__admin/certification
            self._shopify_ids = itertools.count(FIRST_SHOPIFY_ORDER_ID)

    def is_admin(self, token: str) -> bool:
        """Whether `token` is the admin token (compared in constant time)."""
        return hmac.compare_digest(_digest(token), self._admin_digest)

    def read_order(self, partner_id: str, order_id: str) -> dict[str, Any]:
        """GET /orders/{id}: the partner's order with any due auto-advance steps applied."""
        with self.lock:
            order = self.orders.get_for_partner(partner_id, order_id)
            self.catch_up(order)
            return order.as_json()

    def catch_up(self, order: Order) -> None:
        """Apply the auto-advance steps whose time has come, each at its own due time."""
        now = self.clock()
        while order.schedule and order.schedule[0][0] <= now:
            due, status = order.schedule.pop(0)
            try:
                order.move_to(status, due, **_automatic_details(status, order, due))
            except InvalidTransition:
                order.schedule.clear()  # moved by hand meanwhile: the rest of the path no longer applies

    def transition(self, order_id: str, status: Status, **details: Any) -> Order:
        """An admin lifecycle step; refused (409, nothing changed) when the guide does not allow it."""
        with self.lock:
            order = self.orders.get(order_id)
            if order is None:
                raise OrderNotFound()
            self.catch_up(order)
            order.move_to(status, self.clock(), **details)
            return order

    def submit_cart(self, partner_id: str, cart: dict[str, Any], idempotency_key: str | None) -> SubmitOutcome:
        """Apply idempotency, then SKU mapping: replay, 409, a new order (200) or nothing (204)."""
        fingerprint = payload_fingerprint(cart) if idempotency_key else ""
        with self.lock:
            if idempotency_key:
                record = self.idempotency.get(partner_id, idempotency_key)
                if record is not None:
                    if record.fingerprint != fingerprint:
                        raise IdempotencyConflict(
                            "this Idempotency-Key was first used with a different payload; "
                            "send a new key for a new order, or the same payload to retry"
                        )
                    return SubmitOutcome(record.outcome.status, record.outcome.body, replayed=True)
            outcome = self._create_order(partner_id, cart)
            if idempotency_key:
                self.idempotency.put(partner_id, idempotency_key, IdempotencyRecord(fingerprint, outcome))
            return outcome

    def _create_order(self, partner_id: str, cart: dict[str, Any]) -> SubmitOutcome:
        catalogue = self.catalogue.variants
        if not has_mapped_sku(cart["items"], catalogue):
            return SubmitOutcome(204, None)
        if len(self.orders) >= self.max_orders:
            raise StoreFull(
                f"the mock holds at most {self.max_orders} orders; empty it with POST /__admin/reset "
                "or restart it with a larger --max-orders"
            )
        now = self.clock()
        order = Order(
            id=self.new_id(),
            partner_id=partner_id,
            partner_order_id=cart["partner_order_id"],
            shopify_order_id=next(self._shopify_ids),
            customer=dict(cart["customer"]),
            shipping=dict(cart["shipping"]),
            totals=dict(cart["totals"]),
            payment_status=cart.get("payment_status"),
            payment_method=cart.get("payment_method"),
            items=order_items(cart["items"], catalogue),
            created_at=now,
            updated_at=now,
            schedule=[(now + timedelta(seconds=step.after_seconds), step.status) for step in self.auto_advance],
        )
        self.orders.add(order)
        return SubmitOutcome(200, {"supplier_order_id": order.id, "status": order.status.value})


def _automatic_details(status: Status, order: Order, due: datetime) -> dict[str, Any]:
    """What an automatic step needs: a reason for a rejection, tracking data for a shipment."""
    if status is Status.REJECTED:
        return {"rejection_reason": "rejected automatically by the mock's auto-advance"}
    if status is Status.SHIPPED:
        number = str(order.shopify_order_id)[-11:]
        return {
            "tracking": Tracking(
                carrier="Aramex",
                tracking_number=number,
                shipped_at=due,
                tracking_url=f"https://www.aramex.com/track/results?ShipmentNumber={number}",
            )
        }
    return {}
