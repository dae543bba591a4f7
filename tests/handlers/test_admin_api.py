"""The admin API as a whole: its own token, and the token-free readiness check. Its resources have modules of their
own: test_admin_orders.py, test_admin_runtime_data.py; the faults and the journal in tests/layers/test_faults.py and
test_journal.py."""

from __future__ import annotations

import importlib.metadata
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from mockserver import MockState, create_app
from mockserver.handlers.admin import kit_version
from mockserver.model.fixtures import Fixtures
from tests.helpers import ADMIN, KEY_A, ROOT, SUBMIT, assert_envelope, auth

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
