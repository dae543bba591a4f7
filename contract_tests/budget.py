"""The order budget: how many orders each test may create under JAFARSHOP_MAX_ORDERS, and the smallest cap that lets
every test run.

Every test that creates orders says so with `@pytest.mark.orders(at_least, per_example=0)`: the orders it creates at
its smallest (one example, for a property test) and, for a property test, the orders each further example costs. Under
a cap the plan gives each test its `at_least` and shares what is left among the property tests, one example at a time,
up to the examples they run without a cap; the ledger then holds each test to its own allowance, so that the run stays
under the cap whatever runs in parallel. A test without the mark may create no order under a cap (its submit skips,
and the coverage report says so): the kit's own tests run the suite at the smallest cap and require full coverage, so
a missing or too small mark fails there. Without a cap nothing is planned: every test runs its full examples.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Need:
    """What one collected test says it creates."""

    test: str  # the test's node id
    at_least: int  # orders at its smallest
    per_example: int = 0  # a property test: orders each further example costs (0: a fixed number)
    examples: int = 1  # examples it runs without a cap


@dataclass(frozen=True)
class Plan:
    """Orders each test may create, and examples each property test runs, under a cap of `available` orders."""

    available: int | None  # orders the tests may create (the cap less the pre-flight's); None: no cap
    minimum: int  # what every test needs at its smallest
    allowances: dict[str, int] = field(default_factory=dict)
    examples: dict[str, int] = field(default_factory=dict)

    @property
    def fits(self) -> bool:
        """Whether every test gets what it needs at its smallest."""
        return self.available is None or self.available >= self.minimum

    def allowance(self, test: str) -> int | None:
        """Orders `test` may create; None without a cap."""
        return None if self.available is None else self.allowances.get(test, 0)


def plan(needs: Sequence[Need], available: int | None) -> Plan:
    """Share `available` orders out among `needs` (see the module's docstring)."""
    minimum = sum(need.at_least for need in needs)
    if available is None:
        return Plan(None, minimum)
    allowances: dict[str, int] = {}
    examples: dict[str, int] = {}
    left = available
    for need in needs:  # in collection order: with too small a cap the first tests run and the rest skip
        given = need.at_least if need.at_least <= left else 0
        allowances[need.test] = given
        left -= given
        if need.per_example:
            examples[need.test] = 1 if given else 0
    growing = [need for need in needs if need.per_example and allowances[need.test]]
    while growing and left > 0:
        for need in list(growing):
            if examples[need.test] >= need.examples or need.per_example > left:
                growing.remove(need)
                continue
            examples[need.test] += 1
            allowances[need.test] += need.per_example
            left -= need.per_example
    return Plan(available, minimum, allowances, examples)


def smallest_cap(needs: Sequence[Need], preflight_orders: int) -> int:
    """The smallest JAFARSHOP_MAX_ORDERS that lets every test in `needs` run."""
    return preflight_orders + sum(need.at_least for need in needs)
