"""The one count of what the run does to the target: requests, answers by status, orders created and their cap."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import pytest

from contract_tests.budget import Plan


class Answer(Protocol):
    """What the ledger reads of an answer: httpx's (the hand-written properties) or schemathesis' (generated cases)."""

    @property
    def status_code(self) -> int: ...

    def json(self) -> Any: ...


AnswerT = TypeVar("AnswerT", bound=Answer)


@dataclass(frozen=True)
class CreatedOrder:
    """An order the run created on the target: for the report a staging cleans up from."""

    id: str
    partner_order_id: str
    test: str  # the test that created it ("pre-flight" for the pre-flight's)


class OrderLedger:
    """Counts the orders the run creates on the target and holds each test to its share of JAFARSHOP_MAX_ORDERS."""

    def __init__(self, cap: int | None, preflight: Sequence[Mapping[str, str]] = (), preflight_orders: int = 0) -> None:
        self.cap = cap
        self.plan = Plan(None, 0)
        self.created: dict[str, CreatedOrder] = {}
        for order in preflight:
            self.created[order["id"]] = CreatedOrder(order["id"], order.get("partner_order_id", ""), "pre-flight")
        self.preflight_orders = max(preflight_orders, len(self.created))  # created before the tests, by the runner
        self.requests = 0
        self.statuses: Counter[tuple[str, int]] = Counter()  # (operationId, status) -> answers seen, for coverage
        self.current_test = ""  # the test now running (conftest sets it): each order is counted against it
        self.by_test: Counter[str] = Counter()
        self.unplanned = 0  # orders a test created past its share (under a cap)
        self.keys_with_orders: set[tuple[str, str]] = set()  # (Authorization, Idempotency-Key) answered with an order
        self._lock = threading.Lock()

    @property
    def available(self) -> int | None:
        """Orders the tests may create: the cap less the pre-flight's; None without a cap."""
        return None if self.cap is None else max(0, self.cap - self.preflight_orders)

    def left_for_test(self) -> int | None:
        """Orders the running test may still create under its allowance; None without a cap."""
        allowance = self.plan.allowance(self.current_test)
        return None if allowance is None else max(0, allowance - self.by_test[self.current_test])

    def _hold_to_the_cap(self, keyed: tuple[str, str] | None) -> None:
        """Under a cap, skip the running test before a submit that could create an order the plan did not give it.
        A test creates what its share allows; past it, its submits are ones a correct target creates nothing for (a
        replay or a conflict under a key that has its order, a refusal, a cart without a mapped SKU), and they go
        while the run is within the plan. Once an order came that no plan gave (a defect: the target made an order
        where it should not), or the cap is reached, such submits skip: the plan keeps one order of the cap for it
        (conftest.HEADROOM), so a defect costs at most that one, never more than the cap."""
        available = self.available
        if available is None or (keyed is not None and keyed in self.keys_with_orders):
            return
        allowance = self.plan.allowance(self.current_test) or 0
        if self.by_test[self.current_test] < allowance:
            return  # the plan reserved it
        tests_orders = len(self.created) - self.preflight_in_created
        if self.unplanned or tests_orders >= available:
            reason = (
                "reached"
                if tests_orders >= available
                else f"reached for what the plan did not give ({self.unplanned} unplanned order(s) came)"
            )
            pytest.skip(
                f"JAFARSHOP_MAX_ORDERS={self.cap} {reason}: this test (its share: {allowance} orders) would submit a "
                "cart that may create another; raise the cap to run it"
            )

    @property
    def preflight_in_created(self) -> int:
        return sum(order.test == "pre-flight" for order in self.created.values())

    def exchange(
        self,
        method: str,
        send: Callable[[], AnswerT],
        *,
        documented: bool = True,
        partner_order_id: str = "",
        keyed: tuple[str, str] | None = None,
    ) -> AnswerT:
        """Send one request of the partner API (POST is submitCart, GET getOrder: the only two operations) and count
        it: under a cap, a submit first skips the calling test when it has used up its allowance (the plan's), or
        the run the cap; the
        answer's status is counted for coverage unless `documented` is false (a probe with a method the operation
        does not list); an order it created is recorded once, with the test and the `partner_order_id` sent.
        `keyed`: the (Authorization, Idempotency-Key) a submit was sent with, if it had a key."""
        is_submit = method.upper() == "POST"
        with self._lock:
            self.requests += 1
            if is_submit:
                self._hold_to_the_cap(keyed)
        response = send()
        body = None
        if is_submit and response.status_code == 200:
            with contextlib.suppress(ValueError):
                body = response.json()
        with self._lock:
            if documented:
                self.statuses["submitCart" if is_submit else "getOrder", response.status_code] += 1
            if isinstance(body, dict) and isinstance(body.get("supplier_order_id"), str):
                order_id = body["supplier_order_id"]
                if keyed is not None:
                    self.keys_with_orders.add(keyed)
                if order_id not in self.created:
                    self.by_test[self.current_test] += 1
                    allowance = self.plan.allowance(self.current_test)
                    if allowance is not None and self.by_test[self.current_test] > allowance:
                        self.unplanned += 1
                    self.created[order_id] = CreatedOrder(order_id, partner_order_id, self.current_test)
        return response

    def add_preflight(self, requests: int, statuses: list[list[Any]]) -> None:
        """Count what the pre-flight sent and saw (it ran before pytest, in jafarshop-contract)."""
        with self._lock:
            self.requests += requests
            for operation, status, n in statuses:
                self.statuses[operation, int(status)] += n

    def count_request(self) -> None:
        """Count a request outside the partner API (the admin API's): no status, no order."""
        with self._lock:
            self.requests += 1

    @property
    def orders_created(self) -> int:
        """Every order the run created on the target, the pre-flight's included."""
        return len(self.created) + self.preflight_orders - self.preflight_in_created

    def worker_counts(self) -> dict[str, Any]:
        """This process' counts, for a pytest-xdist worker to hand to the controller."""
        return {
            "requests": self.requests,
            "created": [[o.id, o.partner_order_id, o.test] for o in self.created.values() if o.test != "pre-flight"],
            "by_test": dict(self.by_test),
            "statuses": [[operation, status, n] for (operation, status), n in self.statuses.items()],
        }

    def add_worker_counts(self, counts: Mapping[str, Any]) -> None:
        """Add up what a worker did (see `worker_counts`), on the controller."""
        with self._lock:
            self.requests += counts["requests"]
            for order_id, partner_order_id, test in counts["created"]:
                self.created.setdefault(order_id, CreatedOrder(order_id, partner_order_id, test))
            self.by_test.update(counts["by_test"])
            for operation, status, n in counts["statuses"]:
                self.statuses[operation, status] += n
