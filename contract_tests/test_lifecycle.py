"""The lifecycle: statuses take documented values, and an order only moves along the documented transitions.

Without the supplier's side a black box sees a new order for a moment only (status changes are manual, the guide
says); with JAFARSHOP_ADMIN_TOKEN the tests drive every documented transition through the kit mock's admin API and
check what the partner reads after each step."""

from __future__ import annotations

import itertools
import time
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from contract_tests.admin import admin_api
from contract_tests.checks import (
    ReferenceOrder,
    assert_happened_between,
    create_order,
    now_utc,
    parse_utc_time,
    read_order,
)
from contract_tests.client import ApiClient
from contract_tests.spec import reachable
from contract_tests.strategies import SampleCart
from contract_tests.target import Target

READS = 5
PAUSE_SECONDS = 0.2


def _moment(value: Any) -> datetime:
    return parse_utc_time(value, "an order's time")


def assert_moves_forward(seen: list[dict[str, Any]]) -> None:
    """Successive reads of one order: documented moves only, created_at fixed, updated_at never going back.
    (updated_at may stay put across a change: the guide does not define it, and a clock may tick in seconds.)"""
    for before, after in itertools.pairwise(seen):
        assert after["status"] in reachable(before["status"]), (
            f"the order went from {before['status']} to {after['status']}, which no documented transition allows"
        )
        assert _moment(after["created_at"]) == _moment(before["created_at"]), "created_at changed"
        assert _moment(after["updated_at"]) >= _moment(before["updated_at"]), (
            f"updated_at went backwards: {before['updated_at']} -> {after['updated_at']}"
        )
    assert _moment(seen[0]["updated_at"]) >= _moment(seen[0]["created_at"]), "updated_at is before created_at"


def test_order_observed_over_time_moves_only_along_documented_transitions(
    api: ApiClient, reference_order: ReferenceOrder
) -> None:
    order_id = reference_order.id
    seen = [read_order(api, order_id)]
    for _ in range(READS - 1):
        time.sleep(PAUSE_SECONDS)
        seen.append(read_order(api, order_id))  # read_order checks the status is documented, with its fields
    assert_moves_forward(seen)


REJECTION_REASON = "Contract suite: SKU out of stock"
TRACKING = {
    "carrier": "Aramex",
    "tracking_number": "CT-34567890123",
    "tracking_url": "https://www.aramex.com/track/results?ShipmentNumber=CT-34567890123",
}
# Each admin action, the body it takes, and the status the partner must then read.
STEPS = {
    "confirm": (None, "CONFIRMED"),
    "reject": ({"rejection_reason": REJECTION_REASON}, "REJECTED"),
    "ship": (TRACKING, "SHIPPED"),
    "deliver": (None, "DELIVERED"),
    "cancel": (None, "CANCELLED"),
}
# Every documented transition, each on at least one path from a new order.
PATHS = {
    "confirmed-shipped-delivered": ("confirm", "ship", "deliver"),
    "rejected-with-a-reason": ("reject",),
    "cancelled-while-pending": ("cancel",),
    "cancelled-after-confirmation": ("confirm", "cancel"),
}
# A step the guide does not allow from each terminal status (and from a new order: delivery before shipping).
NOT_ALLOWED_FROM = {
    "PENDING_CONFIRMATION": "deliver",
    "DELIVERED": "cancel",
    "REJECTED": "confirm",
    "CANCELLED": "confirm",
}


def assert_status_fields(order: dict[str, Any], after: str) -> None:
    """What the partner reads beside the status: the reason it was given, the tracking data it was given."""
    status = order["status"]
    if status == "REJECTED":
        assert order.get("rejection_reason") == REJECTION_REASON, (
            f"a REJECTED order must carry the reason given: {order.get('rejection_reason')!r}"
        )
    else:
        assert not order.get("rejection_reason"), f"a {status} order carries a rejection_reason after {after}"
    if status in ("SHIPPED", "DELIVERED"):
        tracking = order.get("tracking") or {}
        for field, value in TRACKING.items():
            assert tracking.get(field) == value, (
                f"a {status} order must carry the tracking data given: tracking.{field} is {tracking.get(field)!r}"
            )
    else:
        assert not order.get("tracking"), f"a {status} order carries tracking data after {after}"


# On this path the first change comes 2 s after the order: by the target's own clock (no skew between two clocks),
# updated_at and shipped_at must then be at least that much (less a second of clock resolution) after created_at.
TIMED_PATH = "confirmed-shipped-delivered"
TIMED_PAUSE_SECONDS = 2.0


def assert_moved_on(order: dict[str, Any], waited: timedelta, action: str) -> None:
    """After a change made `waited` after the order was created, its times say it came that much later."""
    created = parse_utc_time(order["created_at"], "created_at")
    least = waited - timedelta(seconds=1)
    times = {"updated_at": order["updated_at"]}
    if action == "ship":
        times["tracking.shipped_at"] = order["tracking"]["shipped_at"]
    for name, value in times.items():
        assert parse_utc_time(value, name) - created >= least, (
            f"{name} after {action} is {value}, only {(parse_utc_time(value, name) - created).total_seconds():.1f} s "
            f"after created_at ({order['created_at']}), but the change came {waited.total_seconds():.1f} s after the "
            "order: the time of a change must move with it"
        )


@pytest.mark.parametrize("path", list(PATHS.values()), ids=list(PATHS))
@pytest.mark.orders(1)
@pytest.mark.needs_admin
def test_every_documented_transition_reads_back(
    api: ApiClient, target: Target, sample_cart: SampleCart, http: httpx.Client, path: tuple[str, ...]
) -> None:
    """PENDING_CONFIRMATION -> CONFIRMED -> SHIPPED -> DELIVERED, -> REJECTED with its reason, -> CANCELLED from
    PENDING_CONFIRMATION and from CONFIRMED: each step driven by the supplier is what the partner then reads; a step
    the guide does not allow, whether or not the supplier's side refuses it, changes nothing the partner reads."""
    admin = admin_api(target, http, api.ledger)
    order_id = create_order(api, sample_cart())
    created = now_utc()
    seen = [read_order(api, order_id)]
    if path == PATHS[TIMED_PATH]:  # time for the target's own clock to show that a change came later
        time.sleep(max(0.0, TIMED_PAUSE_SECONDS - (now_utc() - created).total_seconds()))
    for action in (None, *path):
        if action is not None:
            body, status = STEPS[action]
            before = now_utc()
            admin.call("POST", f"/orders/{order_id}/{action}", body)
            order = read_order(api, order_id)
            after = now_utc()
            assert order["status"] == status, f"after {action}, the partner must read {status}: {order['status']}"
            assert_happened_between(order["updated_at"], f"updated_at after {action}", before, after)
            if action == "ship":
                assert_happened_between(order["tracking"]["shipped_at"], "tracking.shipped_at", before, after)
            if path == PATHS[TIMED_PATH]:
                assert_moved_on(order, before - created, action)
            assert_status_fields(order, f"{' -> '.join(path[: path.index(action) + 1])}")
            seen.append(order)
        current = seen[-1]["status"]
        if current in NOT_ALLOWED_FROM:
            refused = NOT_ALLOWED_FROM[current]
            admin.send("POST", f"/orders/{order_id}/{refused}", STEPS[refused][0])
            order = read_order(api, order_id)
            assert order["status"] == current, (
                f"{refused} is no documented transition from {current}, yet the partner now reads {order['status']}"
            )
            assert_status_fields(order, f"a refused {refused}")
            seen.append(order)
    assert_moves_forward(seen)
