"""The admin API's faults: the next requests fail, are delayed or dropped, then the mock recovers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from mockserver import MockState, create_app
from tests.helpers import ADMIN, SUBMIT, assert_envelope, auth, new_order, serve


@pytest.mark.parametrize("status", [500, 503])
def test_next_n_requests_fail_then_recover(client: TestClient, mixed_cart: dict[str, Any], status: int) -> None:
    fault = client.post(
        "/__admin/faults", json={"count": 2, "operation": "submitCart", "status": status}, headers=ADMIN
    )
    assert fault.status_code == 201
    answers = [client.post(SUBMIT, json=mixed_cart, headers=auth()) for _ in range(3)]
    assert [a.status_code for a in answers] == [status, status, 200]
    assert_envelope(answers[0], status)
    assert answers[0].headers.get("retry-after") == ("1" if status == 503 else None)
    assert client.get("/__admin/faults", headers=ADMIN).json() == []


def test_a_fault_for_one_operation_leaves_the_other_alone(client: TestClient, mixed_cart: dict[str, Any]) -> None:
    client.post("/__admin/faults", json={"count": 1, "operation": "getOrder", "status": 503}, headers=ADMIN)
    order_id = new_order(client, mixed_cart)  # submit is not affected
    assert client.get(f"/v1/orders/{order_id}", headers=auth()).status_code == 503
    assert client.get(f"/v1/orders/{order_id}", headers=auth()).status_code == 200


def test_faults_are_visible_and_clearable(client: TestClient) -> None:
    client.post("/__admin/faults", json={"count": 3, "delay_ms": 10}, headers=ADMIN)
    listed = client.get("/__admin/faults", headers=ADMIN).json()
    assert listed == [{"id": 1, "count": 3, "remaining": 3, "delay_ms": 10, "drop_connection": False}]
    assert client.delete("/__admin/faults", headers=ADMIN).status_code == 204
    assert client.get("/__admin/faults", headers=ADMIN).json() == []


def test_delay_and_dropped_connection_on_a_real_socket(state: MockState, mixed_cart: dict[str, Any]) -> None:
    with serve(create_app(state)) as url, httpx.Client(timeout=10) as http:
        admin = url.replace("/v1", "/__admin")
        http.post(f"{admin}/faults", json={"count": 1, "delay_ms": 300}, headers=ADMIN)
        delayed = http.post(f"{url}/carts/submit", json=mixed_cart, headers=auth())
        assert delayed.status_code == 200 and delayed.elapsed >= timedelta(milliseconds=300)
        http.post(f"{admin}/faults", json={"count": 1, "drop_connection": True}, headers=ADMIN)
        with pytest.raises(httpx.TransportError):
            http.post(f"{url}/carts/submit", json=mixed_cart, headers=auth())
        assert http.post(f"{url}/carts/submit", json=mixed_cart, headers=auth()).status_code == 200
