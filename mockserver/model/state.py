"""MockState: everything the mock knows, and the whole interface to it. Each method takes the one lock itself and
applies due auto-advance steps first, so that handlers and layers are a line or two and never lock."""

from __future__ import annotations

import hmac
import itertools
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from mockserver.model.auto_advance import Step, automatic_details
from mockserver.model.domain import (
    IdempotencyConflict,
    InvalidTransition,
    NotFound,
    Order,
    OrderNotFound,
    ResetMeanwhile,
    Status,
    StoreFull,
    has_mapped_sku,
    order_items,
    payload_fingerprint,
)
from mockserver.model.faults import Fault, FaultStore
from mockserver.model.fixtures import Fixtures
from mockserver.model.journal import Journal, JournalEntry, JournalFilter
from mockserver.model.stores import (
    DEFAULT_IDEMPOTENCY_TTL,
    DEFAULT_MAX_IDEMPOTENCY_RECORDS,
    Catalogue,
    IdempotencyRecord,
    IdempotencyStore,
    OrderStore,
    Partner,
    Partners,
    SubmitOutcome,
    digest,
    utcnow,
)

if TYPE_CHECKING:
    from mockserver.model.certification import Certification, Entry, RunRecord

__all__ = ["DEFAULT_ADMIN_TOKEN", "FIRST_SHOPIFY_ORDER_ID", "MockState", "SubmitOutcome"]
# The guide's example shopify_order_id; new orders count up from here so ids look like Shopify's.
FIRST_SHOPIFY_ORDER_ID = 6349083345108
DEFAULT_ADMIN_TOKEN = "demo-admin-token"
DEFAULT_MAX_ORDERS = 100_000


class MockState:
    """Everything the mock knows. `reset()` goes back to the fixtures: catalogue and partners as loaded, no orders,
    no idempotency records, no faults, an empty journal, auto-advance off, no certification run. The admin token
    survives a reset. `orders` and `idempotency` are factories of the two stores whose rules a test may swap (the
    contract suite's broken targets).

    A reset fences what came before it: each reset starts a new `epoch`, a partner request notes the epoch it began
    in, and every change it would make (an order, an idempotency record, a fault used up, a journal entry, a
    certification record) passes that epoch and is refused, under the lock and so atomically with the reset, when the
    epoch has moved on. `epoch=None` (a caller outside any request) is never fenced."""

    def __init__(
        self,
        fixtures: Fixtures,
        *,
        clock: Callable[[], datetime] = utcnow,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        admin_token: str | None = None,
        journal_size: int = 1000,
        max_orders: int = DEFAULT_MAX_ORDERS,
        max_idempotency_records: int = DEFAULT_MAX_IDEMPOTENCY_RECORDS,
        idempotency_ttl: timedelta = DEFAULT_IDEMPOTENCY_TTL,
        orders: Callable[[], OrderStore] = OrderStore,
        idempotency: Callable[[int, timedelta, Callable[[], datetime]], IdempotencyStore] = IdempotencyStore,
    ) -> None:
        self.fixtures = fixtures
        self.clock = clock
        self.new_id = new_id
        self.journal_size = journal_size
        self.max_orders = max_orders
        self.max_idempotency_records = max_idempotency_records
        self.idempotency_ttl = idempotency_ttl
        self._order_store, self._idempotency_store = orders, idempotency
        self._admin_digest = digest(admin_token or fixtures.admin_token or DEFAULT_ADMIN_TOKEN)
        # One lock makes "look up the key, create the order, record the key" a single step for every caller,
        # whether handlers run on the event loop or in a thread pool.
        self.lock = threading.RLock()
        self.epoch = 0
        self.reset()

    def reset(self) -> None:
        """Back to the fixtures, as the class docstring says, in a new epoch."""
        with self.lock:
            self.epoch += 1
            self.catalogue = Catalogue(self.fixtures.catalogue)
            self.partners = Partners(self.fixtures.partners)
            self.idempotency = self._idempotency_store(self.max_idempotency_records, self.idempotency_ttl, self.clock)
            self.orders = self._order_store()
            self.faults = FaultStore()
            self.journal = Journal(self.journal_size)
            self.auto_advance: list[Step] = []
            self.certification: Certification | None = None
            self._shopify_ids = itertools.count(FIRST_SHOPIFY_ORDER_ID)

    def is_current(self, epoch: int | None) -> bool:
        """Whether a request that began in `epoch` may still change the state (no reset since; None: always)."""
        return epoch is None or epoch == self.epoch

    def _fence(self, epoch: int | None) -> None:
        """Refuse, with nothing changed, a change asked for by a request older than the last reset (lock held)."""
        if not self.is_current(epoch):
            raise ResetMeanwhile()

    def is_admin(self, token: str) -> bool:
        """Whether `token` is the admin token (compared in constant time)."""
        return hmac.compare_digest(digest(token), self._admin_digest)

    def authenticate(self, api_key: str) -> str | None:
        """The partner id that owns `api_key`, or None."""
        return self.partners.authenticate(api_key)

    # --- the partner API ----------------------------------------------------------------------------------------

    def read_order(self, partner_id: str, order_id: str) -> dict[str, Any]:
        """GET /orders/{id}: the partner's order with any due auto-advance steps applied."""
        with self.lock:
            order = self.orders.get_for_partner(partner_id, order_id)
            self._catch_up(order)
            return order.as_json()

    def submit_cart(
        self, partner_id: str, cart: dict[str, Any], idempotency_key: str | None, epoch: int | None = None
    ) -> SubmitOutcome:
        """Apply idempotency, then SKU mapping: replay, 409, a new order (200) or nothing (204). `idempotency_key` is
        None when the request has none (domain.idempotency_key). ResetMeanwhile (503) when a reset came after the
        request's `epoch` began: nothing is looked up or created."""
        fingerprint = payload_fingerprint(cart) if idempotency_key is not None else ""
        with self.lock:
            self._fence(epoch)
            if idempotency_key is not None:
                record = self.idempotency.get(partner_id, idempotency_key)
                if record is not None:
                    if record.fingerprint != fingerprint:
                        raise IdempotencyConflict(
                            "this Idempotency-Key was first used with a different payload; "
                            "send a new key for a new order, or the same payload to retry"
                        )
                    return replace(record.outcome, replayed=True)
            outcome = self._create_order(partner_id, cart)
            if idempotency_key is not None:
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

    # --- lifecycle ------------------------------------------------------------------------------------------------

    def _catch_up(self, order: Order) -> None:
        """Apply the auto-advance steps whose time has come, each at its own due time (the lock is held)."""
        now = self.clock()
        while order.schedule and order.schedule[0][0] <= now:
            due, status = order.schedule.pop(0)
            try:
                order.move_to(status, due, **automatic_details(status, order, due))
            except InvalidTransition:
                order.schedule.clear()  # moved by hand meanwhile: the rest of the path no longer applies

    def transition(self, order_id: str, status: Status, **details: Any) -> dict[str, Any]:
        """An admin lifecycle step, answered as the admin sees the order; refused (409, nothing changed) when the
        guide does not allow it."""
        with self.lock:
            order = self.orders.get(order_id)
            if order is None:
                raise OrderNotFound()
            self._catch_up(order)
            order.move_to(status, self.clock(), **details)
            return order.admin_view()

    def admin_orders(self, partner_id: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
        """Every order as the admin sees it (with its partner), newest first, optionally one partner's or status's."""
        with self.lock:
            for order in self.orders:
                self._catch_up(order)
            views = [order.admin_view() for order in self.orders]
        views = [v for v in views if (partner_id is None or v["partner_id"] == partner_id)]
        views = [v for v in views if (status is None or v["status"] == status)]
        return sorted(views, key=lambda view: view["created_at"], reverse=True)

    def set_auto_advance(self, steps: list[Step]) -> None:
        with self.lock:
            self.auto_advance = list(steps)

    # --- SKUs and partners ------------------------------------------------------------------------------------------

    def skus(self) -> dict[str, int]:
        with self.lock:
            return dict(self.catalogue.variants)

    def map_sku(self, sku: str, shopify_variant_id: int) -> None:
        with self.lock:
            self.catalogue.add(sku, shopify_variant_id)

    def unmap_sku(self, sku: str) -> None:
        with self.lock:
            if not self.catalogue.remove(sku):
                raise NotFound(f"SKU {sku!r} is not mapped")

    def partner_list(self) -> list[Partner]:
        with self.lock:
            return sorted(self.partners, key=lambda partner: partner.id)

    def add_partner(self, partner_id: str, name: str, api_key: str) -> Partner:
        with self.lock:
            return self.partners.add(partner_id, name, api_key)

    def rotate_key(self, partner_id: str, api_key: str) -> Partner:
        with self.lock:
            return self.partners.rotate_key(partner_id, api_key)

    # --- faults, journal, certification -----------------------------------------------------------------------------

    def has_faults(self) -> bool:
        return bool(self.faults)  # read without the lock: the fault layer's quick test, taken again by take_fault

    def fault_list(self) -> list[Fault]:
        with self.lock:
            return list(self.faults)

    def add_fault(self, count: int, **options: Any) -> Fault:
        with self.lock:
            return self.faults.add(count, **options)

    def take_fault(self, operation: str | None, epoch: int | None = None) -> Fault | None:
        """The fault that shapes this request, one count used; None for a request older than the last reset, which
        never uses up a fault added after it."""
        with self.lock:
            return self.faults.take(operation) if self.is_current(epoch) else None

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def journal_enabled(self) -> bool:
        return self.journal.enabled

    def record_request(self, entry: JournalEntry, epoch: int | None = None) -> bool:
        """Journal `entry`; False (not journalled) for a request older than the last reset."""
        with self.lock:
            if not self.is_current(epoch):
                return False
            self.journal.record(entry)
            return True

    def journal_entries(self, where: JournalFilter | None = None, limit: int = 100) -> list[dict[str, Any]]:
        with self.lock:
            return self.journal.query(where, limit)

    def clear_journal(self) -> None:
        with self.lock:
            self.journal.clear()

    def arm_certification(self, start: Callable[[Partners, Mapping[str, int]], Certification]) -> Certification:
        """Start a certification run: `start` builds it from the partners (it adds or re-keys its own) and the
        catalogue, under the lock."""
        with self.lock:
            self.certification = start(self.partners, self.catalogue.variants)
            return self.certification

    def certification_record(self) -> RunRecord:
        """The armed run's settings and record; 404 when none is armed."""
        with self.lock:
            if self.certification is None:
                raise NotFound("no certification is armed; start one with POST /__admin/certification")
            return self.certification.as_record()

    def record_certified(self, run: Certification, entry: Entry, epoch: int | None = None) -> None:
        """Record a request of `run`, if it is still the armed run and no reset came since the request began (a
        request that outlived its run is dropped); an order it sees created for the first time gets its scaled
        lifecycle."""
        with self.lock:
            if self.certification is not run or not self.is_current(epoch):
                return
            order_id = entry.get("supplier_order_id")
            order = self.orders.get(order_id) if order_id and run.first_sight(order_id) else None
            if order is not None:
                order.schedule = run.lifecycle(order.created_at, entry.get("condition"))
            run.record(entry)

    def disarm_certification(self) -> None:
        with self.lock:
            self.certification = None
