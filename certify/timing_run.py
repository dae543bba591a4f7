"""The timing run: after the main run, the client meets the main scenario's retry and timeout conditions once more, at
TIMING_TIME_SCALE, where the guide's waits are long next to a reconnect on a loaded machine; the rules marked `timed`
take their verdict from it (docs/certification.md, "Timing under load"). No HTTP here: cli.py runs it."""

from __future__ import annotations

from graders.record import (
    BACKOFF_SECONDS,
    REACTION_SECONDS,
    SETTLE_SECONDS,
    TIMING_TIME_SCALE,
    Condition,
    Record,
    Run,
    Verdict,
)
from graders.rules import RULES, Graded

START_SECONDS = 5.0  # real: the client's own start (a JVM's) before its first request, on top of the schedule


def scenario(main: list[str], scale: float) -> list[str]:
    """The conditions of the main scenario that a timed rule needs, each once, in its order; none when the main run
    is as slow as the timing run already (its verdicts are then as certain)."""
    if scale <= TIMING_TIME_SCALE:
        return []
    needed = {condition for rule in RULES if rule.timed for condition in rule.needs}
    return list(dict.fromkeys(name for name in main if name in needed))


def time_limit(conditions: list[str], slow_seconds: float, main_limit: float) -> float:
    """Real seconds a client that follows the guide needs at most on the timing run (every order retried 3 times,
    the slow answer waited for whole), and START_SECONDS; never more than the main run's limit."""
    guide = SETTLE_SECONDS + sum(
        sum(BACKOFF_SECONDS) + (slow_seconds if name == Condition.SLOW else 0.0) for name in conditions
    )
    return min(main_limit, guide / TIMING_TIME_SCALE + START_SECONDS)


def settled(record: Record, orders: int) -> str | None:
    """Why the timing run can stop, or None: the client submitted its `orders` orders, then nothing for
    SETTLE_SECONDS of guide time (and REACTION_SECONDS real), longer than the guide's longest wait (so its retries are
    over; at the timing run's scale it would poll no order for minutes)."""
    run = Run(record)
    answered = [entry.get("t_answer", entry["t"]) for entry in run.submits]
    if len(run.orders) < orders or not answered:
        return None
    quiet = run.end - max(answered)
    if run.guide(quiet) < SETTLE_SECONDS or quiet < REACTION_SECONDS:
        return None
    return f"once its retries were over ({SETTLE_SECONDS:g} s of guide time without a submit)"


def merged(main: list[Graded], timing: list[Graded]) -> list[Graded]:
    """The main run's verdicts, but a timed rule's from the timing run (its reason and evidence say so)."""
    found = {graded.rule.id: graded for graded in timing}
    result = []
    for graded in main:
        timed = found.get(graded.rule.id) if graded.rule.timed else None
        if timed is None:
            result.append(graded)
            continue
        verdict = Verdict(
            timed.verdict.verdict,
            f"{timed.verdict.reason} (on the timing run, at time scale {TIMING_TIME_SCALE:g})",
            [f"timing run: {item}" for item in timed.verdict.evidence],
        )
        result.append(Graded(graded.rule, verdict, timed.to_exercise))
    return result
