"""MockState and its stores, without HTTP."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from mockserver.model.domain import AccessDenied, OrderNotFound, ResetMeanwhile
from mockserver.model.journal import JournalEntry
from mockserver.model.state import FIRST_SHOPIFY_ORDER_ID, MockState
from mockserver.model.stores import Partners
from tests.helpers import FakeClock


def test_partners_authenticate_known_keys_only(state: MockState) -> None:
    assert state.partners.authenticate("demo-key-partner-a") == "partner-a"
    assert state.partners.authenticate("demo-key-partner-b") == "partner-b"
    for wrong in ["", "demo-key-partner-", "DEMO-KEY-PARTNER-A", "demo-key-partner-a ", "x" * 10_000]:
        assert state.partners.authenticate(wrong) is None


def test_partners_keep_only_key_digests() -> None:
    partners = Partners()
    partner = partners.add("p", "P", "secret-key-123")
    assert "secret-key-123" not in repr(partner)
    assert b"secret-key-123" not in partner.key_digest


def test_mapped_cart_creates_a_pending_order(state: MockState, mixed_cart: dict[str, Any]) -> None:
    outcome = state.submit_cart("partner-a", mixed_cart, None)
    assert outcome.status == 200
    assert outcome.body is not None
    order = state.orders.get_for_partner("partner-a", outcome.body["supplier_order_id"])
    assert order.status.value == "PENDING_CONFIRMATION" == outcome.body["status"]
    assert order.shopify_order_id == FIRST_SHOPIFY_ORDER_ID
    assert [item["is_supplier_item"] for item in order.items] == [True, False]


def test_unmapped_cart_creates_nothing(state: MockState, unmapped_cart: dict[str, Any]) -> None:
    outcome = state.submit_cart("partner-a", unmapped_cart, None)
    assert (outcome.status, outcome.body) == (204, None)
    assert len(state.orders) == 0


def test_no_key_means_every_submit_is_a_new_order(state: MockState, mixed_cart: dict[str, Any]) -> None:
    first = state.submit_cart("partner-a", mixed_cart, None)
    second = state.submit_cart("partner-a", mixed_cart, None)
    assert first.body != second.body
    assert len(state.orders) == 2


def test_orders_are_visible_to_their_partner_only(state: MockState, mixed_cart: dict[str, Any]) -> None:
    body = state.submit_cart("partner-a", mixed_cart, None).body
    assert body is not None
    order_id = body["supplier_order_id"]
    assert state.orders.get_for_partner("partner-a", order_id.upper()).id == order_id
    with pytest.raises(AccessDenied):
        state.orders.get_for_partner("partner-b", order_id)
    for unknown in ["550e8400-e29b-41d4-a716-446655440000", "not-a-uuid", "", "../../etc/passwd"]:
        with pytest.raises(OrderNotFound):
            state.orders.get_for_partner("partner-a", unknown)


def test_reset_goes_back_to_the_fixtures(state: MockState, mixed_cart: dict[str, Any]) -> None:
    state.submit_cart("partner-a", mixed_cart, "k1")
    state.catalogue.remove("JDTQ1834")
    state.reset()
    assert len(state.orders) == 0
    assert len(state.idempotency) == 0
    assert "JDTQ1834" in state.catalogue.variants
    assert state.submit_cart("partner-a", mixed_cart, "k1").replayed is False


def test_idempotency_records_expire_after_their_ttl(
    default_fixtures: Any, clock: FakeClock, mixed_cart: dict[str, Any]
) -> None:
    state = MockState(default_fixtures, clock=clock, idempotency_ttl=timedelta(seconds=60))
    first = state.submit_cart("partner-a", mixed_cart, "k1")
    clock.advance(59)
    assert state.submit_cart("partner-a", mixed_cart, "k1").replayed
    clock.advance(1)
    after = state.submit_cart("partner-a", mixed_cart, "k1")
    assert not after.replayed and after.body != first.body  # forgotten: a new order


def test_idempotency_records_are_capped_oldest_first(default_fixtures: Any, mixed_cart: dict[str, Any]) -> None:
    state = MockState(default_fixtures, max_idempotency_records=3)
    for key in ["k1", "k2", "k3", "k4"]:
        state.submit_cart("partner-a", mixed_cart, key)
    assert len(state.idempotency) == 3
    assert state.idempotency.get("partner-a", "k1") is None
    assert state.idempotency.get("partner-a", "k4") is not None


def test_order_store_limit_answers_503_and_keeps_replays_and_204s(
    default_fixtures: Any, mixed_cart: dict[str, Any], unmapped_cart: dict[str, Any]
) -> None:
    from mockserver.model.domain import StoreFull

    state = MockState(default_fixtures, max_orders=2)
    first = state.submit_cart("partner-a", mixed_cart, "k1")
    state.submit_cart("partner-a", mixed_cart, None)
    with pytest.raises(StoreFull) as full:
        state.submit_cart("partner-a", mixed_cart, "k2")
    assert full.value.status == 503 and "--max-orders" in full.value.details
    assert state.submit_cart("partner-a", mixed_cart, "k1").body == first.body  # replays still answer
    assert state.submit_cart("partner-a", unmapped_cart, None).status == 204  # no order needed
    assert state.idempotency.get("partner-a", "k2") is None  # the refused request did not use up its key
    assert len(state.orders) == 2
    state.reset()
    assert state.submit_cart("partner-a", mixed_cart, "k2").status == 200


# --- a reset fences the requests that began before it ------------------------------------------------------------


def test_a_submit_begun_before_a_reset_changes_nothing_after_it(state: MockState, mixed_cart: dict[str, Any]) -> None:
    began = state.epoch
    state.reset()
    with pytest.raises(ResetMeanwhile) as refused:
        state.submit_cart("partner-a", mixed_cart, "key-1", began)
    assert refused.value.status == 503
    assert state.admin_orders() == [] and state.idempotency.get("partner-a", "key-1") is None
    # The same key in the new epoch is a new order, not a replay of anything.
    outcome = state.submit_cart("partner-a", mixed_cart, "key-1", state.epoch)
    assert outcome.status == 200 and not outcome.replayed and len(state.admin_orders()) == 1


def test_a_request_begun_before_a_reset_uses_no_fault_and_writes_no_journal_entry(state: MockState) -> None:
    began = state.epoch
    state.reset()
    state.add_fault(1, status=503)
    assert state.take_fault("submitCart", began) is None
    assert [fault.remaining for fault in state.fault_list()] == [1]  # left for the new epoch's requests
    entry = JournalEntry(time=state.clock(), method="GET", path="/v1/orders/x", status=404, operation="getOrder",
                         partner_id="partner-a", idempotency_key=None)  # fmt: skip
    assert state.record_request(entry, began) is False and state.journal_entries() == []
    assert state.record_request(entry, state.epoch) is True and len(state.journal_entries()) == 1
    assert state.take_fault("submitCart", state.epoch) is not None


def test_a_request_without_an_epoch_is_never_fenced(state: MockState, mixed_cart: dict[str, Any]) -> None:
    state.reset()
    assert state.submit_cart("partner-a", mixed_cart, None).status == 200
    assert state.is_current(None) and not state.is_current(state.epoch - 1)
