"""Resolves the target before test modules import, and reports what the run did to it."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, settings

from contract_tests import coverage, strategies
from contract_tests.client import ApiClient
from contract_tests.ledger import OrderLedger
from contract_tests.strategies import SampleCart
from contract_tests.target import (
    COVERAGE_SCOPES,
    SETTINGS,
    Target,
    TargetError,
    bind_target,
    mask,
    required_coverage,
    resolve_target,
    values_from_environment,
)

TARGET_KEY = pytest.StashKey[Target]()
SILENCE_KEY = pytest.StashKey["Silence"]()
COVERAGE_KEY = pytest.StashKey[dict[str, Any]]()
OUTCOMES = coverage.Outcomes()  # one pytest session per process: the run's test outcomes
EXIT_COVERAGE_INCOMPLETE = 6
# A target that stops answering ends the run (exit 3) after this many tests in a row failed for that alone.
UNANSWERED_TESTS_TO_STOP = 3
LEDGER_KEY = pytest.StashKey[OrderLedger]()
PREFLIGHT_KEY = pytest.StashKey[dict[str, Any]]()  # what jafarshop-contract's pre-flight did, or {} without one
REQUIRED_KEY = pytest.StashKey[str | None]()  # what --require-full-coverage asks for: None, "partner" or "all"
NEEDS_OTHER = (
    "needs a second partner: set JAFARSHOP_OTHER_API_KEY (or --jafarshop-other-api-key) to a key of another partner"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("jafarshop", "JafarShop target (each also read from its environment variable)")
    for setting in SETTINGS.values():
        group.addoption(setting.option, default=None, help=f"{setting.help} [env {setting.env}]")
    group.addoption(
        "--jafarshop-coverage",
        type=Path,
        default=None,
        help="write the run's contract coverage to PATH.json and PATH.md (jafarshop-contract gives "
        "reports/contract-coverage)",
    )
    group.addoption(
        "--jafarshop-preflight",
        default=None,
        help="what jafarshop-contract's pre-flight did, as JSON {orders, requests, statuses}: its orders count "
        "against the cap and in the summary, its answers in the coverage",
    )
    group.addoption(
        "--jafarshop-require-full-coverage",
        nargs="?",
        const="all",
        default=None,
        choices=COVERAGE_SCOPES,
        help="fail the run (exit 6 here, 4 from jafarshop-contract) when a documented status was not seen or a rule "
        "was not fully checked: `partner` for the rules the partner API alone can check, `all` (bare) for the "
        "supplier-side ones too [env JAFARSHOP_REQUIRE_FULL_COVERAGE=partner|all]",
    )


def pytest_configure(config: pytest.Config) -> None:
    values = values_from_environment()
    for key, setting in SETTINGS.items():  # options win over the environment
        option = config.getoption(setting.option.lstrip("-").replace("-", "_"))
        if option is not None:
            values[key] = option
    try:
        target = resolve_target(values)
        required = config.getoption("jafarshop_require_full_coverage") or required_coverage(
            "JAFARSHOP_REQUIRE_FULL_COVERAGE", os.environ.get("JAFARSHOP_REQUIRE_FULL_COVERAGE")
        )
    except TargetError as exc:
        raise pytest.UsageError(f"contract suite: {exc}") from None
    config.stash[TARGET_KEY] = target
    config.stash[REQUIRED_KEY] = required
    bind_target(target)  # for test_spec_conformance's schemas, built when it imports (it says why)
    raw_preflight = config.getoption("jafarshop_preflight")
    preflight = json.loads(raw_preflight) if raw_preflight else {}
    ledger = OrderLedger.for_run(target.max_orders, preflight.get("orders", 0), getattr(config, "workerinput", None))
    if getattr(config, "workerinput", None) is None:  # counted once, on the controller
        ledger.add_preflight(preflight.get("requests", 0), preflight.get("statuses", []))
    config.stash[LEDGER_KEY] = ledger
    config.stash[PREFLIGHT_KEY] = preflight
    # A live, stateful target: nothing replayed from earlier runs, no deadline on network calls.
    settings.register_profile(
        "contract",
        database=None,
        deadline=None,
        max_examples=target.property_examples,
        phases=target.hypothesis_phases,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
        print_blob=True,
    )
    settings.load_profile("contract")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Every test's outcome, for the coverage of the guide's rules (on the controller, workers' reports too)."""
    if report.when == "call" or (report.skipped and report.when == "setup"):
        reason = ""
        if report.skipped and isinstance(report.longrepr, tuple):
            reason = str(report.longrepr[2]).removeprefix("Skipped: ")
        OUTCOMES.add(report.nodeid, report.outcome, reason)


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    silence = config.stash.get(SILENCE_KEY, None)
    if silence is not None and silence.stopped:
        session.exitstatus = 3  # not a verdict on the contract: jafarshop-contract reports "target unreachable"
    workeroutput = getattr(config, "workeroutput", None)
    ledger = config.stash.get(LEDGER_KEY, None)
    if workeroutput is not None and ledger is not None:  # a worker: hand its counts to the controller
        workeroutput["jafarshop_ledger"] = ledger.worker_counts()
        return
    if ledger is None:
        return
    data = coverage.report(ledger.statuses, OUTCOMES)
    config.stash[COVERAGE_KEY] = data
    base = config.getoption("jafarshop_coverage")
    if base is not None:
        coverage.write(data, base)
    required = config.stash.get(REQUIRED_KEY, None)
    if required and coverage.missing(data, required) and session.exitstatus == 0:
        session.exitstatus = EXIT_COVERAGE_INCOMPLETE


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """The controller adds up what its workers did, for the summary."""
    counts = getattr(node, "workeroutput", {}).get("jafarshop_ledger")
    ledger = node.config.stash.get(LEDGER_KEY, None)
    if counts and ledger is not None:
        ledger.add_worker_counts(counts)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The test of the pre-flight's answers exists only where a pre-flight ran (jafarshop-contract without
    --skip-preflight): elsewhere there is nothing for it to check, and it is neither a pass nor a skip."""
    if not config.stash.get(PREFLIGHT_KEY, {}):
        kept = [item for item in items if item.name != "test_no_answer_to_the_preflight_was_a_server_error"]
        if len(kept) != len(items):
            config.hook.pytest_deselected(items=[item for item in items if item not in kept])
            items[:] = kept


@pytest.fixture(scope="session")
def preflight_seen(pytestconfig: pytest.Config) -> dict[str, Any]:
    """What jafarshop-contract's pre-flight sent and saw ({orders, requests, statuses, server_errors})."""
    return pytestconfig.stash[PREFLIGHT_KEY]


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Target:
    return pytestconfig.stash[TARGET_KEY]


@pytest.fixture(scope="session")
def ledger(pytestconfig: pytest.Config) -> OrderLedger:
    return pytestconfig.stash[LEDGER_KEY]


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30.0, follow_redirects=False) as client:
        yield client


@pytest.fixture(scope="session")
def sample_cart(target: Target) -> SampleCart:
    """Makes one plain valid cart per call with the target's SKUs (see strategies.sample_cart), a fresh
    partner_order_id each time; `sample_cart(mapped=False)` holds no mapped SKU."""

    def make(*, mapped: bool = True) -> dict[str, Any]:
        return strategies.sample_cart(target.mapped_skus, target.unmapped_sku, mapped=mapped)

    return make


@pytest.fixture
def api(target: Target, ledger: OrderLedger, http: httpx.Client) -> ApiClient:
    """The API as the configured partner sees it."""
    return ApiClient(target, ledger, http, target.api_key)


@pytest.fixture
def other_api(target: Target, api: ApiClient) -> ApiClient:
    """The API as a second partner sees it; shares the exchange log with `api` for reproductions."""
    if target.other_api_key is None:
        pytest.skip(NEEDS_OTHER)
    return ApiClient(target, api.ledger, api.http, target.other_api_key, exchanges=api.exchanges)


class Silence:
    """Tests in a row that failed only because the target did not answer (connection refused, reset, timed out)."""

    def __init__(self) -> None:
        self.in_a_row = 0
        self.last = ""
        self.stopped = False


def unanswered(error: BaseException | None, depth: int = 0) -> str | None:
    """One line when `error` (or what caused it, or a member of its group) is the target not answering."""
    if error is None or depth > 5:
        return None
    names = {cls.__name__ for cls in type(error).__mro__}
    if isinstance(error, httpx.TransportError | ConnectionError | TimeoutError) or names & {
        "ConnectionError",  # requests', which schemathesis sends with
        "Timeout",
        "MaxRetryError",
    }:
        return f"{type(error).__name__}: {str(error)[:200]}"
    members = list(getattr(error, "exceptions", []))  # an ExceptionGroup of several failing examples
    for cause in [error.__cause__, error.__context__, *members]:
        found = unanswered(cause, depth + 1)
        if found:
            return found
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome: Any = yield
    report: pytest.TestReport = outcome.get_result()
    if call.when != "call":
        return
    silence = item.config.stash.setdefault(SILENCE_KEY, Silence())
    line = unanswered(call.excinfo.value) if report.failed and call.excinfo else None
    if line:
        # Pages of connection tracebacks say nothing more than this line.
        report.longrepr = f"the target did not answer: {line}"
        silence.in_a_row, silence.last = silence.in_a_row + 1, line
        if silence.in_a_row >= UNANSWERED_TESTS_TO_STOP and not silence.stopped:
            silence.stopped = True
            item.session.shouldstop = f"the target stopped answering ({line})"
        return
    silence.in_a_row = 0
    api = getattr(item, "funcargs", {}).get("api")
    if report.failed and isinstance(api, ApiClient) and api.exchanges:
        report.longrepr = (
            f"{report.longrepr}\n\nReproduce with (the keys read from $JAFARSHOP_API_KEY, $JAFARSHOP_OTHER_API_KEY):\n"
            f"{api.reproduction()}"
        )


def pytest_report_header(config: pytest.Config) -> list[str]:
    target = config.stash.get(TARGET_KEY, None)
    if target is None:
        return []
    return [
        f"JafarShop target: {target.base_url}  key {mask(target.api_key)}"
        + (f"  other key {mask(target.other_api_key)}" if target.other_api_key else "  (no second partner)"),
        f"mapped SKUs: {', '.join(target.mapped_skus)}; unmapped SKU: {target.unmapped_sku}; "
        f"examples: {target.examples}; order cap: {target.max_orders or 'none'}",
    ]


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    silence = config.stash.get(SILENCE_KEY, None)
    if silence is not None and silence.stopped:
        terminalreporter.write_sep("!", "the target stopped answering")
        terminalreporter.write_line(
            f"{UNANSWERED_TESTS_TO_STOP} tests in a row got no answer from the target ({silence.last}): the run was "
            "stopped; its failures say nothing about the contract. Check that the target is up, then run again."
        )
    data = config.stash.get(COVERAGE_KEY, None)
    if data is not None:
        terminalreporter.write_sep("-", "contract coverage")
        for operation, info in data["operations"].items():
            seen = ", ".join(
                f"{code} x{n}" if n else f"{code} not seen" + (" (not required)" if f"{operation} {code}" in
                                                                 data["not_required"] else " (NOT SEEN)")
                for code, n in info["documented"].items()
            )  # fmt: skip
            extra = ", ".join(f"{code} x{n}" for code, n in info["undocumented_seen"].items())
            terminalreporter.write_line(f"{operation}: {seen}" + (f"; undocumented: {extra}" if extra else ""))
        for side, meaning in data["sides"].items():
            rules = [rule for rule in data["rules"] if rule["side"] == side]
            verdicts = Counter(rule["verdict"] for rule in rules)
            counts = ", ".join(f"{verdicts[v]} {v}" for v in ("passed", "failed", "partly checked", "not checked"))
            terminalreporter.write_line(f"{meaning}: {counts}")
            for rule in rules:
                if rule["verdict"] != "passed":
                    why = f" ({'; '.join(rule['why_not_checked'])})" if rule["why_not_checked"] else ""
                    terminalreporter.write_line(f"  {rule['verdict']}: {rule['rule']}{why}")
        required = config.stash.get(REQUIRED_KEY, None)
        missing = coverage.missing(data, required) if required else []
        if missing:
            terminalreporter.write_line(
                f"incomplete coverage, and --require-full-coverage={required} asks for all of it; missing: "
                + ", ".join(missing)
            )
    ledger = config.stash.get(LEDGER_KEY, None)
    if ledger is None:
        return
    full_cap = config.stash[TARGET_KEY].max_orders
    cap = f" (cap {full_cap})" if full_cap is not None else ""
    terminalreporter.write_sep("-", "JafarShop contract run")
    terminalreporter.write_line(
        f"requests sent to the target: {ledger.requests} (plus those schemathesis's checks send on their own)"
    )
    preflight = f", {ledger.preflight_orders} of them by the pre-flight" if ledger.preflight_orders else ""
    terminalreporter.write_line(f"orders created on the target: {ledger.orders_created}{cap}{preflight}")
