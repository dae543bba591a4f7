"""The contract run's verdicts: a setting the target refuses is exit 5, a dead target exit 3, each with one line and a
JUnit report that carries it, never a page of failures; a 5xx in the pre-flight is a violation, not a good setting."""

from __future__ import annotations

import ast
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from contract_tests import coverage
from contract_tests.client import Exchange, shell_word
from contract_tests.coverage import RULES, documented_statuses
from tests.helpers import ADMIN, ADMIN_TOKEN, KEY_A, KEY_B, ROOT, LiveServer, spawn_mock

pytestmark = pytest.mark.live
SETTINGS = {
    "JAFARSHOP_API_KEY": KEY_A,
    "JAFARSHOP_OTHER_API_KEY": KEY_B,
    "JAFARSHOP_MAPPED_SKUS": "JDTQ1834,JDTQ2001",
    "JAFARSHOP_UNMAPPED_SKU": "YOUR-SKU-123",
}


def contract(tmp_path: Path, env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run `python -m contract_tests` from tmp_path (reports land there) with exactly these settings."""
    clean = {name: value for name, value in os.environ.items() if not name.startswith("JAFARSHOP_")}
    return subprocess.run(
        [sys.executable, "-m", "contract_tests", *args],
        env={**clean, "PYTHONPATH": str(ROOT), **env}, cwd=tmp_path, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


@pytest.fixture
def stale_report(tmp_path: Path) -> Iterator[Path]:
    """A JUnit report left by an earlier run, which no later run may let stand as its own."""
    report = tmp_path / "reports" / "contract-junit.xml"
    report.parent.mkdir()
    report.write_text("<testsuites><testsuite name='an earlier run' tests='96'/></testsuites>")
    yield report


def setup_failure(report: Path) -> str:
    """The one failed test case of the JUnit report a run that could not start writes: its message."""
    (case,) = ElementTree.parse(report).iter("testcase")
    failure = case.find("failure")
    assert failure is not None, ElementTree.tostring(case)
    return failure.get("message", "")


@pytest.mark.parametrize(
    ("mistake", "code", "says"),
    [
        ({"JAFARSHOP_BASE_URL": "http://127.0.0.1:1/v1"}, 3, "JAFARSHOP_BASE_URL=http://127.0.0.1:1/v1: nothing"),
        ({"JAFARSHOP_API_KEY": "not-the-key-1234"}, 5, "JAFARSHOP_API_KEY (****1234) is not accepted"),
        ({"JAFARSHOP_OTHER_API_KEY": "not-the-other-9876"}, 5, "JAFARSHOP_OTHER_API_KEY (****9876) is not accepted"),
        ({"JAFARSHOP_ADMIN_TOKEN": "not-the-token-4321"}, 5, "JAFARSHOP_ADMIN_TOKEN (****4321) is not accepted"),
        ({"BASE_WITHOUT_V1": ""}, 5, "no JafarShop API there"),
        ({"JAFARSHOP_MAPPED_SKUS": "NOPE-1,NOPE-2"}, 5, "JAFARSHOP_MAPPED_SKUS: none of NOPE-1, NOPE-2 is mapped"),
        ({"JAFARSHOP_MAPPED_SKUS": "JDTQ1834,NOPE-2"}, 5, "JAFARSHOP_MAPPED_SKUS: NOPE-2: not mapped on the target"),
        ({"JAFARSHOP_UNMAPPED_SKU": "JDTQ2002"}, 5, "JAFARSHOP_UNMAPPED_SKU=JDTQ2002 is mapped on the target"),
    ],
    ids=["nothing-listening", "wrong-key", "wrong-other-key", "wrong-admin-token", "no-v1", "no-sku-mapped",
         "one-sku-unmapped", "unmapped-sku-mapped"],
)  # fmt: skip
def test_a_wrong_setting_is_one_line_exit_5_and_nothing_listening_exit_3(
    live_server: LiveServer, tmp_path: Path, stale_report: Path, mistake: dict[str, str], code: int, says: str
) -> None:
    env = {**SETTINGS, "JAFARSHOP_BASE_URL": live_server.url, "JAFARSHOP_ADMIN_TOKEN": ADMIN_TOKEN, **mistake}
    if "BASE_WITHOUT_V1" in env:
        env["JAFARSHOP_BASE_URL"] = live_server.url.removesuffix("/v1")
    started = time.monotonic()
    result = contract(tmp_path, env)
    assert time.monotonic() - started < 10
    assert result.returncode == code, result.stdout + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("jafarshop-contract: pre-flight: ") and says in line
    assert "Traceback" not in result.stdout + result.stderr and KEY_A not in result.stdout + result.stderr
    # The earlier run's report is gone; in its place one failed case carries the line, for CI's test views.
    assert setup_failure(stale_report) == line.removeprefix("jafarshop-contract: ")
    assert f"exit {code} (" in result.stdout and "reports: reports/contract-junit.xml" in result.stdout
    assert len(live_server.state.orders) <= 2  # the pre-flight's orders: at most one, and one more when a SKU is off


def test_an_admin_token_where_no_admin_api_is_is_a_setting_error(tmp_path: Path) -> None:
    with spawn_mock("--log-level", "warning") as mock, serve_without_admin(mock.base_url) as base:
        result = contract(tmp_path, {**SETTINGS, "JAFARSHOP_BASE_URL": base, "JAFARSHOP_ADMIN_TOKEN": ADMIN_TOKEN})
    assert result.returncode == 5, result.stdout + result.stderr
    assert "JAFARSHOP_ADMIN_TOKEN is set, but" in result.stderr and "unset JAFARSHOP_ADMIN_TOKEN" in result.stderr


@contextmanager
def serve_without_admin(base_url: str) -> Iterator[str]:
    """A proxy that forwards the partner API (/v1) to `base_url` and answers 404 elsewhere: a target without the
    kit mock's admin API."""
    import http.server

    upstream = base_url.removesuffix("/v1")

    class Proxy(http.server.BaseHTTPRequestHandler):
        def _forward(self) -> None:
            if not self.path.startswith("/v1/"):
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            request = urllib.request.Request(upstream + self.path, data=body, method=self.command, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:
                    status, data, reply = answer.status, answer.read(), answer.headers
            except urllib.error.HTTPError as error:
                status, data, reply = error.code, error.read(), error.headers
            self.send_response(status)
            for name in ("Content-Type",):
                if reply.get(name):
                    self.send_header(name, reply[name])
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _forward

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def test_a_server_failure_in_the_preflight_is_a_violation_not_a_good_setting(
    live_server: LiveServer, tmp_path: Path
) -> None:
    """A 500 to the pre-flight's key check confirms nothing: the line says so, the run goes on, and the answer is
    reported as the violation it is (exit 1) and counted in the coverage."""
    live_server.state.add_fault(2, operation="getOrder", status=500)  # the reads without a key, then with it
    env = {**SETTINGS, "JAFARSHOP_BASE_URL": live_server.url, "JAFARSHOP_OTHER_API_KEY": ""}
    result = contract(tmp_path, env, "--examples", "3", "--", "-k", "preflight or replay_with")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    assert "JAFARSHOP_API_KEY not confirmed: a read of an unknown order with it answered 500" in result.stdout
    assert "JAFARSHOP_API_KEY accepted" not in result.stdout
    assert "test_no_answer_to_the_preflight_was_a_server_error" in output and "answered 500" in output
    data = json.loads((tmp_path / "reports" / "contract-coverage.json").read_text())
    assert data["operations"]["getOrder"]["documented"]["500"] == 2


@pytest.mark.parametrize(
    ("variable", "value"),
    [("JAFARSHOP_SKIP_PREFLIGHT", "false-ish"), ("JAFARSHOP_SHRINK", "2"), ("JAFARSHOP_REQUIRE_FULL_COVERAGE", "most")],
)
def test_a_yes_no_variable_with_another_value_is_a_usage_error(
    tmp_path: Path, stale_report: Path, variable: str, value: str
) -> None:
    result = contract(tmp_path, {**SETTINGS, "JAFARSHOP_BASE_URL": "http://127.0.0.1:1/v1", variable: value})
    assert result.returncode == 2, result.stdout + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"jafarshop-contract: {variable}={value!r}: must be")
    assert setup_failure(stale_report) == line.removeprefix("jafarshop-contract: ")


@pytest.mark.parametrize("value", ["false", "0", "no", "OFF", ""])
def test_no_means_no_for_every_yes_no_variable(value: str) -> None:
    """One reading for all: "false" turns nothing on (it once turned the pre-flight skip and the mock's no-fast-path
    switch on)."""
    from jafarshop_kit.flags import env_flag
    from mockserver.options import build_parser

    environ = {"JAFARSHOP_SKIP_PREFLIGHT": value, "JAFARSHOP_MOCK_NO_FAST_PATH": value}
    assert env_flag("JAFARSHOP_SKIP_PREFLIGHT", environ) is False
    os.environ["JAFARSHOP_MOCK_NO_FAST_PATH"] = value
    try:
        assert build_parser().parse_args([]).no_fast_path is False
    finally:
        del os.environ["JAFARSHOP_MOCK_NO_FAST_PATH"]


def test_the_preflight_counts_its_order_against_the_cap(live_server: LiveServer, tmp_path: Path) -> None:
    env = {**SETTINGS, "JAFARSHOP_BASE_URL": live_server.url, "JAFARSHOP_MAX_ORDERS": "1"}
    result = contract(tmp_path, env)
    assert result.returncode == 2
    assert "JAFARSHOP_MAX_ORDERS=1 leaves no order for the tests after the pre-flight's 1" in result.stderr


def stop_after_first_order(base: str, mock: subprocess.Popen[str]) -> None:
    """Terminate the mock a second after it holds its first order (polled through its admin API)."""
    admin = urllib.request.Request(base.removesuffix("/v1") + "/__admin/orders", headers=ADMIN)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with urllib.request.urlopen(admin, timeout=5) as answer:
            if json.loads(answer.read()):
                break
        time.sleep(0.1)
    time.sleep(1.0)
    mock.terminate()


def test_a_target_that_stops_answering_ends_the_run_with_exit_3(tmp_path: Path) -> None:
    with spawn_mock("--log-level", "warning") as mock:
        base = mock.base_url
        assert base.endswith("/v1"), base
        # Stopped once the suite is under way (the pre-flight's order exists): tests then get "connection refused".
        threading.Thread(target=stop_after_first_order, args=(base, mock.process), daemon=True).start()
        result = contract(tmp_path, {**SETTINGS, "JAFARSHOP_BASE_URL": base}, "--examples", "20", timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 3, output[-3000:]
    assert "the target stopped answering" in output and "exit 3 (target unreachable" in output
    assert "Traceback" not in output and len(output.splitlines()) < 150
    # Its failures are no verdict: the report holds the one line instead, and no coverage is published.
    assert "stopped answering" in setup_failure(tmp_path / "reports" / "contract-junit.xml")
    assert not (tmp_path / "reports" / "contract-coverage.json").exists()


def test_a_target_that_dies_on_a_request_is_a_violation_not_an_outage(tmp_path: Path) -> None:
    """It answered the pre-flight, then died on a large cart: the run stops as for an outage, but the verdict is a
    contract violation (exit 1, which CI does not tolerate), with the request that killed it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    serve = (
        "import socket; from mockserver import create_app; from mockserver.server import run; "
        "from tests.broken_targets.data_defects import DiesOnLargeCarts; "
        f"run(DiesOnLargeCarts(create_app()), socket.create_server(('127.0.0.1', {port})))"
    )
    target = subprocess.Popen(
        [sys.executable, "-c", serve], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        base = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{base}/openapi.json", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        result = contract(tmp_path, {**SETTINGS, "JAFARSHOP_BASE_URL": base}, "--examples", "3", timeout=300)
    finally:
        target.kill()
        target.wait()
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    assert "closed the connection" in output and "without an answer" in output and "died on that request" in output
    assert "exit 1 (contract violation)" in output and "Traceback" not in output


def test_reproductions_paste_into_a_shell_with_the_keys_as_variables() -> None:
    key = 'k"$`\\ey'  # every character a double-quoted shell word treats specially
    exchange = Exchange("POST", "http://h/v1/carts/submit", {"Authorization": f"Bearer {key}"}, b'{"a": "it\'s"}')
    command = exchange.curl({key: "JAFARSHOP_API_KEY"})
    assert key not in command and '"Authorization: Bearer ${JAFARSHOP_API_KEY}"' in command
    shown = subprocess.run(
        ["bash", "-c", 'curl() { printf "%s\\n" "$@"; }; ' + command],
        env={"JAFARSHOP_API_KEY": key}, capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    assert shown == ["-i", "-X", "POST", "http://h/v1/carts/submit", "-H", f"Authorization: Bearer {key}",
                     "--data-binary", "{\"a\": \"it's\"}"]  # fmt: skip
    assert shell_word("no secret here", {key: "V"}) == "'no secret here'"


def test_every_run_reports_its_coverage_and_can_require_all_of_it(live_server: LiveServer, tmp_path: Path) -> None:
    env = {**SETTINGS, "JAFARSHOP_BASE_URL": live_server.url, "JAFARSHOP_OTHER_API_KEY": ""}
    result = contract(
        tmp_path, env, "--examples", "3", "--require-full-coverage", "--", "-k", "another_partner or replay_with"
    )
    assert result.returncode == 4, result.stdout[-3000:] + result.stderr
    assert "exit 4 (no violation found, but coverage incomplete" in result.stdout
    data = json.loads((tmp_path / "reports" / "contract-coverage.json").read_text())
    assert set(data["operations"]) == {"submitCart", "getOrder"}
    for operation, statuses in documented_statuses().items():
        assert sorted(int(code) for code in data["operations"][operation]["documented"]) == statuses
    assert data["operations"]["submitCart"]["documented"]["200"] > 0  # the replay test's submits were counted
    rules = {rule["id"]: rule for rule in data["rules"]}
    assert rules["idempotent-replay"]["verdict"] == "passed"
    isolation = rules["partner-isolation-403"]
    assert isolation["verdict"] == "not checked"
    assert any("JAFARSHOP_OTHER_API_KEY" in why for why in isolation["why_not_checked"])
    assert "partner-isolation-403" in data["unchecked_rules"]
    assert (tmp_path / "reports" / "contract-coverage.md").read_text().startswith("# Contract coverage")


def test_a_staging_without_the_admin_api_can_complete_the_partner_side_coverage(
    live_server: LiveServer, tmp_path: Path
) -> None:
    """No admin token (as against staging): every partner-side rule is checked and `=partner` is satisfied, while
    `all` would name the supplier-side rules that need the admin API."""
    env = {**SETTINGS, "JAFARSHOP_BASE_URL": live_server.url}
    result = contract(tmp_path, env, "--examples", "3", "--require-full-coverage=partner", timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    data = json.loads((tmp_path / "reports" / "contract-coverage.json").read_text())
    sides = {rule["id"]: rule["side"] for rule in data["rules"]}
    assert {rule for rule, side in sides.items() if side == "supplier"} == {"key-rotation", "lifecycle-transitions"}
    assert data["unchecked_partner_rules"] == []
    assert all(rule["verdict"] == "passed" for rule in data["rules"] if rule["side"] == "partner")
    assert coverage.missing(data, "partner") == []
    assert coverage.missing(data, "all") == ["key-rotation", "lifecycle-transitions"]
    assert "supplier-side rules" in result.stdout and "0 of 2 checked" in (
        tmp_path / "reports" / "contract-coverage.md"
    ).read_text(encoding="utf-8")


def test_all_coverage_names_what_is_missing_and_exits_4(live_server: LiveServer, tmp_path: Path) -> None:
    env = {**SETTINGS, "JAFARSHOP_BASE_URL": live_server.url}
    result = contract(tmp_path, env, "--examples", "3", "--require-full-coverage", "--", "-k", "rotated or replay_with")
    assert result.returncode == 4, result.stdout[-3000:] + result.stderr
    assert "--require-full-coverage=all asks for all of it; missing:" in result.stdout
    assert "key-rotation" in result.stdout.split("missing:")[1]
    # A red job is never all green in a CI test view: a failed case names what is missing.
    report = ElementTree.parse(tmp_path / "reports" / "contract-junit.xml")
    failures = [case.find("failure") for case in report.iter("testcase") if case.find("failure") is not None]
    assert len(failures) == 1, ElementTree.tostring(report.getroot())[:2000]
    failure = failures[0]
    assert failure is not None and "key-rotation" in failure.get("message", "") + (failure.text or "")


@pytest.mark.parametrize(
    ("outcomes", "verdict"),
    [
        ([("passed", ""), ("passed", "")], "passed"),
        ([("passed", ""), ("skipped", "needs JAFARSHOP_ADMIN_TOKEN")], "partly checked"),
        ([("skipped", "needs JAFARSHOP_ADMIN_TOKEN")], "not checked"),
        ([("passed", ""), ("skipped", "cap"), ("failed", "")], "failed"),
    ],
)
def test_a_rule_with_skipped_tests_is_partly_checked_and_not_full_coverage(
    outcomes: list[tuple[str, str]], verdict: str
) -> None:
    rule = RULES[0]
    seen = coverage.Outcomes()
    for index, (outcome, reason) in enumerate(outcomes):
        seen.add(f"contract_tests/x.py::{rule.tests[0]}[{index}]", outcome, reason)
    (line,) = [line for line in coverage.rule_verdicts(seen) if line["id"] == rule.id]
    assert line["verdict"] == verdict
    data = {"rules": [line], "unseen_statuses": []}
    assert (coverage.missing(data, "partner") == [rule.id]) is (verdict in ("partly checked", "not checked"))
    if verdict == "partly checked":
        assert line["why_not_checked"] == ["needs JAFARSHOP_ADMIN_TOKEN"]


def test_every_contract_test_counts_for_a_rule_of_the_guide() -> None:
    tests = {
        node.name
        for module in (ROOT / "contract_tests").glob("test_*.py")
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_")
    }
    counted = {test for rule in RULES for test in rule.tests}
    assert tests - counted == set(), "contract tests that no rule of contract_tests/coverage.py counts"
    assert {t for t in counted if t.startswith("test_")} - tests == set(), "rules that name tests which do not exist"


def test_without_the_contract_extra_the_command_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The base install has the command but not hypothesis and schemathesis: one line naming the extra, exit 2."""
    import importlib.util

    from contract_tests import runner

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "hypothesis" else real(name))
    assert runner.main([]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "hypothesis is not installed" in line and "pip install 'jafarshop-contract-kit[contract]'" in line


def test_the_exit_codes_of_the_docs_and_of_help_are_the_enums() -> None:
    """One IntEnum (contract_tests/exit_codes.py): the docs' table and `--help` say what it says, code for code."""
    from contract_tests.exit_codes import ExitCode

    page = (ROOT / "docs" / "contract-suite.md").read_text(encoding="utf-8")
    table = page[page.index("| exit | meaning | in CI |") :].split("\n\n")[0].splitlines()[2:]
    documented = {int(cells[1]): cells[2].strip() for cells in (row.split("|") for row in table)}
    assert documented == {code.value: code.meaning for code in ExitCode}
    result = subprocess.run([sys.executable, "-m", "contract_tests", "--help"], capture_output=True, text=True,
                            cwd=ROOT, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr
    flat = " ".join(result.stdout.split())
    for code in ExitCode:
        assert f"{code.value} {' '.join(code.meaning.split())}" in flat, code
    assert "every non-zero code fails the job" in flat


@pytest.mark.parametrize(
    ("pytest_code", "suite_code"),
    [(0, 0), (1, 1), (2, 6), (3, 6), (4, 6), (5, 2), (64, 4), (65, 3), (66, 7), (137, 6), (-9, 6)],
)
def test_pytests_codes_map_to_the_suites_and_its_internal_error_is_a_crash(pytest_code: int, suite_code: int) -> None:
    from contract_tests.exit_codes import ExitCode, from_pytest

    assert from_pytest(pytest_code) is ExitCode(suite_code)


CRASHING_PLUGIN = """
def pytest_collection_modifyitems(session, config, items):
    raise RuntimeError("a planted crash in a plugin's hook")
"""


@pytest.mark.parametrize(
    ("args", "says"),
    [(("-p", "crashing_plugin"), "a planted crash in a plugin's hook"), (("--no-such-option",), "--no-such-option")],
    ids=["plugin-hook-raises", "unknown-pytest-option"],
)
def test_a_crash_of_the_suite_itself_is_exit_6_with_its_last_line_in_junit(
    live_server: LiveServer, tmp_path: Path, args: tuple[str, ...], says: str
) -> None:
    """Never 3 (pytest's own INTERNAL_ERROR is 3: it must not read as an outage), never 0 or 1."""
    (tmp_path / "crashing_plugin.py").write_text(CRASHING_PLUGIN, encoding="utf-8")
    env = {**SETTINGS, "JAFARSHOP_BASE_URL": live_server.url, "PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}"}
    result = contract(tmp_path, env, "--", *args)
    output = result.stdout + result.stderr
    assert result.returncode == 6, output[-3000:]
    assert "exit 6 (the contract suite itself crashed" in output
    assert says in setup_failure(tmp_path / "reports" / "contract-junit.xml")


def test_nothing_listening_is_asked_again_then_exit_3(tmp_path: Path) -> None:
    """A target that restarts as the job starts gets JAFARSHOP_CONNECT_WAIT seconds (1 + 2 here) before exit 3."""
    env = {**SETTINGS, "JAFARSHOP_BASE_URL": "http://127.0.0.1:1/v1", "JAFARSHOP_CONNECT_WAIT": "3"}
    started = time.monotonic()
    result = contract(tmp_path, env)
    took = time.monotonic() - started
    assert result.returncode == 3, result.stdout + result.stderr
    assert 3 <= took < 15, took
    assert "nothing answers" in result.stderr and "(asked 3 times over 3 s)" in result.stderr


@pytest.mark.slow
def test_a_cap_too_small_is_exit_2_before_any_order_and_the_cap_it_names_completes_the_coverage(
    live_server: LiveServer, tmp_path: Path
) -> None:
    """The recipe's settings (a cap, partner-side coverage required, two partners, no admin token): a cap that
    cannot reach it is one line and exit 2 before the pre-flight's order, naming the smallest that can; that one
    runs to exit 0 with every partner-side rule checked, within the cap."""
    env = {**SETTINGS, "JAFARSHOP_BASE_URL": live_server.url, "JAFARSHOP_REQUIRE_FULL_COVERAGE": "partner"}
    result = contract(tmp_path, {**env, "JAFARSHOP_MAX_ORDERS": "10"})
    assert result.returncode == 2, result.stdout[-3000:] + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "JAFARSHOP_MAX_ORDERS=10 cannot reach the coverage" in line and "the smallest cap that can is " in line
    assert len(live_server.state.orders) == 0
    smallest = int(line.rsplit(" ", 1)[1])
    assert 10 < smallest <= 50  # the recipes' cap
    result = contract(tmp_path, {**env, "JAFARSHOP_MAX_ORDERS": str(smallest)}, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    assert 1 <= len(live_server.state.orders) <= smallest
    assert f"orders created on the target: {len(live_server.state.orders)} (cap {smallest})" in result.stdout
    data = json.loads((tmp_path / "reports" / "contract-coverage.json").read_text())
    assert data["unchecked_partner_rules"] == [] and coverage.missing(data, "partner") == []
    listed = (tmp_path / "reports" / "contract-orders.csv").read_text(encoding="utf-8").splitlines()
    assert len(listed) == 1 + len(live_server.state.orders)  # the header, then every order the run created
    assert {order.partner_order_id for order in live_server.state.orders} == {r.split(",")[1] for r in listed[1:]}
    assert all(order.partner_order_id.startswith("JSCT-") for order in live_server.state.orders)


def test_a_run_past_its_time_budget_is_exit_7_naming_what_it_left_unchecked(
    live_server: LiveServer, tmp_path: Path
) -> None:
    """Stopped by its budget with no violation found: no pass (its unrun tests give no verdict), and the JUnit case
    names the rules they left."""
    env = {**SETTINGS, "JAFARSHOP_BASE_URL": live_server.url, "JAFARSHOP_TIME_BUDGET": "0.5"}
    result = contract(tmp_path, env, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 7, output[-3000:]
    assert "exit 7 (the run went past its time budget" in output
    report = ElementTree.parse(tmp_path / "reports" / "contract-junit.xml")
    messages = [f.get("message", "") for case in report.iter("testcase") if (f := case.find("failure")) is not None]
    (line,) = [m for m in messages if "time budget" in m]
    assert "JAFARSHOP_TIME_BUDGET=0.5 s" in line and "rules left unchecked or partly checked: " in line
