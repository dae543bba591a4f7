"""mockserver/layers/certification.py through the app: while a run is armed, each request of its partner is recorded
(what it sent, how it authenticated, what it got) and each new order gets its scenario's condition; other partners'
traffic and a mock with no run go through untouched. Whole runs graded by jafarshop-certify are in
tests/test_certify.py; the run's rules (conditions, slots, lifecycle) in mockserver/model/certification.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import create_app
from mockserver.model.certification import Certification, Entry, start_run
from mockserver.model.domain import IdempotencyConflict
from mockserver.model.state import MockState
from tests.helpers import KEY_A, SUBMIT, assert_envelope, auth, raw_post


def arm(state: MockState, *scenario: str, **settings: Any) -> Certification:
    return state.arm_certification(
        lambda partners, catalogue: start_run({"scenario": list(scenario), **settings}, partners, catalogue)
    )


@pytest.fixture
def client(state: MockState) -> Iterator[TestClient]:
    with create_app(state).test_client() as test_client:
        yield test_client


def entries(state: MockState) -> list[Entry]:
    return state.certification_record()["entries"]


def cart(partner_order_id: str, mixed_cart: dict[str, Any]) -> dict[str, Any]:
    return dict(mixed_cart, partner_order_id=partner_order_id)


def test_without_a_run_the_layer_steps_aside(client: TestClient, state: MockState, mixed_cart: dict[str, Any]) -> None:
    response = client.post(SUBMIT, json=mixed_cart, headers=auth())
    assert response.status_code == 200 and response.json()["status"] == "PENDING_CONFIRMATION"
    assert state.certification is None


def test_a_run_records_what_its_partner_sent_and_got(
    client: TestClient, state: MockState, mixed_cart: dict[str, Any]
) -> None:
    run = arm(state, "ok")
    response = client.post(SUBMIT, json=cart("P1", mixed_cart), headers=auth(run.api_key, **{"Idempotency-Key": "k1"}))
    assert response.status_code == 200
    [entry] = entries(state)
    assert entry["seq"] == 1 and entry["t"] <= entry["t_answer"]
    assert {key: entry[key] for key in ("method", "path", "operation", "auth", "key_in_url", "idempotency_key")} == {
        "method": "POST",
        "path": SUBMIT,
        "operation": "submitCart",
        "auth": "ok",
        "key_in_url": False,
        "idempotency_key": "k1",
    }
    assert (entry["partner_order_id"], entry["slot"], entry["condition"], entry["attempt"]) == ("P1", 1, "ok", 1)
    assert (entry["status"], entry["answered"], entry["body_errors"]) == (200, True, [])
    assert entry["supplier_order_id"] == response.json()["supplier_order_id"]
    assert entry["order_status"] == "PENDING_CONFIRMATION"
    assert run.api_key not in json.dumps(entry)  # the key is recognised, never recorded


def test_a_read_records_the_order_id_it_asked_for(client: TestClient, state: MockState) -> None:
    run = arm(state)
    response = client.get(f"/v1/orders/abc?token={run.api_key}", headers=auth(run.api_key))
    assert_envelope(response, 404)
    [entry] = entries(state)
    assert (entry["operation"], entry["order_id"], entry["status"]) == ("getOrder", "abc", 404)
    assert entry["key_in_url"] is True  # a key in the URL is what the grade must see


@pytest.mark.parametrize(
    ("condition", "status", "error"),
    [("503-once", 503, "service unavailable"), ("500-once", 500, "internal server error"),
     ("409-once", 409, IdempotencyConflict.error)],
)  # fmt: skip
def test_a_once_condition_answers_the_first_attempt_in_the_envelope_and_then_the_normal_answer(
    client: TestClient, state: MockState, mixed_cart: dict[str, Any], condition: str, status: int, error: str
) -> None:
    run = arm(state, condition)
    first = client.post(SUBMIT, json=cart("P1", mixed_cart), headers=auth(run.api_key))
    body = assert_envelope(first, status)
    assert body == {"error": error, "details": f"imposed by the certification scenario: {condition}"}
    assert len(state.orders) == 0  # imposed before the app: nothing created
    second = client.post(SUBMIT, json=cart("P1", mixed_cart), headers=auth(run.api_key))
    assert second.status_code == 200
    assert [(e["attempt"], e["imposed"], e["status"]) for e in entries(state)] == [(1, str(status), status),
                                                                                   (2, "normal", 200)]  # fmt: skip


def test_each_new_partner_order_takes_the_next_condition_and_past_the_scenario_is_ok(
    client: TestClient, state: MockState, mixed_cart: dict[str, Any]
) -> None:
    run = arm(state, "422", "204")
    answers = [client.post(SUBMIT, json=cart(pid, mixed_cart), headers=auth(run.api_key)) for pid in ("P1", "P2", "P3")]
    assert [answer.status_code for answer in answers] == [422, 204, 200]
    assert answers[1].content == b"" and "content-type" not in answers[1].headers
    assert [(e["slot"], e["condition"]) for e in entries(state)] == [(1, "422"), (2, "204"), (3, "ok")]
    assert len(state.orders) == 1  # the 204 created nothing


def test_a_slow_answer_comes_late_and_is_recorded_as_answered(
    client: TestClient, state: MockState, mixed_cart: dict[str, Any]
) -> None:
    run = arm(state, "slow", time_scale=60.0, slow_seconds=12.0)  # 0.2 s of real time
    response = client.post(SUBMIT, json=cart("P1", mixed_cart), headers=auth(run.api_key))
    assert response.status_code == 200 and len(state.orders) == 1
    [entry] = entries(state)
    assert entry["imposed"] == "slow" and entry["gave_up_at"] is None and entry["answered"] is True
    assert entry["t_answer"] - entry["t"] >= 0.2


@pytest.mark.parametrize(
    ("content", "problem"),
    [(b"{nope", "the body is not valid JSON"), (b"[]", "the body is not a JSON object")],
)
def test_a_body_that_is_no_cart_is_recorded_with_its_problem_and_gets_no_condition(
    client: TestClient, state: MockState, content: bytes, problem: str
) -> None:
    run = arm(state, "503-once")
    response = raw_post(client, content, **{"Authorization": f"Bearer {run.api_key}"})
    assert response.status_code in (400, 422)
    [entry] = entries(state)
    assert entry["partner_order_id"] is None and entry["body_hash"] is None
    assert entry["body_errors"][0].startswith(problem)
    assert "condition" not in entry and entry["status"] == response.status_code


def test_an_invalid_cart_records_its_schema_errors(
    client: TestClient, state: MockState, mixed_cart: dict[str, Any]
) -> None:
    run = arm(state, "ok")
    mixed_cart["items"][0]["quantity"] = 0
    assert client.post(SUBMIT, json=cart("P1", mixed_cart), headers=auth(run.api_key)).status_code == 422
    [entry] = entries(state)
    assert entry["body_errors"] == ["items[0].quantity: must be >= 1 (got 0)"]  # as the 422 words it
    assert entry["body_hash"] is not None and len(entry["body_hash"]) == 16


@pytest.mark.parametrize(
    ("authorization", "recorded"),
    [(None, "missing"), ("Basic x", "not-bearer"), ("Bearer wrong", "wrong-key")],
)
def test_a_request_without_the_runs_key_is_recorded_and_gets_no_condition(
    client: TestClient, state: MockState, mixed_cart: dict[str, Any], authorization: str | None, recorded: str
) -> None:
    arm(state, "503-once")
    headers = {} if authorization is None else {"Authorization": authorization}
    assert_envelope(client.post(SUBMIT, json=cart("P1", mixed_cart), headers=headers), 401)
    [entry] = entries(state)
    assert entry["auth"] == recorded and "imposed" not in entry


def test_another_partners_traffic_is_neither_recorded_nor_shaped(
    client: TestClient, state: MockState, mixed_cart: dict[str, Any]
) -> None:
    arm(state, "503-once")
    assert client.post(SUBMIT, json=mixed_cart, headers=auth(KEY_A)).status_code == 200
    assert entries(state) == []


def test_the_admin_api_is_never_recorded(client: TestClient, state: MockState) -> None:
    arm(state)
    assert client.get("/__admin/health").status_code == 200
    assert entries(state) == []
