"""The admin API's orders: the lifecycle by hand (every transition the guide allows, and only those), listing, and
the lifecycle on a timer (auto-advance)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import MockState, create_app
from mockserver.model.domain import TRANSITIONS, Status
from mockserver.model.fixtures import Fixtures
from tests.helpers import ADMIN, KEY_B, FakeClock, assert_envelope, new_order, read_order

ACTIONS = {
    Status.CONFIRMED: ("confirm", None),
    Status.REJECTED: ("reject", {"rejection_reason": "out of stock"}),
    Status.SHIPPED: ("ship", {"carrier": "Aramex", "tracking_number": "34567890123"}),
    Status.DELIVERED: ("deliver", None),
    Status.CANCELLED: ("cancel", None),
}
# The shortest way to bring a new order to each status.
PATHS = {
    Status.PENDING_CONFIRMATION: [],
    Status.CONFIRMED: [Status.CONFIRMED],
    Status.REJECTED: [Status.REJECTED],
    Status.CANCELLED: [Status.CANCELLED],
    Status.SHIPPED: [Status.CONFIRMED, Status.SHIPPED],
    Status.DELIVERED: [Status.CONFIRMED, Status.SHIPPED, Status.DELIVERED],
}


def act(client: TestClient, order_id: str, status: Status) -> Any:
    """Drive the order to `status` through its admin lifecycle action."""
    action, body = ACTIONS[status]
    return client.post(f"/__admin/orders/{order_id}/{action}", json=body, headers=ADMIN)


# --- lifecycle --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("start", list(Status))
@pytest.mark.parametrize("target", [s for s in Status if s is not Status.PENDING_CONFIRMATION])
def test_every_transition_is_applied_or_refused_exactly_as_the_guide_says(
    client: TestClient, mixed_cart: dict[str, Any], start: Status, target: Status
) -> None:
    order_id = new_order(client, mixed_cart)
    for step in PATHS[start]:
        assert act(client, order_id, step).status_code == 200
    before = read_order(client, order_id)
    response = act(client, order_id, target)
    after = read_order(client, order_id)
    if target in TRANSITIONS.get(start, ()):
        assert response.status_code == 200
        assert after["status"] == target.value  # the partner sees it at once
        assert after["updated_at"] > before["updated_at"]
    else:
        body = assert_envelope(response, 409)
        assert start.value in body["details"] and target.value in body["details"]
        assert after == before  # nothing changed


def test_reject_and_ship_carry_their_data_to_the_partner(client: TestClient, mixed_cart: dict[str, Any]) -> None:
    rejected = new_order(client, mixed_cart)
    act(client, rejected, Status.REJECTED)
    assert read_order(client, rejected)["rejection_reason"] == "out of stock"
    shipped = new_order(client, mixed_cart)
    act(client, shipped, Status.CONFIRMED)
    act(client, shipped, Status.SHIPPED)
    tracking = read_order(client, shipped)["tracking"]
    assert tracking["carrier"] == "Aramex" and tracking["tracking_number"] == "34567890123"


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [("reject", {}, "rejection_reason"), ("ship", {"carrier": "Aramex"}, "tracking_number")],
)
def test_lifecycle_actions_validate_their_body(
    client: TestClient, mixed_cart: dict[str, Any], action: str, body: dict[str, Any], field: str
) -> None:
    order_id = new_order(client, mixed_cart)
    if action == "ship":
        act(client, order_id, Status.CONFIRMED)
    response = client.post(f"/__admin/orders/{order_id}/{action}", json=body, headers=ADMIN)
    assert field in assert_envelope(response, 422)["details"]


def test_unknown_order_is_404(client: TestClient) -> None:
    assert_envelope(client.post("/__admin/orders/nope/confirm", headers=ADMIN), 404)


def test_list_orders_filters_by_partner_and_status(client: TestClient, mixed_cart: dict[str, Any]) -> None:
    a = new_order(client, mixed_cart)
    b = new_order(client, mixed_cart, KEY_B)
    act(client, a, Status.CONFIRMED)
    everything = client.get("/__admin/orders", headers=ADMIN).json()
    assert {o["id"] for o in everything} == {a, b}
    assert [o["id"] for o in client.get("/__admin/orders?partner_id=partner-b", headers=ADMIN).json()] == [b]
    assert [o["id"] for o in client.get("/__admin/orders?status=CONFIRMED", headers=ADMIN).json()] == [a]


# --- auto-advance -----------------------------------------------------------------------------------------------


@pytest.fixture
def timed_client(default_fixtures: Fixtures, clock: FakeClock) -> Any:
    with create_app(MockState(default_fixtures, clock=clock)).test_client() as client:
        yield client


def test_auto_advance_moves_new_orders_along_the_configured_path(
    timed_client: TestClient, clock: FakeClock, mixed_cart: dict[str, Any]
) -> None:
    steps = [{"status": "CONFIRMED", "after_seconds": 5}, {"status": "SHIPPED", "after_seconds": 10}]
    assert timed_client.put("/__admin/auto-advance", json={"steps": steps}, headers=ADMIN).status_code == 200
    order_id = new_order(timed_client, mixed_cart)
    seen = []
    for _ in range(4):
        seen.append(read_order(timed_client, order_id)["status"])
        clock.advance(4)
    assert seen == ["PENDING_CONFIRMATION", "PENDING_CONFIRMATION", "CONFIRMED", "SHIPPED"]
    order = read_order(timed_client, order_id)
    assert order["tracking"]["carrier"] and order["updated_at"] > order["created_at"]


def test_auto_advance_can_reject(timed_client: TestClient, clock: FakeClock, mixed_cart: dict[str, Any]) -> None:
    timed_client.put(
        "/__admin/auto-advance", json={"steps": [{"status": "REJECTED", "after_seconds": 1}]}, headers=ADMIN
    )
    order_id = new_order(timed_client, mixed_cart)
    clock.advance(2)
    order = read_order(timed_client, order_id)
    assert order["status"] == "REJECTED" and order["rejection_reason"]


def test_a_manual_step_ends_the_automatic_path(
    timed_client: TestClient, clock: FakeClock, mixed_cart: dict[str, Any]
) -> None:
    steps = [{"status": "CONFIRMED", "after_seconds": 5}, {"status": "SHIPPED", "after_seconds": 10}]
    timed_client.put("/__admin/auto-advance", json={"steps": steps}, headers=ADMIN)
    order_id = new_order(timed_client, mixed_cart)
    act(timed_client, order_id, Status.CANCELLED)
    clock.advance(20)
    assert read_order(timed_client, order_id)["status"] == "CANCELLED"


@pytest.mark.parametrize(
    "steps",
    [
        [{"status": "SHIPPED", "after_seconds": 1}],
        [{"status": "CONFIRMED", "after_seconds": 5}, {"status": "SHIPPED", "after_seconds": 1}],
        [{"status": "REJECTED", "after_seconds": 1}, {"status": "CONFIRMED", "after_seconds": 2}],
        [{"status": "CONFIRMED", "after_seconds": -1}],
    ],
)
def test_auto_advance_refuses_a_path_the_guide_does_not_allow(client: TestClient, steps: list[Any]) -> None:
    assert_envelope(client.put("/__admin/auto-advance", json={"steps": steps}, headers=ADMIN), 422)
    assert client.get("/__admin/auto-advance", headers=ADMIN).json() == {"steps": []}
