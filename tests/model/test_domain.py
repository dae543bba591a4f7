"""The API's rules, tested without HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mockserver.model.domain import (
    InvalidTransition,
    Order,
    Status,
    Tracking,
    can_transition,
    has_mapped_sku,
    idempotency_key,
    is_terminal,
    order_items,
    payload_fingerprint,
)

S = Status
ALLOWED = {
    (S.PENDING_CONFIRMATION, S.CONFIRMED),
    (S.PENDING_CONFIRMATION, S.REJECTED),
    (S.PENDING_CONFIRMATION, S.CANCELLED),
    (S.CONFIRMED, S.SHIPPED),
    (S.CONFIRMED, S.CANCELLED),
    (S.SHIPPED, S.DELIVERED),
}
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("current", list(Status))
@pytest.mark.parametrize("new", list(Status))
def test_transitions_are_exactly_the_guides(current: Status, new: Status) -> None:
    assert can_transition(current, new) is ((current, new) in ALLOWED)


@pytest.mark.parametrize(
    ("status", "terminal"),
    [
        (S.PENDING_CONFIRMATION, False),
        (S.CONFIRMED, False),
        (S.SHIPPED, False),
        (S.REJECTED, True),
        (S.DELIVERED, True),
        (S.CANCELLED, True),
    ],
)
def test_terminal_statuses(status: Status, terminal: bool) -> None:
    assert is_terminal(status) is terminal


CATALOGUE = {"JDTQ1834": 44219312570580, "JDTQ2001": 44219312636116}


@pytest.mark.parametrize(
    ("skus", "mapped"),
    [
        (["JDTQ1834"], True),
        (["JDTQ1834", "YOUR-SKU-123"], True),
        (["YOUR-SKU-123", "JDTQ2001"], True),
        (["YOUR-SKU-123"], False),
        (["YOUR-SKU-123", "OTHER"], False),
        (["jdtq1834"], False),  # SKUs are case-sensitive
        (["JDTQ1834 "], False),
    ],
)
def test_a_cart_is_mapped_when_any_sku_is(skus: list[str], mapped: bool) -> None:
    assert has_mapped_sku([{"sku": sku} for sku in skus], CATALOGUE) is mapped


def test_order_items_keep_every_item_and_flag_mapped_ones() -> None:
    items = [
        {"sku": "JDTQ1834", "title": "A", "price": 29.99, "quantity": 2, "product_url": "https://x/a"},
        {"sku": "YOUR-SKU-123", "title": "B", "price": 19.99, "quantity": 1},
    ]
    assert order_items(items, CATALOGUE) == [
        {
            "sku": "JDTQ1834",
            "title": "A",
            "price": 29.99,
            "quantity": 2,
            "product_url": "https://x/a",
            "is_supplier_item": True,
            "shopify_variant_id": 44219312570580,
        },
        {
            "sku": "YOUR-SKU-123",
            "title": "B",
            "price": 19.99,
            "quantity": 1,
            "product_url": None,
            "is_supplier_item": False,
        },
    ]


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ({"x": 1, "y": [1, 2]}, {"y": [1, 2], "x": 1}, True),  # key order does not matter
        ({"price": 5}, {"price": 5.0}, True),  # 5 and 5.0 are the same JSON number
        ({"x": 1}, {"x": 2}, False),
        ({"y": [1, 2]}, {"y": [2, 1]}, False),  # item order does
        ({"x": None}, {}, False),  # null is not absence in the payload's identity
        ({"x": 1}, {"x": 1, "extra": True}, False),  # unknown fields count
        ({"x": "1"}, {"x": 1}, False),
    ],
)
def test_payload_fingerprint_is_json_value_identity(a: Any, b: Any, same: bool) -> None:
    assert (payload_fingerprint(a) == payload_fingerprint(b)) is same


def _order() -> Order:
    return Order(
        id="550e8400-e29b-41d4-a716-446655440000",
        partner_id="partner-a",
        partner_order_id="ORDER-1",
        shopify_order_id=6349083345108,
        customer={"name": "John Doe"},
        shipping={"street": "s", "city": "c", "postal_code": "1", "country": "JO"},
        totals={"subtotal": 1, "tax": 0, "shipping": 0, "total": 1},
        payment_status=None,
        payment_method=None,
        items=[],
        created_at=T0,
        updated_at=T0,
    )


def test_move_to_applies_a_valid_step_and_moves_updated_at() -> None:
    order = _order()
    order.move_to(S.CONFIRMED, T0)  # same clock reading: updated_at still moves forward
    assert order.status is S.CONFIRMED
    assert order.updated_at > T0
    tracking = Tracking(carrier="Aramex", tracking_number="1", shipped_at=T0 + timedelta(hours=1))
    order.move_to(S.SHIPPED, T0 + timedelta(hours=1), tracking=tracking)
    body = order.as_json()
    assert body["status"] == "SHIPPED"
    assert body["tracking"]["carrier"] == "Aramex"
    assert body["updated_at"] > body["created_at"]


@pytest.mark.parametrize(("current", "new"), [(c, n) for c in S for n in S if (c, n) not in ALLOWED])
def test_move_to_refuses_every_invalid_step_and_changes_nothing(current: Status, new: Status) -> None:
    order = _order()
    order.status = current
    before = order.as_json()
    with pytest.raises(InvalidTransition):
        order.move_to(new, T0 + timedelta(hours=1), rejection_reason="r", tracking=Tracking("c", "n", T0))
    assert order.as_json() == before


def test_rejection_needs_a_reason_and_shipping_needs_tracking() -> None:
    order = _order()
    with pytest.raises(InvalidTransition) as rejected:
        order.move_to(S.REJECTED, T0)
    assert "rejection_reason" in rejected.value.details
    order.move_to(S.CONFIRMED, T0)
    with pytest.raises(InvalidTransition) as shipped:
        order.move_to(S.SHIPPED, T0)
    assert "tracking" in shipped.value.details
    assert order.status is S.CONFIRMED


@pytest.mark.parametrize(("header", "key"), [(None, None), ("", None), (" ", " "), ("k-1", "k-1")])
def test_an_empty_idempotency_key_counts_as_absent(header: str | None, key: str | None) -> None:
    assert idempotency_key(header) == key
