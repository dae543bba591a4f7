"""The contract suite's pure parts on their own: the model that checks a history (contract_tests/model.py), and the
order plan under a cap (contract_tests/budget.py). Histories are written by hand, one rule broken in each, and every
correct history of the same shape must pass: a checker that flags nothing, or everything, fails here."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import unquote

import pytest

from contract_tests.budget import Need, plan, smallest_cap
from contract_tests.model import READ, SUBMIT, Op, altered_ids, check, spelled_ids

A1, A2 = str(uuid.uuid4()), str(uuid.uuid4())


def _no_read_back_fault(order: dict[str, Any], cart: dict[str, Any], order_id: str) -> str | None:
    return None if order.get("id") == order_id else f"read back id {order.get('id')}"


class History:
    """Ops one after the other (each ends before the next begins) unless `overlap` is given."""

    def __init__(self) -> None:
        self.ops: list[Op] = []
        self.clock = 0.0

    def add(self, op: Op, overlap: bool = False) -> Op:
        op.index = len(self.ops)
        if overlap and self.ops:
            op.start = self.ops[-1].start
        else:
            op.start = self.clock + 0.01
        op.end = op.start + 0.005
        self.clock = max(self.clock, op.end)
        self.ops.append(op)
        return op

    def submit(self, partner: str, key: str | None, payload: str, status: int, order: str | None = None,
               *, mapped: bool = True, overlap: bool = False) -> Op:  # fmt: skip
        body = {"supplier_order_id": order, "status": "PENDING_CONFIRMATION"} if order else None
        cart = {"payload": payload}
        return self.add(Op(0, partner, SUBMIT, 0.0, key=key, payload=payload, mapped=mapped, cart=cart,
                           status=status, body=body), overlap)  # fmt: skip

    def read(self, partner: str, order_id: str, of: str | None, status: int, spelling: str = "exact",
             *, body_id: str | None = None, overlap: bool = False) -> Op:  # fmt: skip
        body = {"id": body_id or of, "partner_order_id": "JSCT-1"} if status == 200 else {"error": "x"}
        return self.add(Op(0, partner, READ, 0.0, order_id=order_id, of_order=of, spelling=spelling,
                           status=status, body=body), overlap)  # fmt: skip

    def rules(self) -> list[str]:
        return [violation.rule for violation in check(self.ops, _no_read_back_fault)]


def correct() -> History:
    """Both partners, keys, a replay, a conflict and a replay after it, reads of own and other's, an altered id."""
    h = History()
    h.submit("A", "k1", "p1", 200, A1)
    h.submit("B", "k1", "p2", 200, A2)  # the same key for another partner: a new order
    h.submit("A", "k1", "p1", 200, A1)  # replay
    h.submit("A", "k1", "p3", 409)  # conflict
    h.submit("A", "k1", "p1", 200, A1)  # the first payload still replays
    h.submit("A", "k2", "p4", 204, mapped=False)
    h.read("A", A1, A1, 200)
    h.read("A", A1.upper(), A1, 200, "upper case")
    h.read("B", A1, A1, 403)
    h.read("A", A2, A2, 403)
    h.read("B", A2, A2, 200)
    h.read("A", A1[:-1], A1, 404, "shortened")
    return h


def test_a_correct_history_breaks_no_rule() -> None:
    assert correct().rules() == []


def test_overlapping_requests_may_take_effect_in_either_order() -> None:
    h = History()
    h.submit("A", "k1", "p1", 200, A1)
    h.read("A", A2, A2, 404, overlap=True)  # its submit is still in flight: not yet there
    h.submit("B", "k9", "p2", 200, A2, overlap=True)
    h.submit("A", "k1", "p1", 200, A1, overlap=True)  # a duplicate in flight replays
    assert h.rules() == []
    h.submit("A", "k1", "p1", 409, overlap=True)  # the guide's 409 is for another payload only
    assert h.rules() == ["409 with no other payload ever sent under the key"]


BROKEN: dict[str, tuple[str, list[tuple[str, tuple[Any, ...], dict[str, Any]]]]] = {
    "lost order": ("a 200 whose order then reads 404", [("read", ("A", A1, A1, 404), {})]),
    "swapped owner": ("the owner reads 403", [("read", ("A", A1, A1, 403), {})]),
    "leaked order": ("the other partner reads it", [("read", ("B", A1, A1, 200), {})]),
    "rewritten record": ("the first payload 409 after a conflict", [("submit", ("A", "k1", "p1", 409), {})]),
    "conflict replayed": ("another payload replays", [("submit", ("A", "k1", "p9", 200, A1), {})]),
    "altered id found": ("a shortened id reads the order", [("read", ("A", A1[:-1], A1, 200, "shortened"), {})]),
    "extended id found": ("an extended id reads", [("read", ("A", A1 + "0", A1, 200, "extended"), {})]),
    "one order twice": ("two keys, one order id", [("submit", ("A", "k5", "p5", 200, A1), {})]),
    "server error": ("a 500 to a valid cart", [("submit", ("A", "k6", "p6", 500), {})]),
    "unmapped ordered": ("a cart without a mapped SKU makes an order",
                         [("submit", ("A", "k7", "p7", 200, str(uuid.uuid4())), {"mapped": False})]),
    "wrong order read": ("the read names another order", [("read", ("A", A1, A1, 200), {"body_id": A2})]),
}  # fmt: skip


@pytest.mark.parametrize("defect", BROKEN, ids=list(BROKEN))
def test_a_history_that_breaks_one_rule_is_caught(defect: str) -> None:
    h = correct()
    for kind, args, options in BROKEN[defect][1]:
        getattr(h, kind)(*args, **options)
    found = check(h.ops, _no_read_back_fault)
    assert found, f"{defect} ({BROKEN[defect][0]}) passed the model"
    assert all(op in h.ops for violation in found for op in violation.ops)
    assert any(h.ops[-1] in violation.ops for violation in found), [v.rule for v in found]


def test_the_ids_the_workload_alters_name_no_order_and_its_spellings_name_the_same() -> None:
    order_id = str(uuid.uuid4())
    altered = altered_ids(order_id)
    assert len(altered) >= 3 and order_id not in altered.values()
    spelled = spelled_ids(order_id)
    assert {"upper case", "no dashes"} <= set(spelled)
    assert all(uuid.UUID(unquote(text)) == uuid.UUID(order_id) for text in spelled.values())


@pytest.mark.parametrize(
    ("available", "allowances", "examples"),
    [
        (None, None, {}),  # no cap: nothing planned
        (4, {"t1": 1, "t2": 3, "p": 0}, {"p": 0}),  # the first tests fit, the property skips
        (5, {"t1": 1, "t2": 3, "p": 1}, {"p": 1}),  # every test at its smallest
        (12, {"t1": 1, "t2": 3, "p": 8}, {"p": 8}),  # the rest to more examples, up to its 10
        (100, {"t1": 1, "t2": 3, "p": 10}, {"p": 10}),
    ],
)
def test_the_order_plan_gives_each_test_its_smallest_then_shares_the_rest(
    available: int | None, allowances: dict[str, int] | None, examples: dict[str, int]
) -> None:
    needs = [Need("t1", 1), Need("t2", 3), Need("p", 1, per_example=1, examples=10)]
    made = plan(needs, available)
    assert made.minimum == 5
    assert made.fits == (available is None or available >= 5)
    for test in ("t1", "t2", "p"):
        assert made.allowance(test) == (None if allowances is None else allowances[test])
    assert made.examples == examples
    if available is not None:
        assert sum(made.allowances.values()) <= available


def test_the_smallest_cap_is_what_every_test_needs_and_the_pre_flight() -> None:
    needs = [Need("t1", 1), Need("t2", 3), Need("p", 2, per_example=2, examples=10)]
    assert smallest_cap(needs, 1) == 7
    assert plan(needs, 6).fits and not plan(needs, 5).fits
