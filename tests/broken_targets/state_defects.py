"""Defects in the state and settings behind the API: MockState subclasses, swapped stores (MockState's store
factories) and limits set wrong. The HTTP layer is the mock's own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from starlette.types import ASGIApp

from mockserver import MockState, create_app
from mockserver.model.domain import AccessDenied, IdempotencyConflict, Order, OrderNotFound
from mockserver.model.fixtures import DEFAULT_FIXTURES, load_fixtures
from mockserver.model.state import SubmitOutcome
from mockserver.model.stores import IdempotencyRecord, IdempotencyStore, OrderStore
from tests.broken_targets.targets import Defect


class IgnoresIdempotency(MockState):
    def submit_cart(
        self, partner_id: str, cart: dict[str, Any], idempotency_key: str | None, epoch: int | None = None
    ) -> SubmitOutcome:
        return super().submit_cart(partner_id, cart, None, epoch)


class ReplaysOnConflict(MockState):
    def submit_cart(
        self, partner_id: str, cart: dict[str, Any], idempotency_key: str | None, epoch: int | None = None
    ) -> SubmitOutcome:
        try:
            return super().submit_cart(partner_id, cart, idempotency_key, epoch)
        except IdempotencyConflict:
            assert idempotency_key is not None
            record = self.idempotency.get(partner_id, idempotency_key)
            assert record is not None
            return record.outcome


class GlobalKeys(IdempotencyStore):
    def get(self, partner_id: str, key: str) -> IdempotencyRecord | None:
        return super().get("everyone", key)

    def put(self, partner_id: str, key: str, record: IdempotencyRecord) -> None:
        super().put("everyone", key, record)


class LeakyOrders(OrderStore):
    def get_for_partner(self, partner_id: str, order_id: str) -> Order:
        order = self.get(order_id)
        if order is None:
            raise OrderNotFound()
        return order


class HidingOrders(OrderStore):
    def get_for_partner(self, partner_id: str, order_id: str) -> Order:
        try:
            return super().get_for_partner(partner_id, order_id)
        except AccessDenied:
            raise OrderNotFound() from None


class OrdersUnmappedCarts(MockState):
    def _create_order(self, partner_id: str, cart: dict[str, Any]) -> SubmitOutcome:
        outcome = super()._create_order(partner_id, cart)
        if outcome.status == 204:
            sku = cart["items"][0]["sku"]
            self.catalogue.add(sku, 1)
            try:
                return super()._create_order(partner_id, cart)
            finally:
                self.catalogue.remove(sku)
        return outcome


class ForgetsOrders(OrderStore):
    """Loses every other order it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.given = 0

    def add(self, order: Order) -> None:
        self.given += 1
        if self.given % 2:
            super().add(order)


class StartsConfirmed(MockState):
    def _create_order(self, partner_id: str, cart: dict[str, Any]) -> SubmitOutcome:
        outcome = super()._create_order(partner_id, cart)
        if outcome.body is not None:
            order = self.orders.get(outcome.body["supplier_order_id"])
            assert order is not None
            order.move_to(order.status.CONFIRMED, self.clock())
            return SubmitOutcome(200, {**outcome.body, "status": "CONFIRMED"})
        return outcome


def _state(cls: type[MockState], **stores: Any) -> Callable[[], ASGIApp]:
    """A target whose state breaks a rule: a MockState subclass, or a swapped store (MockState's store factories)."""
    return lambda: create_app(cls(load_fixtures(DEFAULT_FIXTURES), **stores))


STATE_DEFECTS = [
    Defect(
        "ignores-idempotency",
        "same key + same payload creates a second order",
        _state(IgnoresIdempotency),
        ("test_replay_with_same_key_returns_same_order", "test_concurrent_submits_with_one_key"),
    ),
    Defect(
        "replays-on-conflict",
        "same key + different payload replays instead of 409",
        _state(ReplaysOnConflict),
        ("test_same_key_with_different_payload_is_409",),
    ),
    Defect(
        "keys-not-scoped-to-partner",
        "one partner's key blocks another partner",
        _state(MockState, idempotency=GlobalKeys),
        ("test_partners_using_the_same_key_do_not_see_or_block_each_other",),
    ),
    Defect(
        "leaks-other-partners-order",
        "another partner's order is readable",
        _state(MockState, orders=LeakyOrders),
        ("test_another_partners_order_is_403",),
    ),
    Defect(
        "404-for-other-partners-order",
        "another partner's order is 404, not 403",
        _state(MockState, orders=HidingOrders),
        ("test_another_partners_order_is_403",),
    ),
    Defect(
        "orders-unmapped-cart",
        "a cart with no mapped SKU creates an order (200)",
        _state(OrdersUnmappedCarts),
        ("test_cart_without_mapped_sku_answers_204",),
    ),
    Defect(
        "loses-orders",
        "every other new order cannot be read back",
        _state(MockState, orders=ForgetsOrders),
        (
            "reads_back_unchanged",
            "test_mixed_cart_keeps_both_kinds_of_items",
            "test_api_conforms_to_the_spec",
            "TestStatefulWorkflow",
        ),
    ),
    Defect(
        "new-order-not-pending",
        "new orders start CONFIRMED",
        _state(StartsConfirmed),
        ("reads_back_unchanged", "test_mixed_cart_keeps_both_kinds_of_items"),
    ),
    Defect(
        "idempotency-forgets-keys-after-5-s",
        "an Idempotency-Key is remembered for 5 s, shorter than the guide's backoff (1 + 2 + 4 s)",
        lambda: create_app(MockState(load_fixtures(DEFAULT_FIXTURES), idempotency_ttl=timedelta(seconds=5))),
        (
            "test_retry_at_the_end_of_the_guides_backoff_replays_the_same_order",
            # the shared reference order was made at the run's start: a replay of it seconds later
            "test_same_cart_serialized_differently_replays_the_same_order",
            "test_replay_after_reading",
        ),
        only=True,
    ),
    Defect(
        "no-body-size-limit",
        "a 20 MiB cart is read and creates an order",
        lambda: create_app(max_body_bytes=64 * 1024 * 1024),
        ("test_oversized_body_is_refused_promptly",),
        only=True,
    ),
]
