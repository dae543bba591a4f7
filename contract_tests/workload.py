"""The model phase's workload: both partners' requests sent in concurrent rounds, each recorded in a history (model.py
checks it). Seeded: the same seed sends the same requests in the same rounds."""

from __future__ import annotations

import itertools
import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from contract_tests.client import ApiClient, Exchange
from contract_tests.model import ALTERED, EXACT, READ, SUBMIT, UNKNOWN, Op, altered_ids, spelled_ids
from contract_tests.strategies import guide_mixed_cart, new_key, new_partner_order_id

CONCURRENCY = 8  # requests in flight at once: enough to interleave two partners' submits on a real server


@dataclass
class History:
    """The requests of a run, in the order they began, with their answers (thread-safe)."""

    ops: list[Op] = field(default_factory=list)
    origin: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _count: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def record(self, op_fields: dict[str, Any], send: Callable[[], httpx.Response]) -> Op:
        """Send one request, recording when it began and ended and what came back."""
        with self._lock:
            op = Op(index=next(self._count), start=time.monotonic(), **op_fields)
            self.ops.append(op)
        try:
            response = send()
            op.status = response.status_code
            try:
                op.body = response.json()
            except ValueError:
                op.body = None
        except httpx.TransportError as error:  # no answer (the client's own checks of an answer raise: a violation)
            op.error = f"{type(error).__name__}: {str(error)[:120]}"
        op.end = time.monotonic()
        return op


@dataclass(eq=False)  # compared and hashed by identity: one per partner of the run
class Partner:
    name: str  # "A" or "B"
    api: ApiClient


@dataclass
class Workload:
    """Sends the rounds: `orders` is what it may create (keys with a mapped cart, and the two altered keys)."""

    partners: Sequence[Partner]
    mapped_skus: tuple[str, ...]
    unmapped_sku: str
    orders: int
    seed: int
    history: History = field(default_factory=History)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.carts: dict[str, dict[str, Any]] = {}

    # --- requests --------------------------------------------------------------------------------------------------

    def cart(self, label: str, *, mapped: bool = True) -> dict[str, Any]:
        """The cart behind a payload label (made once, from the seed, then always the same JSON value)."""
        if label not in self.carts:
            sku = self.rng.choice(self.mapped_skus) if mapped else f"PARTNER-OWN-{self.rng.randrange(10**8)}"
            cart = guide_mixed_cart(sku, self.unmapped_sku)
            cart["partner_order_id"] = new_partner_order_id(f"MODEL-{label}")
            cart["items"][0]["quantity"] = self.rng.randint(1, 9)
            if self.rng.random() < 0.5:  # lines in both orders: mapped first, or the partner's own first
                cart["items"].reverse()
            self.carts[label] = cart
        return self.carts[label]

    def submit(self, partner: Partner, label: str, key: str | None, *, mapped: bool = True) -> Callable[[], Op]:
        cart = self.cart(label, mapped=mapped)
        fields = {"partner": partner.name, "kind": SUBMIT, "key": key, "payload": label, "mapped": mapped,
                  "cart": cart, "curl": _curl(partner.api, "POST", "/carts/submit", cart, key)}  # fmt: skip
        return lambda: self.history.record(fields, lambda: partner.api.submit(cart, key=key))

    def read(self, partner: Partner, order_id: str, of_order: str | None, spelling: str) -> Callable[[], Op]:
        curl = _curl(partner.api, "GET", f"/orders/{order_id}", None, None)
        fields = {"partner": partner.name, "kind": READ, "order_id": order_id, "of_order": of_order,
                  "spelling": spelling, "curl": curl}  # fmt: skip
        return lambda: self.history.record(fields, lambda: partner.api.get_order(order_id))

    def run_round(self, calls: list[Callable[[], Op]]) -> list[Op]:
        """Send `calls` at once, in an order of the seed's (several at a time), and return their ops."""
        self.rng.shuffle(calls)
        with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
            return list(pool.map(lambda call: call(), calls))

    # --- the rounds ------------------------------------------------------------------------------------------------

    def run(self) -> list[Op]:
        """Round 1: new keys (each sent twice at once, some raced by another payload), carts without a mapped SKU,
        unknown ids. Round 2: replays, new conflicts, reads of every order by both partners in every spelling and
        altered, submits under a key cut by one character and lengthened by one. Round 3, after all of it: each key's
        payload again, and each acknowledged order read by its owner and by the other partner."""
        a_keys = max(2, self.orders - 2)
        keys = [(self.partners[i % len(self.partners)], new_key(self.rng.choice(["uuid", "UUID", "system"])), i)
                for i in range(a_keys)]  # fmt: skip
        first: list[Callable[[], Op]] = []
        for partner, key, i in keys:
            first += [self.submit(partner, f"K{i}", key), self.submit(partner, f"K{i}", key)]
            if i % 2:
                first.append(self.submit(partner, f"K{i}-other", key))
        for partner in self.partners:
            unmapped_key = str(uuid.uuid4())
            first += [self.submit(partner, f"U{partner.name}", unmapped_key, mapped=False)] * 2
            first.append(self.read(partner, str(uuid.uuid4()), None, UNKNOWN))
        self.run_round(first)
        held = self._held()
        second: list[Callable[[], Op]] = []
        for (partner, key), (label, order_id) in held.items():
            other = next(p for p in self.partners if p is not partner)
            second += [self.submit(partner, label, key), self.submit(partner, f"{label}-conflict", key)]
            second.append(self.read(partner, order_id, order_id, EXACT))
            second.append(self.read(other, order_id, order_id, EXACT))
            how, spelled = self.rng.choice(sorted(spelled_ids(order_id).items()))
            second += [self.read(partner, spelled, order_id, how), self.read(other, spelled, order_id, how)]
            how, altered = self.rng.choice(sorted(altered_ids(order_id).items()))
            second += [self.read(partner, altered, order_id, how), self.read(other, altered, order_id, how)]
        if held:
            (partner, key), (label, _) = next(iter(held.items()))
            second += [self.submit(partner, label, key[:-1]), self.submit(partner, label, key + "0")]
        for partner in self.partners:
            second.append(self.submit(partner, f"U{partner.name}", None, mapped=False))
        self.run_round(second)
        third: list[Callable[[], Op]] = []
        for (partner, key), (label, _) in held.items():
            third.append(self.submit(partner, label, key))
        for op in [op for op in self.history.ops if op.created]:
            owner = next(p for p in self.partners if p.name == op.partner)
            other = next(p for p in self.partners if p is not owner)
            assert op.created is not None
            third += [self.read(owner, op.created, op.created, EXACT), self.read(other, op.created, op.created, EXACT)]
        self.run_round(third)
        return self.history.ops

    def _held(self) -> dict[tuple[Partner, str], tuple[str, str]]:
        """(partner, key) -> (the payload that got its order, the order id), from the answers so far."""
        held: dict[tuple[Partner, str], tuple[str, str]] = {}
        for op in self.history.ops:
            if op.created and op.key is not None:
                partner = next(p for p in self.partners if p.name == op.partner)
                held.setdefault((partner, op.key), (op.payload, op.created))
        return held


def _curl(api: ApiClient, method: str, path: str, cart: dict[str, Any] | None, key: str | None) -> str:
    """The request as a curl command, its key named as its environment variable."""
    headers = {"Authorization": f"Bearer {api.api_key}"}
    if cart is not None:
        headers["Content-Type"] = "application/json"
    if key is not None:
        headers["Idempotency-Key"] = key
    body = json.dumps(cart, ensure_ascii=False).encode() if cart is not None else None
    return Exchange(method, f"{api.target.base_url}{path}", headers, body).curl(api.target.secrets)


def describe(ops: list[Op], origin: float) -> str:
    """The requests, one a line, each followed by its curl command."""
    return "\n".join(f"{op.line(origin)}\n      {op.curl}" for op in sorted(ops, key=lambda op: op.start))


__all__ = ["ALTERED", "CONCURRENCY", "History", "Partner", "Workload", "describe"]
