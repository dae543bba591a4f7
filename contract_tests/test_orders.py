"""Order creation and SKU mapping: mapped carts create orders that read back unchanged; unmapped ones create none."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contract_tests.checks import (
    ReferenceOrder,
    assert_happened_between,
    assert_order_matches_cart,
    assert_replays,
    create_order,
    read_order,
)
from contract_tests.client import ApiClient, expect
from contract_tests.strategies import carts, largest_cart, new_key
from contract_tests.target import Target


@pytest.mark.orders(1, per_example=1)
def test_cart_with_mapped_sku_creates_pending_order_that_reads_back_unchanged(
    api: ApiClient, target: Target, property_examples: int
) -> None:
    @settings(max_examples=property_examples)
    @given(cart=carts(target.mapped_skus, target.unmapped_sku))
    def check(cart: dict[str, Any]) -> None:
        order_id = create_order(api, cart)
        order = read_order(api, order_id)
        assert order["status"] == "PENDING_CONFIRMATION", f"a new order must read PENDING_CONFIRMATION: {order}"
        assert_order_matches_cart(order, cart, order_id, target)

    check()


def test_mixed_cart_keeps_both_kinds_of_items(api: ApiClient, target: Target, reference_order: ReferenceOrder) -> None:
    """The shared order is the guide's mixed cart (in Arabic, with an emoji)."""
    cart, order_id = reference_order.cart, reference_order.id
    order = read_order(api, order_id)
    assert_order_matches_cart(order, cart, order_id, target)
    flags = sorted(item["is_supplier_item"] for item in order["items"])
    assert flags == [False, True], f"the guide's mixed cart must keep one mapped and one own item: {order['items']}"


def test_cart_without_mapped_sku_answers_204_with_no_body(api: ApiClient, target: Target) -> None:
    @given(cart=carts(target.mapped_skus, target.unmapped_sku, mapped=0), with_key=st.booleans())
    def check(cart: dict[str, Any], with_key: bool) -> None:
        key = new_key("uuid") if with_key else None
        response = api.submit(cart, key=key)
        # A black box cannot list orders, so "nothing created" is checked as far as it shows: no id, no body, and
        # a replay of the same key does not turn into an order.
        expect(response, 204, "a cart with no mapped SKU must answer 204 (no order)")
        assert response.content == b"", f"a 204 answer has no body, got {response.content[:200]!r}"
        if key is not None:
            # Nothing was created, so the retry must not suddenly produce an order.
            again = api.submit(cart, key=key)
            expect(again, 204, "a replayed cart with no mapped SKU must answer 204 again")

    check()


def test_non_ascii_text_is_accepted_and_reads_back_unchanged(
    api: ApiClient, target: Target, reference_order: ReferenceOrder
) -> None:
    """The shared order's names, address and titles are in Arabic and French, with an emoji beyond the BMP."""
    cart, order_id = reference_order.cart, reference_order.id
    assert any(ord(char) > 0xFFFF for char in cart["items"][0]["title"]), "the shared cart must carry an emoji"
    assert_order_matches_cart(read_order(api, order_id), cart, order_id, target)


@pytest.mark.orders(1)
def test_the_largest_cart_a_store_sends_reads_back_exactly_and_replays(api: ApiClient, target: Target) -> None:
    """Every limit a target must accept at once (x-largest-accepted: 250 lines, 255 characters of text in several
    scripts with emoji beyond the BMP, three-decimal amounts, a 100-character order id, a 64-character key): read back
    exactly, replayed under its key, and 409 when only its very last character differs (the whole payload counts)."""
    cart = largest_cart(target.mapped_skus, target.unmapped_sku)
    key = new_key("system")
    order_id = create_order(api, cart, key=key)
    assert_order_matches_cart(read_order(api, order_id), cart, order_id, target)
    assert_replays(api, cart, key, order_id, "for the largest cart")
    changed = copy.deepcopy(cart)
    changed["items"][-1]["title"] = changed["items"][-1]["title"][:-1] + "!"
    expect(
        api.submit(changed, key=key), 409, "the largest cart with only its last title's last character changed, "
        "under the same key, is a different payload"
    )  # fmt: skip


def test_an_order_reports_when_it_was_created_in_utc(api: ApiClient, reference_order: ReferenceOrder) -> None:
    order = read_order(api, reference_order.id)
    assert_happened_between(order["created_at"], "a new order's created_at", reference_order.before,
                            reference_order.after)  # fmt: skip
    if order["status"] == "PENDING_CONFIRMATION":  # unchanged since it was made
        assert_happened_between(order["updated_at"], "a new order's updated_at", reference_order.before,
                                reference_order.after)  # fmt: skip
