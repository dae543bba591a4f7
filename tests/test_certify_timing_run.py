"""The timing run (certify/timing_run.py) on hand-made records: what it replays, when it stops, which verdicts it
decides. Its whole runs are in tests/test_certify.py."""

from __future__ import annotations

from typing import Any

import pytest

from certify import timing_run
from graders.record import SETTLE_SECONDS, TIMING_TIME_SCALE, Verdict
from graders.rules import FAIL, NOT_EXERCISED, PASS, RULES, Graded
from mockserver.model.certification import DEFAULT_SCENARIO
from tests.test_certify_rules import record, submit

TIMED = [rule.id for rule in RULES if rule.timed]


def test_the_timed_rules_are_the_backoff_and_the_timeout() -> None:
    assert TIMED == ["retry-backoff", "timeout-handling"]


@pytest.mark.parametrize(
    ("main", "scale", "replayed"),
    [
        (list(DEFAULT_SCENARIO), 60.0, ["503-once", "500-once", "500-always", "drop-after-create", "slow"]),
        (["ok", "drop-after-create", "422", "drop-after-create"], 30.0, ["drop-after-create"]),
        (["ok", "409-once", "422", "204", "rejected"], 60.0, []),  # nothing timed to replay
        (list(DEFAULT_SCENARIO), TIMING_TIME_SCALE, []),  # the main run is as slow already
    ],
)
def test_the_timing_run_replays_the_conditions_the_timed_rules_need(
    main: list[str], scale: float, replayed: list[str]
) -> None:
    assert timing_run.scenario(main, scale) == replayed


def test_its_time_limit_is_the_guides_schedule_at_its_scale_and_never_the_main_runs_more() -> None:
    conditions = ["503-once", "slow"]
    guide = SETTLE_SECONDS + 7.0 + 7.0 + 60.0  # each order retried 3 times (1 + 2 + 4 s), the slow answer whole
    assert timing_run.time_limit(conditions, 60.0, 600.0) == guide / TIMING_TIME_SCALE + timing_run.START_SECONDS
    assert timing_run.time_limit(conditions, 60.0, 10.0) == 10.0


def timing_record(entries: list[dict[str, Any]], elapsed: float) -> Any:
    return record(entries, scale=TIMING_TIME_SCALE, elapsed=elapsed)


@pytest.mark.parametrize(
    ("orders", "elapsed", "stops"),
    [
        (2, 1.0 + SETTLE_SECONDS / TIMING_TIME_SCALE + 0.01, True),  # both orders in, quiet for 10 s of guide time
        (2, 1.0 + 4.0 / TIMING_TIME_SCALE, False),  # quiet as long as the guide's last wait: a retry may still come
        (3, 100.0, False),  # an order not seen yet (a slow answer is recorded only when it ends)
    ],
)
def test_the_timing_run_stops_once_the_clients_retries_are_over(orders: int, elapsed: float, stops: bool) -> None:
    entries = [submit(1, 0.0, "P1", status=503), submit(2, 0.3, "P1"), submit(3, 0.999, "P2")]
    found = timing_run.settled(timing_record(entries, elapsed), orders)
    assert (found is not None) == stops
    if stops:
        assert found == "once its retries were over (10 s of guide time without a submit)"


def test_a_timed_rule_takes_the_timing_runs_verdict_and_says_so() -> None:
    rules = {rule.id: rule for rule in RULES}
    main = [Graded(rules["retry-backoff"], Verdict(NOT_EXERCISED, "undecided")),
            Graded(rules["retry-transient"], Verdict(PASS, "retried"))]  # fmt: skip
    timing = [Graded(rules["retry-backoff"], Verdict(FAIL, "too soon", ["#10 ... retry 1 after 0.10 s"])),
              Graded(rules["retry-transient"], Verdict(FAIL, "not retried"))]  # fmt: skip
    backoff, transient = timing_run.merged(main, timing)
    assert backoff.verdict.verdict == FAIL and backoff.verdict.evidence == ["timing run: #10 ... retry 1 after 0.10 s"]
    assert backoff.verdict.reason == f"too soon (on the timing run, at time scale {TIMING_TIME_SCALE:g})"
    assert transient.verdict.verdict == PASS  # not a timed rule: the main run decides it
