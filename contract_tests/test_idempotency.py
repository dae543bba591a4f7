"""Idempotency keys: replays, conflicts, concurrency and the partner scope."""

from __future__ import annotations

import copy
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import given, settings

from contract_tests.checks import (
    ReferenceOrder,
    assert_refused_key_never_replays,
    assert_replays,
    create_order,
    read_order,
)
from contract_tests.client import ApiClient, expect
from contract_tests.spec import largest_accepted
from contract_tests.strategies import SampleCart, carts, idempotency_keys, new_key, unique_id
from contract_tests.target import Target
from jafarshop_kit.guide import BACKOFF_SECONDS


@pytest.mark.orders(1, per_example=1)
def test_replay_with_same_key_returns_same_order(api: ApiClient, target: Target, property_examples: int) -> None:
    @settings(max_examples=property_examples)
    @given(cart=carts(target.mapped_skus, target.unmapped_sku), key=idempotency_keys())
    def check(cart: dict[str, Any], key: str) -> None:
        order_id = create_order(api, cart, key=key)
        assert_replays(api, cart, key, order_id, "right after the first submit")

    check()


def test_replay_after_reading_the_order_returns_same_order(api: ApiClient, reference_order: ReferenceOrder) -> None:
    read_order(api, reference_order.id)
    assert_replays(api, reference_order.cart, reference_order.key, reference_order.id, "after reading the order")


# The guide's retry strategy (jafarshop_kit/guide.py: at most 3 retries, waiting 1 s, 2 s and 4 s). The last retry
# goes 7 s after the first submit, so a key must be remembered at least that long (the one slow test of the suite).
_LAST_RETRY = " + ".join(f"{wait:g}" for wait in BACKOFF_SECONDS)


def test_retry_at_the_end_of_the_guides_backoff_replays_the_same_order(
    api: ApiClient, reference_order: ReferenceOrder
) -> None:
    """The shared order's key, at least the whole backoff (7 s) after it was created (later in a long run: a key
    remembered longer passes too)."""
    time.sleep(max(0.0, sum(BACKOFF_SECONDS) - (time.monotonic() - reference_order.made_at)))
    age = time.monotonic() - reference_order.made_at
    assert_replays(api, reference_order.cart, reference_order.key, reference_order.id,
                   f"{age:.0f} s later (the guide's last retry comes {_LAST_RETRY} s after the first)")  # fmt: skip


def _serializations(cart: dict[str, Any]) -> dict[str, bytes]:
    """The same JSON value written as other clients write it: keys reordered, spacing, escapes."""

    def reordered(value: Any) -> Any:
        if isinstance(value, dict):
            return {name: reordered(value[name]) for name in reversed(list(value))}
        if isinstance(value, list):
            return [reordered(item) for item in value]
        return value

    compact = json.dumps(cart, separators=(",", ":"), ensure_ascii=False)
    return {
        "keys in reverse order": json.dumps(reordered(cart), ensure_ascii=False).encode(),
        "indented, CRLF line ends": json.dumps(cart, indent=4, ensure_ascii=False).replace("\n", "\r\n").encode(),
        "compact": compact.encode(),
        "non-ASCII and slashes escaped (PHP's json_encode)": json.dumps(cart).replace("/", "\\/").encode(),
        "tabs around separators": json.dumps(cart, separators=("\t,\t", "\t:\t"), ensure_ascii=False).encode(),
    }


def test_same_cart_serialized_differently_replays_the_same_order(
    api: ApiClient, reference_order: ReferenceOrder
) -> None:
    """ "Same payload" is the JSON value, not its bytes: a retry from another process, library or language writes the
    same cart with other key order and spacing (the shared order's cart is in Arabic: ASCII-only encoders escape it)."""
    cart, key, order_id = reference_order.cart, reference_order.key, reference_order.id
    for how, raw in _serializations(cart).items():
        body = expect(api.submit(content=raw, key=key), 200, f"the same cart written with {how} must replay")
        assert body["supplier_order_id"] == order_id, (
            f"the same cart written with {how} must return the existing order {order_id}, "
            f"got {body['supplier_order_id']}"
        )


@pytest.mark.orders(1)
def test_concurrent_submits_with_one_key_create_one_order(api: ApiClient, sample_cart: SampleCart) -> None:
    cart = sample_cart()
    key = unique_id("idem")
    with ThreadPoolExecutor(max_workers=16) as pool:
        responses = list(pool.map(lambda _: api.submit(cart, key=key), range(16)))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * 16, f"16 concurrent submits of one key and payload must all answer 200: {statuses}"
    ids = {response.json()["supplier_order_id"] for response in responses}
    assert len(ids) == 1, f"16 concurrent submits of one key created {len(ids)} orders: {sorted(ids)}"


@pytest.mark.orders(1, per_example=1)
def test_same_key_with_different_payload_is_409_and_keeps_the_first_order(
    api: ApiClient, target: Target, property_examples: int
) -> None:
    @settings(max_examples=property_examples)
    @given(
        first=carts(target.mapped_skus, target.unmapped_sku),
        second=carts(target.mapped_skus, target.unmapped_sku),
        key=idempotency_keys(),
    )
    def check(first: dict[str, Any], second: dict[str, Any], key: str) -> None:
        order_id = create_order(api, first, key=key)
        expect(api.submit(second, key=key), 409, "same key + different payload must be 409")
        order = read_order(api, order_id)
        assert order["partner_order_id"] == first["partner_order_id"], "the 409 must leave the first order unchanged"

    check()


def test_replay_of_a_cart_without_mapped_sku_answers_204_again(api: ApiClient, sample_cart: SampleCart) -> None:
    cart = sample_cart(mapped=False)
    key = unique_id("idem")
    expect(api.submit(cart, key=key), 204, "a cart with no mapped SKU must answer 204")
    expect(api.submit(cart, key=key), 204, "its replay with the same key must answer 204 again")


@pytest.mark.orders(6)
def test_different_keys_create_different_orders(api: ApiClient, sample_cart: SampleCart) -> None:
    """Also keys that differ only late or in their dashes, as keys from other systems do: a key is all of its
    characters. Up to the length a target must accept (x-largest-accepted) each is a new order; a longer one may be
    refused (4xx), never taken as another key."""
    cart = sample_cart()
    limit = largest_accepted()["idempotency_key_characters"]
    base = new_key("system", limit).ljust(limit, "0")[:limit]
    seed = uuid.uuid4().hex[:12]
    pairs = {
        f"{limit} characters that differ only in the last": (base[:-1] + "1", base[:-1] + "2"),
        "keys that differ only where their dashes are": (f"order-1-23-{seed}", f"order-12-3-{seed}"),
    }
    for how, keys in pairs.items():
        orders = [create_order(api, cart, key=key) for key in keys]
        assert orders[0] != orders[1], f"two keys of {how} must create two orders ({keys[0]}, {keys[1]}): one order"
    longer = (base * 2)[: limit + 36]
    answers = [api.submit(cart, key=longer[:-1] + end) for end in "12"]
    taken = [answer.json()["supplier_order_id"] for answer in answers if answer.status_code == 200]
    assert all(answer.status_code == 200 or 400 <= answer.status_code < 500 for answer in answers), (
        f"keys of {len(longer)} characters: a new order each, or refused (4xx): {[a.status_code for a in answers]}"
    )
    assert len(set(taken)) == len(taken), (
        f"two keys of {len(longer)} characters that differ only in the last were taken as one (the same order): "
        "a target may refuse keys longer than it takes, never cut them"
    )


def test_rejected_submission_creates_no_order_under_its_key(api: ApiClient, sample_cart: SampleCart) -> None:
    """A 422 creates nothing: its key then takes the fixed cart as new (200: the mock records only 200 and 204
    answers), or is 409 (a target may keep the refused payload under the key; the guide's "same key + different
    payload: 409" allows it, and its advice for a 409, a new key, then works). It never replays an order."""
    cart = sample_cart()
    key = unique_id("idem")
    invalid = dict(copy.deepcopy(cart), items=[])
    expect(api.submit(invalid, key=key), 422, "an empty items list must be 422")
    unmapped = sample_cart(mapped=False)  # no order: its answer (204 or 409) shows what the key holds
    if assert_refused_key_never_replays(api, key, unmapped, "the invalid cart (422)") == 409:
        expect(api.submit(unmapped, key=unique_id("idem")), 204, "after a 409, a new key (the guide's way out) "
               "must take the cart: 204 for a cart with no mapped SKU")  # fmt: skip


@pytest.mark.orders(2)
def test_partners_using_the_same_key_do_not_see_or_block_each_other(
    api: ApiClient, other_api: ApiClient, sample_cart: SampleCart
) -> None:
    key = unique_id("shared")
    mine = sample_cart()
    theirs = sample_cart()
    my_order = create_order(api, mine, key=key)
    their_order = create_order(other_api, theirs, key=key)  # not 409, not my order
    assert their_order != my_order, "another partner using the same key must get its own order, not mine"
    assert read_order(other_api, their_order)["partner_order_id"] == theirs["partner_order_id"]
    assert_replays(api, mine, key, my_order, "after another partner used the same key")
