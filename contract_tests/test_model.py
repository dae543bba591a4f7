"""The whole API under concurrency and in sequences, checked against a model of the guide (model.py): both partners'
submits, replays, conflicts, carts without a mapped SKU and reads in every spelling, recorded in a history whose every
answer the model checks. A failure shows the fewest requests that break a rule, with curl commands to replay them, and
the seed that makes the run again (JAFARSHOP_SEED)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from contract_tests.checks import assert_order_matches_cart, assert_order_shape
from contract_tests.client import ApiClient
from contract_tests.ledger import OrderLedger
from contract_tests.model import EXACT, UNKNOWN, Op, Violation, altered_ids, check, shortest, spelled_ids
from contract_tests.target import Target
from contract_tests.workload import Partner, Workload, describe

# The workload's orders at its smallest: two keys of each partner's would be four, and the two altered keys; the plan
# adds one key an example.
SMALLEST = 6


def read_back_problem(target: Target) -> Any:
    """model.check's read-back rule: the contract's own (checks.py), as one line or None."""

    def problem(order: dict[str, Any], cart: dict[str, Any], order_id: str) -> str | None:
        try:
            assert_order_shape(order)
            assert_order_matches_cart(order, cart, order_id, target)
        except AssertionError as exc:
            return str(exc).splitlines()[0][:300]
        return None

    return problem


def report(violations: list[Violation], ops: list[Op], origin: float, seed: int) -> str:
    worst = shortest(violations)
    others = sorted({v.rule for v in violations} - {worst.rule})
    more = f"\n\nThe history breaks {len(violations) - 1} more: {'; '.join(others)[:800]}" if others else ""
    return (
        f"{worst.rule}.\nThe fewest requests of the history ({len(ops)} requests, seed {seed}: JAFARSHOP_SEED={seed} "
        f"sends them again) that show it, with curl commands that replay them (keys as $JAFARSHOP_API_KEY, "
        f"$JAFARSHOP_OTHER_API_KEY):\n{describe(worst.ops, origin)}{more}"
    )


@pytest.mark.orders(SMALLEST, per_example=1)
def test_concurrent_workload_of_both_partners_keeps_every_rule_of_the_model(
    api: ApiClient, other_api: ApiClient, target: Target, property_examples: int, seed: int
) -> None:
    """Lost orders, owners swapped under concurrent submits, an idempotency record rewritten by a conflict, an order
    found by an altered id: any history of this workload that a correct target could not have given fails here."""
    workload = Workload(
        [Partner("A", api), Partner("B", other_api)], target.mapped_skus, target.unmapped_sku,
        orders=SMALLEST - 1 + property_examples, seed=seed,
    )  # fmt: skip
    ops = workload.run()
    violations = check(ops, read_back_problem(target))
    assert not violations, report(violations, ops, workload.history.origin, seed)


class SequencesOfTheGuide(RuleBasedStateMachine):
    """The same model, one request at a time: hypothesis draws sequences of submits, replays, conflicts and reads of
    both partners and, where it can, shrinks a failing one to the shortest that still fails."""

    apis: dict[str, ApiClient]
    target: Target
    ledger: OrderLedger
    seed: int = 0
    keys = Bundle("keys")

    def __init__(self) -> None:
        super().__init__()
        self.workload = Workload([Partner(n, a) for n, a in self.apis.items()], self.target.mapped_skus,
                                 self.target.unmapped_sku, orders=0, seed=self.seed)  # fmt: skip
        self.labels = 0

    def _partner(self, name: str) -> Partner:
        return next(p for p in self.workload.partners if p.name == name)

    def _orders_left(self) -> bool:
        left = self.ledger.left_for_test()
        return left is None or left > 0

    @rule(target=keys, partner=st.sampled_from(["A", "B"]), form=st.sampled_from(["uuid", "UUID", "system"]))
    def new_order(self, partner: str, form: str) -> tuple[str, str, str]:
        from contract_tests.strategies import new_key

        key = new_key(form)
        if not self._orders_left():
            return (partner, key, "")
        self.labels += 1
        label = f"S{self.labels}"
        self.workload.submit(self._partner(partner), label, key)()
        return (partner, key, label)

    @rule(held=keys)
    def replay(self, held: tuple[str, str, str]) -> None:
        partner, key, label = held
        if label:
            self.workload.submit(self._partner(partner), label, key)()

    @rule(held=keys)
    def conflict(self, held: tuple[str, str, str]) -> None:
        partner, key, label = held
        if label:
            self.labels += 1
            self.workload.submit(self._partner(partner), f"{label}-c{self.labels}", key)()

    @rule(partner=st.sampled_from(["A", "B"]))
    def cart_without_mapped_sku(self, partner: str) -> None:
        self.labels += 1
        self.workload.submit(self._partner(partner), f"U{self.labels}", None, mapped=False)()

    @rule(held=keys, reader=st.sampled_from(["A", "B"]), how=st.sampled_from(["exact", "spelled", "altered"]))
    def read(self, held: tuple[str, str, str], reader: str, how: str) -> None:
        order = next((op.created for op in self.workload.history.ops if op.key == held[1] and op.created), None)
        if order is None:
            self.workload.read(self._partner(reader), "00000000-0000-4000-8000-000000000000", None, UNKNOWN)()
            return
        choices = {"exact": {EXACT: order}, "spelled": spelled_ids(order), "altered": altered_ids(order)}[how]
        spelling, order_id = sorted(choices.items())[0]
        self.workload.read(self._partner(reader), order_id, order, spelling)()

    @invariant()
    def every_answer_keeps_the_model(self) -> None:
        ops = self.workload.history.ops
        violations = check(ops, read_back_problem(self.target))
        assert not violations, report(violations, ops, self.workload.history.origin, self.seed)


@pytest.mark.orders(2, per_example=2)
def test_sequences_of_both_partners_keep_every_rule_of_the_model(
    api: ApiClient, other_api: ApiClient, target: Target, ledger: OrderLedger, property_examples: int, seed: int
) -> None:
    """Shrinks a failure to the shortest sequence that still fails where it may spend the orders (no cap, or
    JAFARSHOP_SHRINK=1)."""
    SequencesOfTheGuide.apis = {"A": api, "B": other_api}
    SequencesOfTheGuide.target, SequencesOfTheGuide.ledger, SequencesOfTheGuide.seed = target, ledger, seed
    shrink = target.shrink or target.max_orders is None
    phases = (Phase.generate, Phase.shrink) if shrink else (Phase.generate,)
    run_state_machine_as_test(SequencesOfTheGuide, settings=settings(
        max_examples=max(1, property_examples // 5), stateful_step_count=10, phases=phases, deadline=None,
        database=None, suppress_health_check=list(HealthCheck),
    ))  # fmt: skip
