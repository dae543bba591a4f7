"""A model of the guide's rules for a whole history of concurrent requests, checked after the fact (as Jepsen's and
Elle's checkers do): who owns each order, what each (partner, key) holds, what each order reads back, what is 404.

A history is every request two partners sent, each with when it began and when its answer ended (this machine's
monotonic clock) and what came back. Requests that overlapped in time may have taken effect in either order; a rule
that orders two requests applies only where one ended before the other began. Plain Python: no HTTP here.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

SUBMIT, READ = "submit", "read"
# How a read's order id was written, from the id of an order the history created (or of none).
EXACT = "exact"
SPELLINGS = ("upper case", "lower case", "no dashes", "braces", "URN")  # may read the order, for its owner only
ALTERED = ("shortened", "extended", "one character changed")  # another id: no order has it
UNKNOWN = "unknown"  # a fresh UUID


@dataclass
class Op:
    """One request of the history and its answer."""

    index: int
    partner: str  # "A" or "B": which of the run's two keys sent it
    kind: str  # SUBMIT or READ
    start: float
    end: float = 0.0
    # a submit
    key: str | None = None
    payload: str = ""  # a label of the cart sent: equal labels, the same JSON value
    mapped: bool = True  # whether the cart holds a mapped SKU
    cart: dict[str, Any] | None = None
    # a read
    order_id: str = ""  # as sent
    of_order: str | None = None  # the order it was spelled from (None: no order's)
    spelling: str = EXACT
    # the answer
    status: int | None = None  # None: no answer (dropped, timed out)
    body: Any = None
    error: str = ""
    curl: str = ""

    @property
    def created(self) -> str | None:
        """The order id a submit's 200 names."""
        if self.kind == SUBMIT and self.status == 200 and isinstance(self.body, dict):
            value = self.body.get("supplier_order_id")
            return value if isinstance(value, str) else None
        return None

    def line(self, origin: float) -> str:
        """The request and its answer on one line, with its times from the history's start."""
        times = f"{self.start - origin:7.3f}-{self.end - origin:7.3f} s"
        if self.kind == SUBMIT:
            what = f"submit cart {self.payload}{'' if self.mapped else ' (no mapped SKU)'} key={self.key or '(none)'}"
        else:
            what = f"read {self.spelling} id {self.order_id}"
        answer = f"{self.status}" if self.status is not None else f"no answer ({self.error})"
        if self.created:
            answer += f" {self.created}"
        elif self.kind == READ and self.status == 200 and isinstance(self.body, dict):
            answer += f" order {self.body.get('id')} of {self.body.get('partner_order_id')!r}"
        return f"#{self.index:<3} partner {self.partner} {times}  {what} -> {answer}"


@dataclass
class Violation:
    """A rule a history breaks, with the fewest requests that show it."""

    rule: str
    ops: list[Op] = field(default_factory=list)


def same_order(a: str, b: str) -> bool:
    """Whether two order ids name the same UUID (any case, with or without dashes)."""
    try:
        return uuid.UUID(a) == uuid.UUID(b)
    except ValueError:
        return a == b


def _before(first: Op, second: Op) -> bool:
    """Whether `first`'s answer ended before `second` began: only then must `second` see `first`'s effect."""
    return first.end < second.start


ReadBackCheck = Callable[[dict[str, Any], dict[str, Any], str], str | None]


def check(history: Iterable[Op], read_back: ReadBackCheck) -> list[Violation]:
    """Every violation of the guide's rules in `history`. `read_back(order, cart, order_id)` says what is wrong with
    an order read back for the cart that created it (None: nothing)."""
    ops = sorted(history, key=lambda op: op.start)
    found: list[Violation] = []
    submits = [op for op in ops if op.kind == SUBMIT]
    found += _answers(ops)
    found += _keys(submits)
    owners = _owners(submits, found)
    found += _reads([op for op in ops if op.kind == READ], owners, read_back)
    return found


def _answers(ops: list[Op]) -> list[Violation]:
    """Each answer is one the guide documents for it: a mapped cart 200 or 409, a cart without one 204 or 409."""
    found = []
    for op in ops:
        if op.status is None or op.status >= 500:
            found.append(Violation(f"a valid request got {op.error or op.status}: the API answers every request", [op]))
        elif op.kind == SUBMIT and op.status not in ((200, 409) if op.mapped else (204, 409)):
            expected = "200 (an order) or 409" if op.mapped else "204 (no JafarShop product) or 409"
            found.append(Violation(f"a valid cart got {op.status}; the guide answers {expected}", [op]))
        elif op.kind == SUBMIT and op.status == 409 and op.key is None:
            found.append(Violation("a submit without an Idempotency-Key got 409: it conflicts with nothing", [op]))
    return found


def _keys(submits: list[Op]) -> list[Violation]:
    """What each (partner, key) holds: one payload, one order; its replays that order; any other payload 409."""
    found = []
    by_key: dict[tuple[str, str], list[Op]] = defaultdict(list)
    for op in submits:
        if op.key is not None and op.status in (200, 204, 409):
            by_key[op.partner, op.key].append(op)
    for (_, _key), group in by_key.items():
        taken = [op for op in group if op.status in (200, 204)]
        first = min(taken, key=lambda op: op.end, default=None)
        for op in taken:
            if op.payload != taken[0].payload:
                found.append(Violation("one key took two different payloads (the second must be 409)",
                                       [taken[0], op]))  # fmt: skip
                break
            if op.created != taken[0].created:
                found.append(Violation("one key and one payload created two orders (a replay must return the first)",
                                       [taken[0], op]))  # fmt: skip
                break
        if first is not None:
            for op in group:
                if not _before(first, op):
                    continue
                if op.payload == first.payload and op.status == 409:
                    rule = ("the key's own payload, sent after its answer, was 409: the key's record no longer holds "
                            "its first payload (rewritten by another request?)")  # fmt: skip
                    found.append(Violation(rule, _with_conflicts(group, first, op)))
                elif op.payload != first.payload and op.status != 409:
                    found.append(Violation("another payload under a key that holds one must be 409", [first, op]))
        for op in group:
            if op.status == 409 and not any(o.payload != op.payload and o.start < op.end for o in group):
                found.append(Violation("409 with no other payload ever sent under the key", [op]))
    return found


def _with_conflicts(group: list[Op], first: Op, op: Op) -> list[Op]:
    """The requests that show a rewritten record: the first answer, the conflicts between, the refused replay."""
    between = [o for o in group if o.payload != first.payload and o.start < op.start]
    return [first, *between[:2], op]


def _owners(submits: list[Op], found: list[Violation]) -> dict[str, Op]:
    """Each order id the history acknowledged -> the submit that made it; two submits that are no replay of each
    other sharing an id are a violation."""
    owners: dict[str, Op] = {}
    for op in submits:
        order_id = op.created
        if order_id is None:
            continue
        try:
            uuid.UUID(order_id)
        except ValueError:
            found.append(Violation(f"supplier_order_id {order_id!r} is not a UUID", [op]))
        known = next((owner for seen, owner in owners.items() if same_order(seen, order_id)), None)
        if known is None:
            owners[order_id] = op
        elif (known.partner, known.key, known.payload) != (op.partner, op.key, op.payload) or op.key is None:
            who = "two partners" if known.partner != op.partner else "two different submissions"
            found.append(Violation(f"{who} got the same order id: orders mixed up", [known, op]))
    return owners


def _reads(reads: list[Op], owners: dict[str, Op], read_back: ReadBackCheck) -> list[Violation]:
    """Who may read each order, and what it reads: the owner its order, the other partner 403, an altered or unknown
    id nobody (404, or 400 for a form the target refuses)."""
    found = []
    for op in reads:
        if op.status is None or op.status >= 500:
            continue  # _answers reported it
        made = owners.get(op.of_order) if op.of_order else None
        if op.spelling in ALTERED or op.spelling == UNKNOWN or made is None:
            if op.status not in (400, 404):
                found.append(Violation(f"an order id that names no order ({op.spelling}) must be 404 (or 400), got "
                                       f"{op.status}", [*([made] if made else []), op]))  # fmt: skip
            continue
        created_before = _before(made, op)
        if op.partner != made.partner:
            allowed = (403,) if op.spelling == EXACT and created_before else (403, 400, 404)
            if op.status not in allowed:
                found.append(Violation(f"another partner's order must be 403 (never the order), got {op.status}",
                                       [made, op]))  # fmt: skip
            continue
        allowed = (200,) if op.spelling == EXACT and created_before else (200, 400, 404)
        if op.status not in allowed:
            lost = " (an acknowledged order lost?)" if op.status == 404 else ""
            found.append(Violation(f"the partner's own order must read 200, got {op.status}{lost}", [made, op]))
            continue
        if op.status == 200:
            assert made.cart is not None
            body = op.body if isinstance(op.body, dict) else {}
            if not same_order(str(body.get("id")), made.created or ""):
                found.append(Violation("a read of one order answered another", [made, op]))
                continue
            problem = read_back(body, made.cart, made.created or "")
            if problem:
                found.append(Violation(f"the order reads back otherwise than it was submitted: {problem}", [made, op]))
    return found


def shortest(violations: list[Violation]) -> Violation:
    """The violation shown with the fewest requests."""
    return min(violations, key=lambda violation: len(violation.ops))


def altered_ids(order_id: str) -> dict[str, str]:
    """Ids that differ from `order_id` as a careless lookup would still match: cut, lengthened, one character off."""
    last = order_id[-1]
    changed = "0" if last != "0" else "1"
    return {"shortened": order_id[:-1], "extended": order_id + "0", "one character changed": order_id[:-1] + changed}


def spelled_ids(order_id: str) -> dict[str, str]:
    """Other spellings of a UUID a target may read as the same order (the identifiers decision; Python's uuid.UUID()
    and Go's uuid.Parse, for two, read them all): upper case, lower case, without dashes, in braces (percent-encoded),
    as a URN."""
    spellings = {
        "upper case": order_id.upper(),
        "lower case": order_id.lower(),
        "no dashes": order_id.replace("-", ""),
        "braces": f"%7B{order_id}%7D",
        "URN": f"urn:uuid:{order_id}",
    }
    return {how: spelled for how, spelled in spellings.items() if spelled != order_id}
