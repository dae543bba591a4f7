"""The admin API's faults: the next requests fail, are delayed or dropped, then the mock recovers."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from mockserver import MockState, create_app
from tests.helpers import ADMIN, SUBMIT, LiveServer, assert_envelope, auth, new_order, serve


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
    assert listed == [{"id": 1, "count": 3, "remaining": 3, "delay_ms": 10}]
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


@pytest.mark.parametrize(
    "body",
    [
        {"count": 1, "status": 503, "drop_connection": True},
        {"count": 1, "status": 500, "drop_connection": "after-create"},
        {"count": 1, "drop_connection": "sideways"},
        {"count": 1, "drop_connection": 1},
    ],
)
def test_a_fault_that_is_two_things_at_once_or_no_known_drop_is_a_422(client: TestClient, body: dict[str, Any]) -> None:
    assert_envelope(client.post("/__admin/faults", json=body, headers=ADMIN), 422)
    assert client.get("/__admin/faults", headers=ADMIN).json() == []


def _journal(http: httpx.Client, url: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = http.get(url.replace("/v1", "/__admin/journal"), headers=ADMIN).json()
    return entries


def _orders(http: httpx.Client, url: str) -> list[dict[str, Any]]:
    orders: list[dict[str, Any]] = http.get(url.replace("/v1", "/__admin/orders"), headers=ADMIN).json()
    return orders


@pytest.mark.parametrize("drop", [True, "before-create"])
def test_a_drop_before_create_makes_no_order_and_is_journalled_as_dropped(
    server: LiveServer, mixed_cart: dict[str, Any], drop: Any
) -> None:
    with httpx.Client(timeout=10) as http:
        fault = {"count": 1, "drop_connection": drop}
        http.post(server.url.replace("/v1", "/__admin/faults"), json=fault, headers=ADMIN)
        with pytest.raises(httpx.TransportError):
            http.post(f"{server.url}/carts/submit", json=mixed_cart, headers=auth(**{"Idempotency-Key": "k-1"}))
        assert _orders(http, server.url) == []
        (entry,) = _journal(http, server.url)
        assert entry["outcome"] == "dropped" and entry["dropped"] == "before-create"
        assert entry["answer_bytes"] == 0 and entry["response_body"] is None
        assert "before the request was handled (no order created)" in entry["fault"]
        # Only a retry with the same key can tell: it makes the order now.
        retry = http.post(f"{server.url}/carts/submit", json=mixed_cart, headers=auth(**{"Idempotency-Key": "k-1"}))
        assert retry.status_code == 200 and len(_orders(http, server.url)) == 1


def test_a_drop_after_create_makes_the_order_and_a_retry_with_the_same_key_finds_it(
    server: LiveServer, mixed_cart: dict[str, Any]
) -> None:
    faults = server.url.replace("/v1", "/__admin/faults")
    with httpx.Client(timeout=10) as http:
        fault = {"count": 1, "operation": "submitCart", "drop_connection": "after-create"}
        http.post(faults, json=fault, headers=ADMIN)
        with pytest.raises(httpx.TransportError):
            http.post(f"{server.url}/carts/submit", json=mixed_cart, headers=auth(**{"Idempotency-Key": "k-2"}))
        (order,) = _orders(http, server.url)  # made before the answer was cut
        retry = http.post(f"{server.url}/carts/submit", json=mixed_cart, headers=auth(**{"Idempotency-Key": "k-2"}))
        assert retry.status_code == 200 and retry.json()["supplier_order_id"] == order["id"]
        assert len(_orders(http, server.url)) == 1
        dropped = _journal(http, server.url)[1]
        answer = retry.content
        assert dropped["outcome"] == "dropped" and dropped["dropped"] == "after-create"
        assert dropped["status"] == 200 and dropped["answer_bytes"] == len(answer) // 2
        assert dropped["fault"].endswith(f"after {len(answer) // 2} of {len(answer)} bytes")
        assert order["id"].startswith(dropped["response_body"][len('{"supplier_order_id": "') :])


def test_a_drop_after_create_of_a_read_cuts_the_order_it_read(server: LiveServer, mixed_cart: dict[str, Any]) -> None:
    with httpx.Client(timeout=10) as http:
        order_id = http.post(f"{server.url}/carts/submit", json=mixed_cart, headers=auth()).json()["supplier_order_id"]
        http.post(
            server.url.replace("/v1", "/__admin/faults"),
            json={"count": 1, "operation": "getOrder", "drop_connection": "after-create"},
            headers=ADMIN,
        )
        with pytest.raises(httpx.TransportError):
            http.get(f"{server.url}/orders/{order_id}", headers=auth())
        entry = _journal(http, server.url)[0]
        assert entry["operation"] == "getOrder" and entry["outcome"] == "dropped" and entry["answer_bytes"] > 0


def test_a_client_that_hangs_up_during_a_delay_is_journalled_with_when_and_the_delay(
    server: LiveServer, mixed_cart: dict[str, Any]
) -> None:
    with httpx.Client(timeout=10) as http:
        http.post(server.url.replace("/v1", "/__admin/faults"), json={"count": 1, "delay_ms": 600}, headers=ADMIN)
        with pytest.raises(httpx.TimeoutException):
            httpx.post(f"{server.url}/carts/submit", json=mixed_cart, headers=auth(), timeout=0.2)
        deadline = time.monotonic() + 5
        while not (entries := _journal(http, server.url)) and time.monotonic() < deadline:
            time.sleep(0.05)
        (entry,) = entries
        assert entry["outcome"] == "hung-up" and entry["delay_ms"] == 600
        assert 0.15 <= entry["hung_up_after"] < 0.6, entry
        # A slow server still does the work: the order exists, as the guide's "it may exist or not" warns.
        assert entry["status"] == 200 and len(_orders(http, server.url)) == 1


def test_a_drop_after_create_of_a_body_less_204_sends_it_whole_and_says_so(
    server: LiveServer, unmapped_cart: dict[str, Any]
) -> None:
    with httpx.Client(timeout=10) as http:
        fault = {"count": 1, "drop_connection": "after-create"}
        http.post(server.url.replace("/v1", "/__admin/faults"), json=fault, headers=ADMIN)
        assert http.post(f"{server.url}/carts/submit", json=unmapped_cart, headers=auth()).status_code == 204
        (entry,) = _journal(http, server.url)
        assert entry["outcome"] == "answered" and entry["dropped"] is None
        assert entry["fault"] == "fault 1, not dropped: a 204 has no body to cut, sent whole"
