"""Resolves the target before test modules import, and reports what the run did to it."""

from __future__ import annotations

import json
import os
import random
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, settings

from contract_tests import checks, coverage, strategies
from contract_tests.budget import Need, plan, smallest_cap
from contract_tests.client import ApiClient
from contract_tests.exit_codes import PYTEST_COVERAGE_INCOMPLETE, PYTEST_OUT_OF_TIME, PYTEST_TARGET_STOPPED
from contract_tests.ledger import OrderLedger
from contract_tests.strategies import SampleCart
from contract_tests.target import (
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
# A target that stops answering ends the run (exit 3) after this many tests in a row failed for that alone.
UNANSWERED_TESTS_TO_STOP = 3
LEDGER_KEY = pytest.StashKey[OrderLedger]()
PREFLIGHT_KEY = pytest.StashKey[dict[str, Any]]()  # what jafarshop-contract's pre-flight did, or {} without one
REQUIRED_KEY = pytest.StashKey[str | None]()  # what --require-full-coverage asks for: None, "partner" or "all"
CLOCK_KEY = pytest.StashKey["Clock"]()
PLAN_OPTION = "jafarshop_plan"
# The suite's options (contract_tests/options.py): a plugin, not this conftest's own hook, so that jafarshop-contract
# can load it with -p and pytest knows them when it first parses the command line (see options.py).
pytest_plugins = ["contract_tests.options"]
NEEDS_OTHER = (
    "needs a second partner: set JAFARSHOP_OTHER_API_KEY (or --jafarshop-other-api-key) to a key of another partner"
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
    ledger = OrderLedger(target.max_orders, preflight.get("created", []), preflight.get("orders", 0))
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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    """Each order is counted against the test that made it; the run stops once past its time budget."""
    config = item.config
    ledger = config.stash.get(LEDGER_KEY, None)
    if ledger is not None:
        ledger.current_test = item.nodeid
    clock = config.stash.setdefault(CLOCK_KEY, Clock())
    target = config.stash.get(TARGET_KEY, None)
    if target is not None and clock.elapsed() > target.time_budget and not clock.out_of_time:
        clock.out_of_time = True
        item.session.shouldstop = (
            f"the run went past its time budget (JAFARSHOP_TIME_BUDGET={target.time_budget:g} s) after "
            f"{clock.elapsed():.0f} s"
        )
    yield


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
        # An outage is no verdict on the contract (jafarshop-contract reports "target unreachable"); a target that
        # took a request and died on it is a defect.
        session.exitstatus = 1 if silence.crashed_in else PYTEST_TARGET_STOPPED
    clock = config.stash.get(CLOCK_KEY, None)
    if clock is not None and clock.out_of_time and session.exitstatus in (0, pytest.ExitCode.INTERRUPTED):
        # Stopped by its budget (pytest calls that interrupted): a violation found before is still the verdict;
        # else the tests left unrun have none, so no pass.
        session.exitstatus = 1 if session.testsfailed else PYTEST_OUT_OF_TIME
    workeroutput = getattr(config, "workeroutput", None)
    ledger = config.stash.get(LEDGER_KEY, None)
    if workeroutput is not None and ledger is not None:  # a worker: hand its counts to the controller
        workeroutput["jafarshop_ledger"] = ledger.worker_counts()
        workeroutput["jafarshop_notes"] = sorted(checks.NOTES)
        return
    if ledger is None:
        return
    data = coverage.report(ledger.statuses, OUTCOMES)
    data["orders"] = orders_report(ledger, config.stash[TARGET_KEY])
    data["notes"] = sorted(checks.NOTES)
    config.stash[COVERAGE_KEY] = data
    base = config.getoption("jafarshop_coverage")
    if base is not None:
        coverage.write(data, base)
        coverage.write_orders(data["orders"], base.parent / "contract-orders.csv")
    required = config.stash.get(REQUIRED_KEY, None)
    if required and coverage.missing(data, required) and session.exitstatus == 0:
        session.exitstatus = PYTEST_COVERAGE_INCOMPLETE


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """The controller adds up what its workers did, for the summary."""
    counts = getattr(node, "workeroutput", {}).get("jafarshop_ledger")
    ledger = node.config.stash.get(LEDGER_KEY, None)
    if counts and ledger is not None:
        ledger.add_worker_counts(counts)
    checks.NOTES.update(getattr(node, "workeroutput", {}).get("jafarshop_notes", []))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The test of the pre-flight's answers exists only where a pre-flight ran (jafarshop-contract without
    --skip-preflight): elsewhere there is nothing for it to check, and it is neither a pass nor a skip. Then the
    order budget is planned over what is left (budget.py)."""
    if not config.stash.get(PREFLIGHT_KEY, {}):
        kept = [item for item in items if item.name != "test_no_answer_to_the_preflight_was_a_server_error"]
        if len(kept) != len(items):
            config.hook.pytest_deselected(items=[item for item in items if item not in kept])
            items[:] = kept


@pytest.hookimpl(trylast=True)  # after -k and -m have deselected what they deselect
def pytest_collection_finish(session: pytest.Session) -> None:
    config = session.config
    ledger = config.stash.get(LEDGER_KEY, None)
    target = config.stash.get(TARGET_KEY, None)
    if ledger is None or target is None:
        return
    needs = [need for item in session.items if (need := _need(item, target)) is not None]
    if any("reference_order" in getattr(item, "fixturenames", ()) for item in session.items):
        workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
        needs.insert(0, Need(REFERENCE, workers))  # one a test process
    available = ledger.available
    ledger.plan = plan(needs, None if available is None else max(0, available - HEADROOM))
    path = config.getoption(PLAN_OPTION)
    if path:  # jafarshop-contract's pass before the pre-flight: is the cap enough for every test?
        data = {"minimum": ledger.plan.minimum, "tests": len(needs), "smallest_cap": smallest_cap(needs, 1) + HEADROOM,
                "reference": any(need.test == REFERENCE for need in needs)}  # fmt: skip
        Path(path).write_text(json.dumps(data), encoding="utf-8")


def _need(item: pytest.Item, target: Target) -> Need | None:
    """What `item` says it creates (its `orders` mark); None for a test that creates none, or that skips anyway
    on this target (the supplier-side tests without an admin token, the cross-partner ones without a second key)."""
    mark = item.get_closest_marker("orders")
    if mark is None:
        return None
    needs_admin = item.get_closest_marker("needs_admin") is not None
    needs_other = "other_api" in getattr(item, "fixturenames", ())
    if (needs_admin and not target.admin_token) or (needs_other and not target.other_api_key):
        return None
    at_least = int(mark.args[0]) if mark.args else int(mark.kwargs.get("at_least", 0))
    per_example = int(mark.kwargs.get("per_example", 0))
    examples = int(mark.kwargs.get("examples", target.property_examples)) if per_example else 1
    return Need(item.nodeid, at_least, per_example, examples)


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
def http(target: Target) -> Iterator[httpx.Client]:
    with httpx.Client(timeout=target.request_timeout, follow_redirects=False) as client:
        yield client


REFERENCE = "(the reference order)"
# Under a cap the plan shares out all but one order: room for one a defective target makes where none was due, so
# that even then the run stays within the cap (ledger._hold_to_the_cap).
HEADROOM = 1  # its need in the order plan, and the test it is counted against


@pytest.fixture(scope="session")
def reference_order(target: Target, ledger: OrderLedger, http: httpx.Client) -> checks.ReferenceOrder:
    """The shared order (see ReferenceOrder), created once per test process, by the first test that asks for it."""
    cart = strategies.guide_mixed_cart(target.mapped_skus[0], target.unmapped_sku)
    cart["customer"]["name"] = "جعفر الخطيب Jafar"
    cart["shipping"].update(street="شارع الملكة رانيا ١٢", city="عمّان", state="خلدا")
    cart["items"][0]["title"] = "Za'tar \u2013 زعتر بلدي 🌿"
    cart["items"][1]["title"] = "Café crème brûlée"
    key = strategies.new_key("uuid")
    running, ledger.current_test = ledger.current_test, REFERENCE
    try:
        before = checks.now_utc()
        order_id = checks.create_order(ApiClient(target, ledger, http, target.api_key), cart, key=key)
        after = checks.now_utc()
    finally:
        ledger.current_test = running
    return checks.ReferenceOrder(order_id, cart, key, before, after, time.monotonic())


@pytest.fixture(scope="session")
def seed(target: Target) -> int:
    """The model phase's seed: JAFARSHOP_SEED, or one drawn for this run (a failure names it)."""
    return target.seed if target.seed is not None else random.SystemRandom().randrange(10**9)


@pytest.fixture
def property_examples(request: pytest.FixtureRequest, target: Target, ledger: OrderLedger) -> int:
    """Examples this property test runs: the run's budget, or under a cap what the order plan leaves it."""
    examples = ledger.plan.examples.get(request.node.nodeid, target.property_examples)
    if examples < 1:
        pytest.skip(
            f"JAFARSHOP_MAX_ORDERS={target.max_orders} reached: the order plan leaves this property no example "
            f"(its first needs {ledger.plan.allowance(request.node.nodeid) or 1} order(s)); raise the cap to run it"
        )
    return examples


class Clock:
    """The run's time, against its budget (JAFARSHOP_TIME_BUDGET)."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.out_of_time = False

    def elapsed(self) -> float:
        return time.monotonic() - self.started


def orders_report(ledger: OrderLedger, target: Target) -> dict[str, Any]:
    """The orders the run created, for the reports: a staging finds and cleans them up by id or by prefix."""
    return {
        "created": ledger.orders_created,
        "cap": target.max_orders,
        "partner_order_id_prefix": strategies.ORDER_PREFIX,
        "by_test": dict(sorted(ledger.by_test.items(), key=lambda pair: -pair[1])),
        "list": [{"id": o.id, "partner_order_id": o.partner_order_id, "test": o.test} for o in ledger.created.values()],
    }


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
        # The last test whose request the target took and dropped without an answer: if the target then stops
        # answering, it died on that request, a defect (exit 1), not an outage (exit 3).
        self.crashed_in = ""
        self.last_drop = ""


def dropped_answer(error: BaseException | None, depth: int = 0) -> bool:
    """Whether `error` (or its cause) is a connection the target accepted and then closed without an answer."""
    if error is None or depth > 5:
        return False
    if isinstance(error, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError) or type(error).__name__ in (
        "RemoteDisconnected",
        "ChunkedEncodingError",
    ):
        return True
    members = list(getattr(error, "exceptions", []))
    return any(dropped_answer(cause, depth + 1) for cause in [error.__cause__, error.__context__, *members])


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
        # Pages of connection tracebacks say nothing more than this line (and the request, when it was dropped).
        report.longrepr = f"the target did not answer: {line}"
        if call.excinfo is not None and dropped_answer(call.excinfo.value):
            silence.last_drop = item.nodeid
            report.longrepr = f"the target closed the connection without answering: {line}{_reproduction(item)}"
        silence.in_a_row, silence.last = silence.in_a_row + 1, line
        if silence.in_a_row >= UNANSWERED_TESTS_TO_STOP and not silence.stopped:
            silence.stopped = True
            silence.crashed_in = silence.last_drop
            item.session.shouldstop = f"the target stopped answering ({line})"
        return
    silence.in_a_row = 0
    if report.failed:
        report.longrepr = f"{report.longrepr}{_reproduction(item)}"


def _reproduction(item: pytest.Item) -> str:
    """The curl commands of the test's last exchanges, when it made any through the `api` fixture."""
    api = getattr(item, "funcargs", {}).get("api")
    if not (isinstance(api, ApiClient) and api.exchanges):
        return ""
    return (
        f"\n\nReproduce with (the keys read from $JAFARSHOP_API_KEY, $JAFARSHOP_OTHER_API_KEY):\n{api.reproduction()}"
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
        if silence.crashed_in:
            terminalreporter.write_line(
                f"the target closed the connection of {silence.crashed_in} without an answer, then stopped answering "
                f"({silence.last}): it died on that request, a contract violation (the API answers every request). "
                "Its report above holds the request to reproduce it."
            )
        else:
            terminalreporter.write_line(
                f"{UNANSWERED_TESTS_TO_STOP} tests in a row got no answer from the target ({silence.last}): the run "
                "was stopped; its failures say nothing about the contract. Check that the target is up, then run again."
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
            counts = ", ".join(f"{verdicts[v]} {v}" for v in coverage.Checked)
            terminalreporter.write_line(f"{meaning}: {counts}")
            for rule in rules:
                if rule["verdict"] != coverage.Checked.PASSED:
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
