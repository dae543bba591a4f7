"""Idempotency of POST /v1/carts/submit, as partners see it and as MockState records it: the Idempotency-Key header,
replays (of a 200 and of a 204), 409 conflicts, and keys scoped to their partner. (The one place for these: the
model's tests keep only what has no HTTP form, the TTL, the cap and the order store limit.)"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver.model.domain import IdempotencyConflict
from mockserver.model.state import MockState, SubmitOutcome
from tests.helpers import KEY_A, KEY_B, SUBMIT, assert_envelope, assert_new_order, auth, raw_post, submit

# --- the header ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["k" * 256, "caf\u00e9", "tab\there"], ids=["too-long", "non-ascii", "control"])
def test_invalid_idempotency_key_is_400(
    client_both_paths: TestClient, state: MockState, mixed_cart: dict[str, Any], key: str
) -> None:
    headers = {**auth(), "Idempotency-Key": key.encode("utf-8")}
    body = assert_envelope(client_both_paths.post(SUBMIT, json=mixed_cart, headers=headers), 400)
    assert body == {
        "error": "bad request",
        "details": "invalid Idempotency-Key header: must be at most 255 printable ASCII characters (0x20-0x7E)",
    }
    assert (len(state.orders), len(state.idempotency)) == (0, 0)


@pytest.mark.parametrize("key", ["k" * 255, "a", "~!@# $%^&*()"], ids=["255", "one", "punctuation"])
def test_valid_idempotency_keys_are_accepted(
    client: TestClient, state: MockState, mixed_cart: dict[str, Any], key: str
) -> None:
    first = assert_new_order(submit(client, mixed_cart, key), state, mixed_cart)
    assert submit(client, mixed_cart, key).json() == first  # the key was kept: a replay
    assert (len(state.orders), len(state.idempotency)) == (1, 1)


def test_empty_idempotency_key_counts_as_absent(
    client: TestClient, state: MockState, mixed_cart: dict[str, Any]
) -> None:
    answers = [client.post(SUBMIT, json=mixed_cart, headers=auth(**{"Idempotency-Key": ""})) for _ in range(2)]
    first, second = (assert_new_order(answer, state, mixed_cart) for answer in answers)
    assert first["supplier_order_id"] != second["supplier_order_id"]  # two orders, no replay
    assert len(state.orders) == 2
    assert len(state.idempotency) == 0


# --- 409 and idempotency --------------------------------------------------------------------------------------


def test_same_key_same_payload_replays_the_first_answer(
    client: TestClient, state: MockState, mixed_cart: dict[str, Any]
) -> None:
    first = submit(client, mixed_cart, "key-1")
    # Same JSON value, different bytes: key order and spacing do not matter.
    reordered = json.dumps(dict(reversed(list(mixed_cart.items()))), indent=2).encode()
    replay = raw_post(client, reordered, **{"Idempotency-Key": "key-1"})
    assert (replay.status_code, replay.json()) == (first.status_code, first.json())
    assert len(state.orders) == 1
    assert state.submit_cart("partner-a", copy.deepcopy(mixed_cart), "key-1").replayed  # the model knows a replay


def test_replay_after_reading_the_order_is_unchanged(client: TestClient, mixed_cart: dict[str, Any]) -> None:
    first = submit(client, mixed_cart, "key-1").json()
    assert client.get(f"/v1/orders/{first['supplier_order_id']}", headers=auth()).status_code == 200
    assert submit(client, mixed_cart, "key-1").json() == first


def test_same_key_replays_204(client: TestClient, state: MockState, unmapped_cart: dict[str, Any]) -> None:
    assert submit(client, unmapped_cart, "key-204").status_code == 204
    replay = submit(client, unmapped_cart, "key-204")
    assert (replay.status_code, replay.content) == (204, b"")
    assert state.submit_cart("partner-a", unmapped_cart, "key-204") == SubmitOutcome(204, None, replayed=True)


def test_same_key_different_payload_is_409(client: TestClient, state: MockState, mixed_cart: dict[str, Any]) -> None:
    submit(client, mixed_cart, "key-1")
    changed = copy.deepcopy(mixed_cart)
    changed["items"][0]["quantity"] = 3
    body = assert_envelope(submit(client, changed, "key-1"), 409)
    assert "idempotency" in body["error"]
    assert len(state.orders) == 1
    with pytest.raises(IdempotencyConflict):  # the model's error, which the envelope renders as 409
        state.submit_cart("partner-a", changed, "key-1")


def test_different_keys_create_different_orders(client: TestClient, mixed_cart: dict[str, Any]) -> None:
    a = submit(client, mixed_cart, "key-1").json()
    b = submit(client, mixed_cart, "key-2").json()
    assert a["supplier_order_id"] != b["supplier_order_id"]


def test_partners_using_the_same_key_do_not_see_or_block_each_other(
    client: TestClient, state: MockState, mixed_cart: dict[str, Any]
) -> None:
    a = submit(client, mixed_cart, "shared", KEY_A)
    other = dict(mixed_cart, partner_order_id="B-ORDER")
    b = submit(client, other, "shared", KEY_B)
    assert a.status_code == b.status_code == 200
    assert a.json()["supplier_order_id"] != b.json()["supplier_order_id"]
    assert client.get(f"/v1/orders/{b.json()['supplier_order_id']}", headers=auth(KEY_B)).status_code == 200
    assert len(state.orders) == 2


def test_rejected_requests_do_not_consume_the_key(
    client: TestClient, state: MockState, mixed_cart: dict[str, Any]
) -> None:
    broken = copy.deepcopy(mixed_cart)
    broken["items"][0]["quantity"] = 0
    refused = assert_envelope(submit(client, broken, "key-1"), 422)
    assert refused == {"error": "validation failed", "details": "items[0].quantity: must be >= 1 (got 0)"}
    assert len(state.idempotency) == 0
    created = assert_new_order(submit(client, mixed_cart, "key-1"), state, mixed_cart)  # not a 409: the key is free
    assert submit(client, mixed_cart, "key-1").json() == created  # and now it is taken
