"""jafarshop-certify: the graders on hand-made records, and whole runs of real clients (one that follows the guide,
one per rule that breaks only that rule, the guide's own Python example, a Node.js client)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from certify.report import CERTIFIED, FAILED, INCOMPLETE, USAGE, outcome
from certify.rules import FAIL, NOT_EXERCISED, PASS, RULES, grade
from mockserver.admin_client import AdminHTTPError, admin_request
from mockserver.app import create_app
from mockserver.server import background
from tests.helpers import GUIDE_URL, ROOT, guide_block

CERTIFY = [sys.executable, "-m", "certify"]
CLIENTS = ROOT / "tests" / "certify_clients"
PYTHON_CLIENT = [sys.executable, str(CLIENTS / "guide_client.py")]
BREAKS = [rule.id for rule in RULES if rule.id != "https-production"]
Record = dict[str, Any]


# --- the graders, on hand-made records -------------------------------------------------------------------------------


def submit(seq: int, t: float, pid: str, key: str | None = "k1", status: int = 200, **extra: Any) -> dict[str, Any]:
    entry = {"seq": seq, "t": t, "t_answer": t + 0.001, "method": "POST", "path": "/v1/carts/submit",
             "operation": "submitCart", "auth": "ok", "key_in_url": False, "content_type": "application/json",
             "idempotency_key": key, "partner_order_id": pid, "body_hash": "h-" + pid, "body_errors": [],
             "status": status, "answered": True}  # fmt: skip
    if status == 200:
        entry.update(supplier_order_id=f"id-{pid}", order_status="PENDING_CONFIRMATION")
    return {**entry, **extra}


def read(seq: int, t: float, order_id: str, status: str, **extra: Any) -> dict[str, Any]:
    return {"seq": seq, "t": t, "t_answer": t + 0.001, "method": "GET", "path": f"/v1/orders/{order_id}",
            "operation": "getOrder", "auth": "ok", "key_in_url": False, "order_id": order_id, "status": 200,
            "order_status": status, "answered": True, **extra}  # fmt: skip


def verdicts(entries: list[dict[str, Any]], scale: float = 60.0, elapsed: float = 100.0) -> dict[str, str]:
    return {g.rule.id: g.verdict.verdict for g in grade({"time_scale": scale, "elapsed": elapsed, "entries": entries})}


def test_nothing_sent_exercises_nothing_and_is_not_certified() -> None:
    graded = grade({"time_scale": 60, "elapsed": 60, "entries": []})
    assert {g.verdict.verdict for g in graded} == {NOT_EXERCISED}
    assert outcome(graded).code == INCOMPLETE


@pytest.mark.parametrize(
    ("waits", "verdict"),
    [
        ((1.0, 2.0, 4.0), PASS),  # the guide's waits, in guide seconds
        ((1.0, 2.0, 3.0), FAIL),  # the third retry too soon
        ((0.0, 0.0, 0.0), FAIL),  # no backoff at all
        ((0.95, 1.9, 3.8), PASS),  # within the 10% allowed for timers
    ],
)
def test_retry_backoff_is_measured_from_the_failed_answer(waits: tuple[float, ...], verdict: str) -> None:
    entries, t = [], 0.0
    for seq, wait in enumerate(waits, start=1):
        entries.append(submit(seq, t, "P1", status=500))
        t += 0.001 + wait / 60
    entries.append(submit(len(waits) + 1, t + 0.0001, "P1"))
    result = verdicts(entries)
    assert result["retry-backoff"] == verdict
    assert result["retry-transient"] == PASS and result["retry-max"] == PASS


@pytest.mark.parametrize(("attempts", "verdict"), [(4, PASS), (5, FAIL)])
def test_at_most_three_retries(attempts: int, verdict: str) -> None:
    entries = [submit(n, n * 0.2, "P1", status=500) for n in range(1, attempts + 1)]
    assert verdicts(entries)["retry-max"] == verdict


def test_a_retry_with_a_new_key_or_payload_fails_the_must_rule() -> None:
    assert verdicts([submit(1, 0, "P1", status=503), submit(2, 0.1, "P1", key="k2")])["idempotency-retry-same"] == FAIL
    changed = submit(2, 0.1, "P1", body_hash="other")
    assert verdicts([submit(1, 0, "P1", status=503), changed])["idempotency-retry-same"] == FAIL
    assert verdicts([submit(1, 0, "P1", status=503), submit(2, 0.1, "P1")])["idempotency-retry-same"] == PASS


def test_an_order_submitted_again_after_its_200_with_a_new_key_is_a_duplicate() -> None:
    duplicate = submit(2, 5, "P1", key="k2", supplier_order_id="id-P1-again")
    assert verdicts([submit(1, 0, "P1"), duplicate])["idempotency-retry-same"] == FAIL
    assert verdicts([submit(1, 0, "P1"), submit(2, 5, "P1")])["idempotency-retry-same"] != FAIL  # a replay


def test_one_key_for_two_orders_fails_and_one_order_does_not_exercise_it() -> None:
    assert verdicts([submit(1, 0, "P1"), submit(2, 1, "P2")])["idempotency-key-unique"] == FAIL
    assert verdicts([submit(1, 0, "P1"), submit(2, 1, "P2", key="k2")])["idempotency-key-unique"] == PASS
    assert verdicts([submit(1, 0, "P1")])["idempotency-key-unique"] == NOT_EXERCISED


@pytest.mark.parametrize(
    ("gap_minutes", "seen", "verdict"),
    [(5.0, "PENDING_CONFIRMATION", PASS), (1.0, "PENDING_CONFIRMATION", FAIL), (15.0, "CONFIRMED", PASS),
     (10.0, "CONFIRMED", FAIL), (60.0, "SHIPPED", FAIL)],
)  # fmt: skip
def test_poll_cadence_follows_the_status_last_seen(gap_minutes: float, seen: str, verdict: str) -> None:
    first = 5.5 / 60 * 60  # the first read 5.5 guide minutes after the submit
    entries = [submit(1, 0, "P1"), read(2, first, "id-P1", seen), read(3, first + gap_minutes, "id-P1", seen)]
    assert verdicts(entries)["poll-cadence"] == verdict


def test_reading_a_rejected_order_again_fails_and_an_unknown_id_fails() -> None:
    entries = [submit(1, 0, "P1"), read(2, 6, "id-P1", "REJECTED"), read(3, 12, "id-P1", "REJECTED")]
    result = verdicts(entries)
    assert result["poll-stop-terminal"] == FAIL and result["poll-cadence"] == PASS
    assert verdicts([submit(1, 0, "P1"), read(2, 6, "id-other", "PENDING_CONFIRMATION")])["poll-returned-id"] == FAIL


def test_a_204_resubmitted_fails_and_a_422_resent_unchanged_fails() -> None:
    assert verdicts([submit(1, 0, "P1", status=204), submit(2, 1, "P1")])["no-content-handled"] == FAIL
    assert verdicts([submit(1, 0, "P1", status=422), submit(2, 1, "P1")])["no-retry-client-errors"] == FAIL
    fixed = submit(2, 1, "P1", body_hash="fixed")
    assert verdicts([submit(1, 0, "P1", status=422), fixed])["no-retry-client-errors"] == PASS


def test_requests_are_checked_for_bearer_content_type_body_and_key_in_url() -> None:
    result = verdicts([submit(1, 0, "P1", auth="malformed", content_type="text/plain", body_errors=["bad"],
                              key_in_url=True)])  # fmt: skip
    assert [result[rule] for rule in ("auth-bearer", "content-type-json", "body-valid", "key-not-in-url")] == [FAIL] * 4


def test_a_failed_should_rule_fails_unless_lenient() -> None:
    graded = grade(
        {"time_scale": 60, "elapsed": 100, "entries": [submit(1, 0, "P1", status=500), submit(2, 0.001, "P1")]}
    )
    assert next(g for g in graded if g.rule.id == "retry-backoff").verdict.verdict == FAIL
    assert outcome(graded).code == FAILED
    assert outcome(graded, lenient=True).code == INCOMPLETE  # MUST rules such as idempotency-key-unique not exercised


# --- the command line --------------------------------------------------------------------------------------------


def certify(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CERTIFY, *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                          env={**os.environ, **(env or {})})  # fmt: skip


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ([], "no client command"),
        (["--time-scale", "0", "--", "true"], "--time-scale 0"),
        (["--scenario", "ok,teapot", "--", "true"], "unknown condition(s) teapot"),
        (["report"], "--attach URL"),
        (["report", "--attach", "http://127.0.0.1:9"], "cannot reach it"),
        (["--", "/no/such/client"], "cannot start"),
    ],
)
def test_a_wrong_setting_is_one_line_and_exit_2(args: list[str], named: str) -> None:
    result = certify(*args)
    assert result.returncode == USAGE, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("jafarshop-certify:")]
    assert any(named in line for line in errors), result.stderr
    assert "Traceback" not in result.stderr


def test_attach_arms_a_running_mock_and_report_grades_it(tmp_path: Path) -> None:
    """A partner drives a running mock by hand (here: the sample client, given the printed settings), then grades."""
    with background(create_app()) as base:
        armed = certify("--attach", base, "--time-scale", "3600", "--scenario", "ok")
        assert armed.returncode == CERTIFIED, armed.stderr
        settings = dict(line.removeprefix("export ").split("=", 1) for line in armed.stdout.splitlines()
                        if line.startswith("export "))  # fmt: skip
        assert settings["JAFARSHOP_BASE_URL"] == f"{base}/v1" and settings["JAFARSHOP_TIME_SCALE"] == "3600"
        ran = subprocess.run(PYTHON_CLIENT, env={**os.environ, **settings, "JAFARSHOP_CERTIFY_ORDERS": "2"},
                             capture_output=True, text=True, timeout=60)  # fmt: skip
        assert ran.returncode == 0, ran.stdout + ran.stderr
        graded = certify("report", "--attach", base, "--reports", str(tmp_path))
    assert graded.returncode == INCOMPLETE, graded.stdout  # nothing failed; no retry was ever needed
    rules = {rule["id"]: rule for rule in json.loads((tmp_path / "certification.json").read_text())["rules"]}
    assert rules["idempotency-key-unique"]["verdict"] == PASS
    assert rules["idempotency-retry-same"]["verdict"] == NOT_EXERCISED
    assert rules["idempotency-retry-same"]["to_exercise"]
    assert rules["key-not-logged"]["verdict"] == NOT_EXERCISED  # report mode never saw the client's output
    assert (tmp_path / "certification-junit.xml").read_text().count("<testcase") == len(RULES)


# --- whole runs, in parallel: about 30 s each at the default time scale --------------------------------------------


def guide_python_example(directory: Path) -> list[str]:
    """The guide's Python example as printed, but for the base URL, which it takes from the environment."""
    block = guide_block("### Python", "python")
    script = directory / "guide_example.py"
    script.write_text(block.replace(f"'{GUIDE_URL}'", "os.environ['JAFARSHOP_BASE_URL']"), encoding="utf-8")
    return [sys.executable, str(script)]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, dict[str, Any], str]]:
    """Every certification this module checks, run at once: name -> (exit code, certification.json, output)."""
    base = tmp_path_factory.mktemp("certify")
    clients: dict[str, list[str]] = {"guide-client": PYTHON_CLIENT, "guide-example": guide_python_example(base)}
    clients |= {f"breaks-{rule}": [*PYTHON_CLIENT, "--break", rule] for rule in BREAKS}
    if shutil.which("node"):
        clients["node-client"] = ["node", str(CLIENTS / "guide_client.mjs")]

    def one(name: str) -> tuple[int, dict[str, Any], str]:
        reports = base / name
        result = certify("--reports", str(reports), "--quiet", "--time-limit", "45", "--", *clients[name], timeout=120)
        scorecard = json.loads((reports / "certification.json").read_text()) if result.returncode != USAGE else {}
        return result.returncode, scorecard, result.stdout + result.stderr

    with ThreadPoolExecutor(max_workers=6) as pool:
        return dict(zip(clients, pool.map(one, clients), strict=True))


def failed(scorecard: dict[str, Any]) -> list[str]:
    return [rule["id"] for rule in scorecard["rules"] if rule["verdict"] == FAIL]


@pytest.mark.slow
@pytest.mark.parametrize("client", ["guide-client", "node-client"])
def test_a_client_that_follows_the_guide_is_certified(runs: dict[str, Any], client: str) -> None:
    if client not in runs:
        pytest.skip("node not found: install Node.js 18+ (or run: bash scripts/install-client-runtimes)")
    code, scorecard, output = runs[client]
    assert code == CERTIFIED, output
    verdicts = {rule["id"]: rule["verdict"] for rule in scorecard["rules"]}
    assert verdicts.pop("https-production") == NOT_EXERCISED
    assert set(verdicts.values()) == {PASS}, output
    assert "Traceback" not in output


@pytest.mark.slow
@pytest.mark.parametrize("rule", BREAKS)
def test_a_client_that_breaks_one_rule_fails_exactly_that_rule(runs: dict[str, Any], rule: str) -> None:
    code, scorecard, output = runs[f"breaks-{rule}"]
    assert failed(scorecard) == [rule], output
    assert code == FAILED, output


@pytest.mark.slow
def test_the_guides_own_python_example_is_graded_honestly(runs: dict[str, Any]) -> None:
    """It submits one order with a fresh key and never retries nor polls: nothing fails, most is not exercised."""
    code, scorecard, output = runs["guide-example"]
    verdicts = {rule["id"]: rule["verdict"] for rule in scorecard["rules"]}
    assert code == INCOMPLETE, output
    assert failed(scorecard) == [], output
    assert verdicts["idempotency-key-present"] == PASS and verdicts["auth-bearer"] == PASS
    assert verdicts["idempotency-key-unique"] == NOT_EXERCISED and verdicts["poll-cadence"] == NOT_EXERCISED


# --- the admin operations behind it ------------------------------------------------------------------------------


def admin_call(base: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """(status, JSON answer) of an admin call, errors included."""
    try:
        return 200, admin_request(base, "demo-admin-token", method, path, body)
    except AdminHTTPError as error:
        return error.status, json.loads(error.text or "null")


def test_certification_admin_operations_never_take_a_partners_key_nor_show_one() -> None:
    with background(create_app()) as base:
        assert admin_call(base, "GET", "/__admin/certification")[0] == 404
        code, taken = admin_call(base, "POST", "/__admin/certification", {"partner_id": "partner-a"})
        assert code == 409 and set(taken) == {"error", "details"}
        code, _ = admin_call(base, "POST", "/__admin/certification", {"scenario": ["teapot"]})
        assert code == 422
        code, armed = admin_call(base, "POST", "/__admin/certification", {"time_scale": 120, "scenario": ["503-once"]})
        assert code == 200 and armed["api_key"] and armed["time_scale"] == 120
        again = admin_call(base, "POST", "/__admin/certification", {})[1]  # a new run re-keys its own partner
        assert again["api_key"] != armed["api_key"]
        code, record = admin_call(base, "GET", "/__admin/certification")
        assert code == 200 and record["entries"] == [] and again["api_key"] not in json.dumps(record)
        assert admin_call(base, "DELETE", "/__admin/certification") == (200, None)
        assert admin_call(base, "GET", "/__admin/certification")[0] == 404
