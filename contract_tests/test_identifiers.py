"""Identifiers are opaque to the partner: whatever spellings of an order id or an Idempotency-Key a target takes as
the same thing, every rule holds for each of them as for the original (the spec's "identifiers" decision)."""

from __future__ import annotations

import uuid

import pytest

from contract_tests.checks import ReferenceOrder, create_order
from contract_tests.client import ApiClient, expect
from contract_tests.model import same_order, spelled_ids
from contract_tests.strategies import SampleCart


def test_each_spelling_of_an_order_id_reads_that_order_or_none(api: ApiClient, reference_order: ReferenceOrder) -> None:
    """Read with a spelling of its id, the order is that order (200) or no order (404, or 400 for a form the target
    refuses); never another one, never a 403 for the partner's own order."""
    cart, order_id = reference_order.cart, reference_order.id
    for how, spelled in spelled_ids(order_id).items():
        response = api.get_order(spelled)
        assert response.status_code in (200, 400, 404), (
            f"the order id in {how} ({spelled}) must read the partner's own order (200) or no order (404, 400), "
            f"got {response.status_code}: {response.text[:300]!r}"
        )
        if response.status_code == 200:
            order = response.json()
            assert same_order(order["id"], order_id) and order["partner_order_id"] == cart["partner_order_id"], (
                f"the order id in {how} ({spelled}) read another order: {order['id']} {order['partner_order_id']!r}"
            )


def test_each_spelling_of_an_order_id_is_403_for_another_partner(
    api: ApiClient, other_api: ApiClient, reference_order: ReferenceOrder
) -> None:
    """Where a spelling reads the order for its partner, it is 403 for any other (as the id itself is); where it
    reads nothing, it reads nothing for them either. Never the order."""
    order_id = reference_order.id
    expect(other_api.get_order(order_id), 403, "another partner's order must be 403")
    for how, spelled in spelled_ids(order_id).items():
        mine = api.get_order(spelled).status_code
        theirs = other_api.get_order(spelled)
        allowed = (403,) if mine == 200 else (400, 403, 404)
        assert theirs.status_code in allowed, (
            f"the order id in {how} ({spelled}) reads the order for its partner ({mine}): for another partner it "
            f"must be {' or '.join(map(str, allowed))}, got {theirs.status_code}: {theirs.text[:300]!r}"
        )


def key_spellings(key: str) -> dict[str, str]:
    """Spellings of a key that differ only in the case of letters: the only ones a target may take as the key."""
    spellings = {"upper case": key.upper(), "lower case": key.lower(), "swapped case": key.swapcase()}
    return {how: spelled for how, spelled in spellings.items() if spelled != key}


@pytest.mark.orders(4)
def test_each_spelling_of_an_idempotency_key_conflicts_or_is_new_never_replays_another_payload(
    api: ApiClient, sample_cart: SampleCart
) -> None:
    """A key spelled in another case is the same key (another payload: 409; the same payload: the same order) or a
    new one (a new order); it never answers another payload with the first order."""
    key = f"Idem-{uuid.uuid4()}"
    cart = sample_cart()
    order_id = create_order(api, cart, key=key)
    for how, spelled in key_spellings(key).items():
        other_cart = sample_cart()
        response = api.submit(other_cart, key=spelled)
        assert response.status_code in (200, 409), (
            f"a new cart under the key in {how} must be 409 (the same key) or a new order (another key), got "
            f"{response.status_code}: {response.text[:300]!r}"
        )
        if response.status_code == 200:
            got = response.json()["supplier_order_id"]
            assert got != order_id, (
                f"the key in {how} answered a different cart with the first cart's order {order_id}: a spelling taken "
                "as the same key must be 409 for another payload"
            )
            continue
        again = expect(api.submit(cart, key=spelled), 200, f"the first cart under the key in {how} (taken as the "
                       "same key: its 409 says so) must replay")  # fmt: skip
        assert again["supplier_order_id"] == order_id, (
            f"the key in {how} is the same key for a conflict (409) but not for a replay: the first cart under it "
            f"created {again['supplier_order_id']}, not the existing {order_id} (a duplicate order)"
        )
