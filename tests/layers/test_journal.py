"""The admin API's journal of partner requests: what it records (never a key), its bound, and that, like the
faults, it costs nothing when unused."""

from __future__ import annotations

import json
from typing import Any

from starlette.testclient import TestClient

from mockserver import MockState, create_app
from mockserver.model.fixtures import Fixtures
from tests.helpers import ADMIN, KEY_A, KEY_B, SUBMIT, auth


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


def test_journal_entries_name_their_partner_order(client: TestClient, mixed_cart: dict[str, Any]) -> None:
    """The cart's partner_order_id on a submit (also a refused one), the order's on a read, none on a 404; and the
    journal filters by it and by the Idempotency-Key, so a client's retries can be read together."""
    cart = dict(mixed_cart, partner_order_id="JOURNAL-P1")
    created = client.post(SUBMIT, json=cart, headers=auth(KEY_A, **{"Idempotency-Key": "k-j1"})).json()
    client.post(SUBMIT, json=dict(cart, items=[]), headers=auth(KEY_A, **{"Idempotency-Key": "k-j2"}))
    client.get(f"/v1/orders/{created['supplier_order_id']}", headers=auth(KEY_A))
    client.get("/v1/orders/unknown", headers=auth(KEY_A))
    client.post(SUBMIT, content=b'{"partner_order_id": ', headers=auth(KEY_A, **{"Content-Type": "application/json"}))
    entries = client.get("/__admin/journal", headers=ADMIN).json()
    assert [e["partner_order_id"] for e in entries] == [None, None, "JOURNAL-P1", "JOURNAL-P1", "JOURNAL-P1"]
    mine = client.get("/__admin/journal?partner_order_id=JOURNAL-P1", headers=ADMIN).json()
    assert [(e["operation"], e["status"]) for e in mine] == [
        ("getOrder", 200),
        ("submitCart", 422),
        ("submitCart", 200),
    ]
    keyed = client.get("/__admin/journal?idempotency_key=k-j2", headers=ADMIN).json()
    assert [(e["idempotency_key"], e["status"]) for e in keyed] == [("k-j2", 422)]
