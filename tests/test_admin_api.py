"""The admin API: lifecycle by hand and on a timer, runtime data, faults, the journal, reset, its own token, and
the token-free readiness check."""

from __future__ import annotations

import importlib.metadata
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import yaml
from starlette.testclient import TestClient

from mockserver import MockState, create_app
from mockserver.domain import TRANSITIONS, Status
from mockserver.fixtures import Fixtures
from mockserver.handlers.admin import kit_version
from tests.conftest import KEY_A, KEY_B, ROOT, auth, serve
from tests.test_submit_api import SUBMIT, assert_envelope

ADMIN = {"Authorization": "Bearer demo-admin-token"}
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


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def new_order(client: TestClient, cart: dict[str, Any], key: str = KEY_A) -> str:
    response = client.post(SUBMIT, json=cart, headers=auth(key))
    assert response.status_code == 200
    order_id: str = response.json()["supplier_order_id"]
    return order_id


def act(client: TestClient, order_id: str, status: Status) -> Any:
    action, body = ACTIONS[status]
    return client.post(f"/__admin/orders/{order_id}/{action}", json=body, headers=ADMIN)


def read(client: TestClient, order_id: str, key: str = KEY_A) -> dict[str, Any]:
    response = client.get(f"/v1/orders/{order_id}", headers=auth(key))
    assert response.status_code == 200, response.text
    order: dict[str, Any] = response.json()
    return order


# --- lifecycle --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("start", list(Status))
@pytest.mark.parametrize("target", [s for s in Status if s is not Status.PENDING_CONFIRMATION])
def test_every_transition_is_applied_or_refused_exactly_as_the_guide_says(
    client: TestClient, mixed_cart: dict[str, Any], start: Status, target: Status
) -> None:
    order_id = new_order(client, mixed_cart)
    for step in PATHS[start]:
        assert act(client, order_id, step).status_code == 200
    before = read(client, order_id)
    response = act(client, order_id, target)
    after = read(client, order_id)
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
    assert read(client, rejected)["rejection_reason"] == "out of stock"
    shipped = new_order(client, mixed_cart)
    act(client, shipped, Status.CONFIRMED)
    act(client, shipped, Status.SHIPPED)
    tracking = read(client, shipped)["tracking"]
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
def clock() -> FakeClock:
    return FakeClock()


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
        seen.append(read(timed_client, order_id)["status"])
        clock.advance(4)
    assert seen == ["PENDING_CONFIRMATION", "PENDING_CONFIRMATION", "CONFIRMED", "SHIPPED"]
    order = read(timed_client, order_id)
    assert order["tracking"]["carrier"] and order["updated_at"] > order["created_at"]


def test_auto_advance_can_reject(timed_client: TestClient, clock: FakeClock, mixed_cart: dict[str, Any]) -> None:
    timed_client.put(
        "/__admin/auto-advance", json={"steps": [{"status": "REJECTED", "after_seconds": 1}]}, headers=ADMIN
    )
    order_id = new_order(timed_client, mixed_cart)
    clock.advance(2)
    order = read(timed_client, order_id)
    assert order["status"] == "REJECTED" and order["rejection_reason"]


def test_a_manual_step_ends_the_automatic_path(
    timed_client: TestClient, clock: FakeClock, mixed_cart: dict[str, Any]
) -> None:
    steps = [{"status": "CONFIRMED", "after_seconds": 5}, {"status": "SHIPPED", "after_seconds": 10}]
    timed_client.put("/__admin/auto-advance", json={"steps": steps}, headers=ADMIN)
    order_id = new_order(timed_client, mixed_cart)
    act(timed_client, order_id, Status.CANCELLED)
    clock.advance(20)
    assert read(timed_client, order_id)["status"] == "CANCELLED"


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


# --- runtime data -----------------------------------------------------------------------------------------------


def test_sku_mappings_change_at_run_time(client: TestClient, mixed_cart: dict[str, Any]) -> None:
    assert client.delete("/__admin/skus/JDTQ1834", headers=ADMIN).status_code == 204
    assert client.post(SUBMIT, json=mixed_cart, headers=auth()).status_code == 204  # nothing mapped any more
    assert client.put("/__admin/skus/YOUR-SKU-123", json={"shopify_variant_id": 77}, headers=ADMIN).status_code == 200
    order = read(client, new_order(client, mixed_cart))
    assert [(i["sku"], i["is_supplier_item"]) for i in order["items"]] == [("JDTQ1834", False), ("YOUR-SKU-123", True)]
    skus = {m["sku"] for m in client.get("/__admin/skus", headers=ADMIN).json()}
    assert "YOUR-SKU-123" in skus and "JDTQ1834" not in skus
    assert_envelope(client.delete("/__admin/skus/JDTQ1834", headers=ADMIN), 404)


def test_rotated_key_replaces_the_old_one(client: TestClient, mixed_cart: dict[str, Any]) -> None:
    order_id = new_order(client, mixed_cart)
    rotated = client.post("/__admin/partners/partner-a/rotate-key", headers=ADMIN)
    assert rotated.status_code == 200
    new_key = rotated.json()["api_key"]
    assert_envelope(client.get(f"/v1/orders/{order_id}", headers=auth(KEY_A)), 401)
    assert read(client, order_id, new_key)["id"] == order_id
    chosen = client.post("/__admin/partners/partner-a/rotate-key", json={"api_key": "chosen-key-1"}, headers=ADMIN)
    assert chosen.json()["api_key"] == "chosen-key-1"
    assert_envelope(client.post("/__admin/partners/nobody/rotate-key", headers=ADMIN), 404)
    assert_envelope(client.post("/__admin/partners/partner-b/rotate-key", json={"api_key": "chosen-key-1"},
                                headers=ADMIN), 409)  # fmt: skip


def test_added_partner_can_use_the_api_and_keys_are_never_listed(
    client: TestClient, mixed_cart: dict[str, Any]
) -> None:
    created = client.post("/__admin/partners", json={"id": "partner-c", "name": "C"}, headers=ADMIN)
    assert created.status_code == 201
    key = created.json()["api_key"]
    assert read(client, new_order(client, mixed_cart, key), key)
    listing = client.get("/__admin/partners", headers=ADMIN).text
    assert "partner-c" in listing and key not in listing and KEY_A not in listing
    assert_envelope(client.post("/__admin/partners", json={"id": "partner-c", "name": "C"}, headers=ADMIN), 409)


def test_reset_returns_to_the_fixtures(client: TestClient, mixed_cart: dict[str, Any]) -> None:
    order_id = new_order(client, mixed_cart)
    client.delete("/__admin/skus/JDTQ1834", headers=ADMIN)
    client.post("/__admin/faults", json={"count": 5}, headers=ADMIN)
    client.put("/__admin/auto-advance", json={"steps": [{"status": "CONFIRMED", "after_seconds": 1}]}, headers=ADMIN)
    assert client.post("/__admin/reset", headers=ADMIN).status_code == 204
    assert client.get("/__admin/orders", headers=ADMIN).json() == []
    assert client.get("/__admin/faults", headers=ADMIN).json() == []
    assert client.get("/__admin/journal", headers=ADMIN).json() == []
    assert client.get("/__admin/auto-advance", headers=ADMIN).json() == {"steps": []}
    assert_envelope(client.get(f"/v1/orders/{order_id}", headers=auth()), 404)
    assert new_order(client, mixed_cart)  # JDTQ1834 is mapped again


# --- faults -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 503])
def test_next_n_requests_fail_then_recover(client: TestClient, mixed_cart: dict[str, Any], status: int) -> None:
    fault = client.post(
        "/__admin/faults", json={"count": 2, "operation": "submitCart", "status": status}, headers=ADMIN
    )
    assert fault.status_code == 201
    answers = [client.post(SUBMIT, json=mixed_cart, headers=auth()) for _ in range(3)]
    assert [a.status_code for a in answers] == [status, status, 200]
    assert_envelope(answers[0], status)
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


# --- journal ----------------------------------------------------------------------------------------------------


def test_journal_records_partner_requests_without_keys(client: TestClient, mixed_cart: dict[str, Any]) -> None:
    client.post(SUBMIT, json=mixed_cart, headers=auth(KEY_A, **{"Idempotency-Key": "journal-key"}))
    broken = dict(mixed_cart, items=[])
    client.post(SUBMIT, json=broken, headers=auth(KEY_B))
    client.post(SUBMIT, json=mixed_cart, headers={"Authorization": "Bearer wrong-key-123"})
    entries = client.get("/__admin/journal", headers=ADMIN).json()
    assert [(e["partner_id"], e["status"]) for e in entries] == [(None, 401), ("partner-b", 422), ("partner-a", 200)]
    assert entries[2]["idempotency_key"] == "journal-key" and entries[2]["operation"] == "submitCart"
    assert "items: must have at least 1 item" in entries[1]["errors"]
    text = json.dumps(entries)
    assert KEY_A not in text and KEY_B not in text and "wrong-key-123" not in text
    only_b = client.get("/__admin/journal?partner_id=partner-b", headers=ADMIN).json()
    assert [e["status"] for e in only_b] == [422]
    assert client.get("/__admin/journal?limit=1", headers=ADMIN).json() == entries[:1]
    assert client.delete("/__admin/journal", headers=ADMIN).status_code == 204
    assert client.get("/__admin/journal", headers=ADMIN).json() == []


def test_journal_is_bounded(default_fixtures: Fixtures, mixed_cart: dict[str, Any]) -> None:
    with create_app(MockState(default_fixtures, journal_size=3)).test_client() as client:
        for _ in range(5):
            client.get("/v1/orders/unknown", headers=auth())
        assert len(client.get("/__admin/journal", headers=ADMIN).json()) == 3


def test_journal_marks_injected_faults(client: TestClient) -> None:
    client.post("/__admin/faults", json={"count": 1, "status": 503}, headers=ADMIN)
    client.get("/v1/orders/x", headers=auth())
    assert client.get("/__admin/journal", headers=ADMIN).json()[0]["fault"] == "fault 1, status 503"


class CountingState(MockState):
    """Counts the work the fault and journal layers do, to show that unused they do none."""

    takes = 0
    authentications = 0

    def reset(self) -> None:
        super().reset()
        original_take, original_auth = self.faults.take, self.partners.authenticate

        def take(operation: str | None) -> Any:
            CountingState.takes += 1
            return original_take(operation)

        def authenticate(api_key: str) -> str | None:
            CountingState.authentications += 1
            return original_auth(api_key)

        self.faults.take = take  # type: ignore[method-assign]
        self.partners.authenticate = authenticate  # type: ignore[method-assign]


def test_faults_and_journal_cost_nothing_when_unused(default_fixtures: Fixtures, mixed_cart: dict[str, Any]) -> None:
    CountingState.takes = CountingState.authentications = 0
    with create_app(CountingState(default_fixtures, journal_size=0)).test_client() as client:
        for _ in range(10):
            client.post(SUBMIT, json=mixed_cart, headers=auth())
    assert CountingState.takes == 0  # no fault: the fault layer never looked one up
    assert CountingState.authentications == 10  # only the security check: the journal did not resolve the key


def test_the_journal_reuses_the_partner_the_fast_path_authenticated(
    default_fixtures: Fixtures, mixed_cart: dict[str, Any]
) -> None:
    CountingState.authentications = 0
    state = CountingState(default_fixtures)
    with create_app(state).test_client() as client:
        for _ in range(10):
            client.post(SUBMIT, json=mixed_cart, headers=auth())
    assert CountingState.authentications == 10  # one SHA-256 of the key per request, not two
    assert [entry["partner_id"] for entry in state.journal.query()] == ["partner-a"] * 10


# --- the admin token --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, auth(KEY_A), {"Authorization": "Bearer nope-nope-nope"}])
def test_admin_api_needs_the_admin_token(client: TestClient, headers: dict[str, str]) -> None:
    assert_envelope(client.get("/__admin/orders", headers=headers), 401)
    assert_envelope(client.post("/__admin/reset", headers=headers), 401)


def test_admin_token_is_not_a_partner_key(client: TestClient) -> None:
    assert_envelope(client.get("/v1/orders/x", headers=ADMIN), 401)


def test_admin_token_can_be_overridden(default_fixtures: Fixtures) -> None:
    with create_app(MockState(default_fixtures, admin_token="my-own-token")).test_client() as client:
        assert client.get("/__admin/orders", headers=ADMIN).status_code == 401
        assert client.get("/__admin/orders", headers={"Authorization": "Bearer my-own-token"}).status_code == 200


# --- readiness --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, ADMIN, auth(KEY_A), {"Authorization": "Bearer nope-nope-nope"}],
    ids=["no-token", "admin-token", "partner-key", "wrong-token"],
)
def test_health_needs_no_token(client: TestClient, headers: dict[str, str]) -> None:
    response = client.get("/__admin/health", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"status": "ok", "version": importlib.metadata.version("jafarshop-contract-kit")}


def test_health_version_is_unknown_when_the_kit_is_not_installed(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def not_installed(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    kit_version.cache_clear()
    try:
        assert client.get("/__admin/health").json() == {"status": "ok", "version": "unknown"}
    finally:
        kit_version.cache_clear()


def test_health_is_the_only_admin_operation_without_a_token() -> None:
    spec = yaml.safe_load((ROOT / "openapi" / "admin-api.yaml").read_text())
    open_operations = [
        operation["operationId"]
        for path in spec["paths"].values()
        for operation in path.values()
        if operation.get("security", spec["security"]) == []
    ]
    assert open_operations == ["getHealth"]


def test_health_is_not_journaled_nor_faulted(client: TestClient, state: MockState, mixed_cart: dict[str, Any]) -> None:
    assert client.post("/__admin/faults", json={"count": 5, "status": 503}, headers=ADMIN).status_code == 201
    for _ in range(3):
        assert client.get("/__admin/health").status_code == 200
    assert client.post(SUBMIT, json=mixed_cart, headers=auth()).status_code == 503  # the fault is still there
    journal = client.get("/__admin/journal", headers=ADMIN).json()
    assert [entry["path"] for entry in journal] == [SUBMIT]
    assert state.journal.enabled
