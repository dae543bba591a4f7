"""The small stores of mockserver/model/stores.py, each on its own and without HTTP: the catalogue, partners and
their keys, idempotency records (scope, TTL, cap), the order store's lookups. MockState's use of them, and the
HTTP form of the rules, are in test_state.py and tests/handlers/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mockserver.model.domain import AccessDenied, Conflict, NotFound, Order, OrderNotFound
from mockserver.model.fixtures import CatalogueEntry, PartnerFixture
from mockserver.model.stores import (
    Catalogue,
    IdempotencyRecord,
    IdempotencyStore,
    OrderStore,
    Partners,
    SubmitOutcome,
    digest,
)
from tests.helpers import FakeClock

# --- Catalogue --------------------------------------------------------------------------------------------------


def test_the_catalogue_maps_the_skus_of_its_entries_and_can_add_and_remove() -> None:
    catalogue = Catalogue([CatalogueEntry("JDTQ1834", 111), CatalogueEntry("ABC", 222, title="A")])
    assert dict(catalogue.variants) == {"JDTQ1834": 111, "ABC": 222}
    catalogue.add("NEW", 333)
    assert catalogue.variants["NEW"] == 333
    assert catalogue.remove("ABC") is True
    assert catalogue.remove("ABC") is False  # gone already: the caller can say so
    assert dict(catalogue.variants) == {"JDTQ1834": 111, "NEW": 333}


# --- Partners ---------------------------------------------------------------------------------------------------


@pytest.fixture
def partners() -> Partners:
    return Partners([PartnerFixture("partner-a", "A", "key-a"), PartnerFixture("partner-b", "B", "key-b")])


@pytest.mark.parametrize(
    ("key", "partner"),
    [("key-a", "partner-a"), ("key-b", "partner-b"), ("key-c", None), ("", None), ("key-a ", None), ("KEY-A", None)],
)
def test_a_key_authenticates_its_own_partner_only(partners: Partners, key: str, partner: str | None) -> None:
    assert partners.authenticate(key) == partner


def test_partners_keep_the_key_digest_not_the_key(partners: Partners) -> None:
    stored = partners.get("partner-a")
    assert stored is not None and stored.key_digest == digest("key-a")
    assert "key-a" not in repr(list(partners))


@pytest.mark.parametrize(
    ("partner_id", "key", "message"),
    [("partner-a", "key-new", "exists already"), ("partner-c", "key-b", "belongs to another partner")],
    ids=["id-taken", "key-taken"],
)
def test_adding_a_partner_whose_id_or_key_is_taken_is_a_conflict(
    partners: Partners, partner_id: str, key: str, message: str
) -> None:
    with pytest.raises(Conflict) as raised:
        partners.add(partner_id, "C", key)
    assert message in str(raised.value.details)
    assert [partner.id for partner in partners] == ["partner-a", "partner-b"]  # nothing half-added


def test_a_rotated_key_replaces_the_old_one_at_once(partners: Partners) -> None:
    rotated = partners.rotate_key("partner-a", "key-a2")
    assert (rotated.id, rotated.name) == ("partner-a", "A")
    assert partners.authenticate("key-a") is None
    assert partners.authenticate("key-a2") == "partner-a"


def test_rotating_to_a_key_in_use_or_for_an_unknown_partner_fails_and_changes_nothing(partners: Partners) -> None:
    with pytest.raises(Conflict):
        partners.rotate_key("partner-a", "key-b")
    with pytest.raises(NotFound):
        partners.rotate_key("partner-z", "key-z")
    assert partners.authenticate("key-a") == "partner-a" and partners.authenticate("key-b") == "partner-b"


# --- IdempotencyStore -------------------------------------------------------------------------------------------


def record(n: int) -> IdempotencyRecord:
    return IdempotencyRecord(fingerprint=f"fp-{n}", outcome=SubmitOutcome(200, {"n": n}))


def test_a_key_is_scoped_to_the_partner_that_sent_it() -> None:
    store = IdempotencyStore()
    store.put("partner-a", "k", record(1))
    store.put("partner-b", "k", record(2))
    assert store.get("partner-a", "k") == record(1)
    assert store.get("partner-b", "k") == record(2)
    assert store.get("partner-c", "k") is None
    assert len(store) == 2


@pytest.mark.parametrize(("age", "kept"), [(timedelta(minutes=59), True), (timedelta(hours=1), False)])
def test_a_record_lives_for_its_ttl_and_not_a_moment_longer(age: timedelta, kept: bool) -> None:
    clock = FakeClock()
    store = IdempotencyStore(ttl=timedelta(hours=1), clock=clock)
    store.put("partner-a", "k", record(1))
    clock.advance(age.total_seconds())
    assert (store.get("partner-a", "k") is not None) is kept
    assert len(store) == (1 if kept else 0)  # an expired record is dropped when it is read


def test_past_the_cap_the_oldest_records_go_first() -> None:
    store = IdempotencyStore(max_records=2)
    for n in range(3):
        store.put("partner-a", f"k{n}", record(n))
    assert store.get("partner-a", "k0") is None
    assert [store.get("partner-a", f"k{n}") for n in (1, 2)] == [record(1), record(2)]
    assert len(store) == 2


def test_putting_a_key_again_makes_it_the_newest() -> None:
    store = IdempotencyStore(max_records=2)
    store.put("partner-a", "k0", record(0))
    store.put("partner-a", "k1", record(1))
    store.put("partner-a", "k0", record(10))
    store.put("partner-a", "k2", record(2))
    assert store.get("partner-a", "k1") is None
    assert store.get("partner-a", "k0") == record(10)


def test_expired_records_are_dropped_when_a_new_one_is_put() -> None:
    clock = FakeClock()
    store = IdempotencyStore(ttl=timedelta(hours=1), clock=clock)
    store.put("partner-a", "old", record(0))
    clock.advance(2 * 3600)
    store.put("partner-a", "new", record(1))
    assert len(store) == 1


# --- OrderStore -------------------------------------------------------------------------------------------------


def order(order_id: str, partner_id: str) -> Order:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return Order(
        id=order_id,
        partner_id=partner_id,
        partner_order_id="P-1",
        shopify_order_id=1,
        customer={},
        shipping={},
        totals={},
        payment_status=None,
        payment_method=None,
        items=[],
        created_at=now,
        updated_at=now,
    )


ORDER_ID = "0b7e3f5c-1d2a-4c3b-9a8d-7e6f5a4b3c2d"


def test_an_order_is_found_by_its_id_in_any_case() -> None:
    store = OrderStore()
    store.add(order(ORDER_ID, "partner-a"))
    found = store.get(ORDER_ID.upper())
    assert found is not None and found.id == ORDER_ID
    assert store.get_for_partner("partner-a", ORDER_ID.upper()).id == ORDER_ID
    assert [o.id for o in store] == [ORDER_ID] and len(store) == 1


@pytest.mark.parametrize(
    ("partner_id", "order_id", "error"),
    [("partner-b", ORDER_ID, AccessDenied), ("partner-a", "0" * 36, OrderNotFound), ("partner-a", "x", OrderNotFound)],
    ids=["another-partners", "unknown-uuid", "not-a-uuid"],
)
def test_another_partners_order_is_403_and_an_unknown_one_404(
    partner_id: str, order_id: str, error: type[Exception]
) -> None:
    store = OrderStore()
    store.add(order(ORDER_ID, "partner-a"))
    with pytest.raises(error):
        store.get_for_partner(partner_id, order_id)
