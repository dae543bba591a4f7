"""What the console needs from the mock, without a browser: its files served under /__admin/console/ (strict headers,
in the wheel's package data), journal entries with their bodies (never a key), orders with their allowed steps, the
live scorecard, and the console's URL in the banner. The page itself is driven in tests/test_console.py."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.testclient import TestClient

from graders.timeline import KEY_COLOUR
from mockserver.console import console_files
from mockserver.model.domain import TRANSITIONS, Status
from tests.helpers import ADMIN, KEY_A, KEY_B, SUBMIT, auth, new_order, spawn_mock

# --- the page's files ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "kind"),
    [("/__admin/console/", "text/html"), ("/__admin/console/app.js", "text/javascript"),
     ("/__admin/console/style.css", "text/css")],
)  # fmt: skip
def test_the_console_files_are_served_with_a_strict_policy(client: TestClient, path: str, kind: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith(kind)
    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_the_page_loads_nothing_from_elsewhere_and_holds_no_inline_script() -> None:
    files = console_files()
    assert set(files) == {"index.html", "style.css", "app.js", "api.js", "journal.js", "views.js"}
    html = files["index.html"].decode()
    assert re.findall(r'(?:src|href)="([^"]+)"', html) == ["style.css", "app.js"]
    assert not re.search(r"<script>|<style|\son[a-z]+=", html)
    scripts = "".join(files[name].decode() for name in files if name.endswith(".js"))
    assert "http://" not in scripts and "https://" not in scripts
    imported = set(re.findall(r'from "\./([a-z]+\.js)"', scripts))
    assert imported == {"api.js", "journal.js", "views.js"}  # every module the page imports is shipped


def test_the_pages_new_key_legend_has_the_timelines_colour() -> None:
    """The certification view's legend names the timelines' "new key" marker in its colour: two copies, tied here."""
    files = console_files()
    assert re.search(r"\.new-key-legend \{[^}]*color: " + KEY_COLOUR, files["style.css"].decode())
    assert 'class="new-key-legend"' in files["index.html"].decode()


def test_console_paths_without_a_file_or_a_slash(client: TestClient) -> None:
    moved = client.get("/__admin/console", follow_redirects=False)
    assert moved.status_code == 308 and moved.headers["location"] == "/__admin/console/"
    assert client.get("/__admin/console/secrets.txt").status_code == 404
    refused = client.post("/__admin/console/")
    assert refused.status_code == 405 and refused.headers["allow"] == "GET, HEAD"
    assert client.head("/__admin/console/").content == b""


def test_the_banner_prints_the_console_url() -> None:
    with spawn_mock() as mock:
        assert f"console http://127.0.0.1:{mock.port}/__admin/console/" in mock.banner


# --- the journal's bodies, filters and numbers ---------------------------------------------------------------------


def test_journal_entries_carry_the_bodies_and_never_the_key(client: TestClient, mixed_cart: dict[str, Any]) -> None:
    quoting = dict(mixed_cart, partner_order_id=f"quote {KEY_A} here")
    order_id = new_order(client, quoting)
    client.get(f"/v1/orders/{order_id}", headers=auth(KEY_A))  # the answer quotes the key back
    client.post(SUBMIT, json=dict(mixed_cart, items=[]), headers=auth(KEY_B))
    client.get("/v1/orders/unknown", headers=auth(KEY_B))
    entries = client.get("/__admin/journal", headers=ADMIN).json()
    assert [e["seq"] for e in entries] == [4, 3, 2, 1]
    created, read, refused = entries[3], entries[2], entries[1]
    assert KEY_A not in str(entries)
    assert "[API key removed]" in created["request_body"] and order_id in created["response_body"]
    assert "[API key removed]" in read["response_body"] and read["request_body"] is None
    assert '"items":[]' in refused["request_body"].replace(" ", "")
    assert "must have at least 1 item" in refused["response_body"] and refused["errors"]


def test_journal_filters_by_operation_and_status(client: TestClient, mixed_cart: dict[str, Any]) -> None:
    client.post(SUBMIT, json=mixed_cart, headers=auth())
    client.post(SUBMIT, json=dict(mixed_cart, items=[]), headers=auth())
    client.get("/v1/orders/unknown", headers=auth())
    by_op = client.get("/__admin/journal?operation=getOrder", headers=ADMIN).json()
    assert [(e["operation"], e["status"]) for e in by_op] == [("getOrder", 404)]
    by_status = client.get("/__admin/journal?status=422", headers=ADMIN).json()
    assert [(e["operation"], e["status"]) for e in by_status] == [("submitCart", 422)]
    assert client.get("/__admin/journal?operation=deleteEverything", headers=ADMIN).status_code == 400


def test_a_large_body_is_kept_cut_and_says_so(client: TestClient, mixed_cart: dict[str, Any]) -> None:
    big = dict(mixed_cart, notes="x" * 40_000)
    client.post(SUBMIT, json=big, headers=auth())
    [entry] = client.get("/__admin/journal", headers=ADMIN).json()
    assert len(entry["request_body"]) < 17_000 and "more bytes not kept]" in entry["request_body"]


# --- orders and their steps ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [[], ["confirm"], ["confirm", "ship"], ["confirm", "ship", "deliver"], ["reject"]])
def test_orders_list_the_steps_the_lifecycle_allows(
    client: TestClient, mixed_cart: dict[str, Any], path: list[str]
) -> None:
    order_id = new_order(client, mixed_cart)
    bodies = {"reject": {"rejection_reason": "out of stock"}, "ship": {"carrier": "Aramex", "tracking_number": "1"}}
    for step in path:
        moved = client.post(f"/__admin/orders/{order_id}/{step}", json=bodies.get(step), headers=ADMIN)
        assert moved.status_code == 200, moved.text
    [order] = client.get("/__admin/orders", headers=ADMIN).json()
    allowed = {s.value for s in TRANSITIONS.get(Status(order["status"]), ())}
    assert {a["status"] for a in order["actions"]} == allowed
    for action in order["actions"]:  # each step is a call the admin API takes
        assert action["path"] == f"/orders/{order_id}/{action['path'].rsplit('/', 1)[1]}"
    ship = [a for a in order["actions"] if a["status"] == "SHIPPED"]
    if ship:
        assert ship[0]["fields"] == [{"name": "carrier", "required": True},
                                     {"name": "tracking_number", "required": True},
                                     {"name": "tracking_url", "required": False}]  # fmt: skip


# --- the live scorecard ----------------------------------------------------------------------------------------------


def test_the_scorecard_grades_the_armed_run_and_draws_its_orders(
    client: TestClient, mixed_cart: dict[str, Any]
) -> None:
    assert client.get("/__admin/certification/scorecard", headers=ADMIN).status_code == 404
    assert client.get("/__admin/certification/scorecard").status_code == 401
    armed = client.post("/__admin/certification", json={"scenario": ["503-once"]}, headers=ADMIN).json()
    cart = dict(mixed_cart, partner_order_id="CERT-1")
    for _ in range(2):  # a 503, then the same key at once: too soon for the guide
        client.post(SUBMIT, json=cart, headers=auth(armed["api_key"], **{"Idempotency-Key": "k-1"}))
    card = client.get("/__admin/certification/scorecard", headers=ADMIN).json()
    verdicts = {rule["id"]: rule["verdict"] for rule in card["rules"]}
    assert verdicts["retry-transient"] == "pass" and verdicts["retry-backoff"] == "fail"
    assert card["requests"] == 2 and card["exit_code"] == 1 and card["summary"].startswith("NOT CERTIFIED")
    [timeline] = card["timelines"]
    assert timeline["partner_order_id"] == "CERT-1" and timeline["condition"] == "503-once"
    assert timeline["svg"].count('class="attempt"') == 2 and armed["api_key"] not in str(card)
