"""The admin API's runtime data: SKU mappings, partners and their keys, and the reset to the fixtures."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.helpers import ADMIN, KEY_A, SUBMIT, assert_envelope, auth, new_order, read_order


def test_sku_mappings_change_at_run_time(client: TestClient, mixed_cart: dict[str, Any]) -> None:
    assert client.delete("/__admin/skus/JDTQ1834", headers=ADMIN).status_code == 204
    assert client.post(SUBMIT, json=mixed_cart, headers=auth()).status_code == 204  # nothing mapped any more
    assert client.put("/__admin/skus/YOUR-SKU-123", json={"shopify_variant_id": 77}, headers=ADMIN).status_code == 200
    order = read_order(client, new_order(client, mixed_cart))
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
    assert read_order(client, order_id, new_key)["id"] == order_id
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
    assert read_order(client, new_order(client, mixed_cart, key), key)
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
