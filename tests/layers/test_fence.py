"""The reset fence: a partner request that began before a reset changes nothing after it (no order, idempotency
record, fault used up, journal entry or certification record), whichever path answers it."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest

from tests.helpers import ADMIN, LiveServer, assert_envelope, auth


def _admin(server: LiveServer) -> str:
    return server.url.replace("/v1", "/__admin")


def _reset_after(server: LiveServer, seconds: float) -> threading.Thread:
    def reset() -> None:
        time.sleep(seconds)
        httpx.post(f"{_admin(server)}/reset", headers=ADMIN, timeout=10).raise_for_status()

    thread = threading.Thread(target=reset)
    thread.start()
    return thread


def test_a_delayed_submit_that_wakes_after_a_reset_is_answered_503_and_changes_nothing(
    server: LiveServer, mixed_cart: dict[str, Any]
) -> None:
    with httpx.Client(timeout=10) as http:
        http.post(f"{_admin(server)}/faults", json={"count": 1, "delay_ms": 800}, headers=ADMIN)
        resetting = _reset_after(server, 0.2)
        answer = http.post(f"{server.url}/carts/submit", json=mixed_cart, headers=auth(**{"Idempotency-Key": "f-1"}))
        resetting.join()
        body = assert_envelope(answer, 503)
        assert body["error"] == "the mock was reset during this request" and "send it again" in body["details"]
        assert answer.headers["retry-after"] == "1"
        assert http.get(f"{_admin(server)}/orders", headers=ADMIN).json() == []
        assert http.get(f"{_admin(server)}/journal", headers=ADMIN).json() == []
        # Its key was not recorded either: sent again it makes the order.
        again = http.post(f"{server.url}/carts/submit", json=mixed_cart, headers=auth(**{"Idempotency-Key": "f-1"}))
        assert again.status_code == 200 and len(http.get(f"{_admin(server)}/orders", headers=ADMIN).json()) == 1


def test_an_abandoned_delayed_submit_leaves_the_next_tests_orders_journal_and_faults_alone(
    server: LiveServer, mixed_cart: dict[str, Any]
) -> None:
    # As a partner's test does it: the client gives up after 0.3 s, the fixture resets for the next test, which adds
    # its own fault and counts exactly.
    with httpx.Client(timeout=10) as http:
        http.post(f"{_admin(server)}/faults", json={"count": 1, "delay_ms": 1200}, headers=ADMIN)
        with pytest.raises(httpx.TimeoutException):
            httpx.post(f"{server.url}/carts/submit", json=mixed_cart, headers=auth(), timeout=0.3)
        http.post(f"{_admin(server)}/reset", headers=ADMIN)
        http.post(f"{_admin(server)}/faults", json={"count": 5, "status": 503, "operation": "getOrder"}, headers=ADMIN)
        order_id = http.post(f"{server.url}/carts/submit", json=mixed_cart, headers=auth()).json()["supplier_order_id"]
        time.sleep(1.2)  # the abandoned request has woken by now
        assert [o["id"] for o in http.get(f"{_admin(server)}/orders", headers=ADMIN).json()] == [order_id]
        assert [e["status"] for e in http.get(f"{_admin(server)}/journal", headers=ADMIN).json()] == [200]
        assert [f["remaining"] for f in http.get(f"{_admin(server)}/faults", headers=ADMIN).json()] == [5]


def test_a_request_begun_before_a_reset_is_not_recorded_in_a_certification_armed_after_it(
    server: LiveServer, mixed_cart: dict[str, Any]
) -> None:
    with httpx.Client(timeout=10) as http:
        first = http.post(f"{_admin(server)}/certification", json={}, headers=ADMIN).json()
        http.post(f"{_admin(server)}/faults", json={"count": 1, "delay_ms": 800}, headers=ADMIN)
        cart = {**mixed_cart, "items": [{**mixed_cart["items"][0], "sku": first["mapped_skus"][0]}]}
        submit = f"{server.url}/carts/submit"
        resetting = threading.Thread(
            target=lambda: httpx.post(submit, json=cart, headers=auth(first["api_key"]), timeout=5)
        )
        resetting.start()
        time.sleep(0.2)
        http.post(f"{_admin(server)}/reset", headers=ADMIN)
        second = http.post(f"{_admin(server)}/certification", json={}, headers=ADMIN).json()
        resetting.join()
        assert http.get(f"{_admin(server)}/certification", headers=ADMIN).json()["entries"] == []
        assert second["orders_seen"] == 0 and http.get(f"{_admin(server)}/orders", headers=ADMIN).json() == []
