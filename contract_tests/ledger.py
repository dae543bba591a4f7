"""The one count of what the run does to the target: requests, answers by status, orders created and their cap."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

import pytest


class Answer(Protocol):
    """What the ledger reads of an answer: httpx's (the hand-written properties) or schemathesis' (generated cases)."""

    @property
    def status_code(self) -> int: ...

    def json(self) -> Any: ...


AnswerT = TypeVar("AnswerT", bound=Answer)


class OrderLedger:
    """Counts the orders the run creates on the target and enforces JAFARSHOP_MAX_ORDERS."""

    def __init__(self, cap: int | None, cap_name: str = "", preflight_orders: int = 0) -> None:
        self.cap = cap
        self.cap_name = cap_name or f"JAFARSHOP_MAX_ORDERS={cap}"
        self.created: set[str] = set()
        self.preflight_orders = preflight_orders  # created before the tests, by jafarshop-contract's pre-flight
        self.requests = 0
        self.statuses: Counter[tuple[str, int]] = Counter()  # (operationId, status) -> answers seen, for coverage
        self._lock = threading.Lock()

    @classmethod
    def for_run(cls, cap: int | None, preflight: int, workerinput: Mapping[str, Any] | None) -> OrderLedger:
        """What the tests may create: the cap less the pre-flight's orders, and under pytest-xdist (--workers, whose
        `workerinput` says which worker this is) each worker its share of that, so that the run stays under the cap."""
        if cap is None:
            return cls(None, preflight_orders=preflight)
        name = f"JAFARSHOP_MAX_ORDERS={cap}" + (f" (less the pre-flight's {preflight})" if preflight else "")
        left = cap - preflight
        if workerinput is None:
            return cls(left, name, preflight)
        index, count = int(workerinput["workerid"].removeprefix("gw")), int(workerinput["workercount"])
        share = left // count + (1 if index < left % count else 0)
        return cls(share, f"this worker's share ({share}) of {name}", preflight)

    def exchange(self, method: str, send: Callable[[], AnswerT], *, documented: bool = True) -> AnswerT:
        """Send one request of the partner API (POST is submitCart, GET getOrder: the only two operations) and count
        it: a submit first skips the calling test when one more order could pass the cap; the answer's status is
        counted for coverage unless `documented` is false (a probe with a method the operation does not list); an
        order it created is counted once, whatever the checks then say of the answer."""
        is_submit = method.upper() == "POST"
        with self._lock:
            self.requests += 1
            if is_submit and self.cap is not None and len(self.created) >= self.cap:
                pytest.skip(f"{self.cap_name} reached: this test would submit a cart; raise the cap to run it")
        response = send()
        body = None
        if is_submit and response.status_code == 200:
            with contextlib.suppress(ValueError):
                body = response.json()
        with self._lock:
            if documented:
                self.statuses["submitCart" if is_submit else "getOrder", response.status_code] += 1
            if isinstance(body, dict) and isinstance(body.get("supplier_order_id"), str):
                self.created.add(body["supplier_order_id"])
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
        return len(self.created) + self.preflight_orders

    def worker_counts(self) -> dict[str, Any]:
        """This process' counts, for a pytest-xdist worker to hand to the controller."""
        return {
            "requests": self.requests,
            "created": sorted(self.created),
            "statuses": [[operation, status, n] for (operation, status), n in self.statuses.items()],
        }

    def add_worker_counts(self, counts: Mapping[str, Any]) -> None:
        """Add up what a worker did (see `worker_counts`), on the controller."""
        with self._lock:
            self.requests += counts["requests"]
            self.created.update(counts["created"])
            for operation, status, n in counts["statuses"]:
                self.statuses[operation, status] += n
