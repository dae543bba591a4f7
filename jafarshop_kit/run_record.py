"""A certification run's record as the mock writes it (mockserver/model/certification.py, layers/certification.py)
and the graders read it (graders/record.py): the scenario's conditions, what an attempt got, each recorded request
and the run's settings. Types only, so that neither side imports the other for them."""

from __future__ import annotations

from enum import StrEnum
from typing import Required, TypedDict


class Condition(StrEnum):
    """What the scenario does to one partner order (the admin spec's enum, the CLI's choices and decide() read this)."""

    OK = "ok"
    ONCE_503 = "503-once"
    ONCE_500 = "500-once"
    ALWAYS_500 = "500-always"
    DROP_AFTER_CREATE = "drop-after-create"
    SLOW = "slow"
    ONCE_409 = "409-once"
    ALWAYS_422 = "422"
    ALWAYS_204 = "204"
    REJECTED = "rejected"


class Auth(StrEnum):
    """How a recorded request authenticated (mockserver/model/certification.py's classify_authorization words it)."""

    OK = "ok"  # `Bearer <the run's key>`, as the guide writes it
    MISSING = "missing"
    NOT_BEARER = "not-bearer"
    MALFORMED = "malformed"  # white space the guide's form has not
    WRONG_KEY = "wrong-key"


class Imposed(StrEnum):
    """What one attempt gets: the mock's normal answer, an error status in the envelope, a 204, a drop or a delay."""

    NORMAL = "normal"
    STATUS_503 = "503"
    STATUS_500 = "500"
    STATUS_409 = "409"
    STATUS_422 = "422"
    STATUS_204 = "204"
    DROP = "drop"
    SLOW = "slow"

    @property
    def envelope_status(self) -> int | None:
        """The error status this answer sends in the envelope, if it is one."""
        return int(self.value) if self in _ENVELOPE_ANSWERS else None


_ENVELOPE_ANSWERS = {Imposed.STATUS_503, Imposed.STATUS_500, Imposed.STATUS_409, Imposed.STATUS_422}


class Entry(TypedDict, total=False):
    """One recorded partner request: written by mockserver/layers/certification.py, read by graders/record.py."""

    seq: Required[int]  # in the order requests arrived
    t: Required[float]  # real seconds since the run was armed
    t_answer: float  # when the answer's last byte left the mock (or it was dropped), or the client hung up
    method: Required[str]
    path: Required[str]
    query: str
    operation: Required[str | None]  # the partner API's operationId; None for what is not one (the spec, OPTIONS)
    auth: Required[Auth]  # classify_authorization()
    key_in_url: bool
    content_type: str | None
    idempotency_key: str | None
    order_id: str  # getOrder: the id asked for
    partner_order_id: str | None  # submitCart: from the body, None when it has none
    body_hash: str | None
    body_errors: list[str]
    slot: int  # the order's position in the scenario (1-based)
    condition: Condition
    attempt: int
    imposed: Imposed
    gave_up_at: float | None  # a slow answer: when the client hung up before it came
    status: int
    answered: bool  # the answer reached the client whole
    supplier_order_id: str
    order_status: str


class Settings(TypedDict):
    """A run's settings, as every answer of /__admin/certification gives them."""

    partner_id: str
    api_key: str  # a throwaway for the run: the admin token holder may read it back
    time_scale: float
    scenario: list[str]
    conditions: dict[str, str]
    slow_seconds: float
    lifecycle_minutes: dict[str, float]
    elapsed: float
    orders_seen: int
    mapped_skus: list[str]  # SKUs the client's carts may use
    unmapped_sku: str


class RunRecord(Settings):
    """What GET /__admin/certification answers."""

    entries: list[Entry]
    dropped_entries: int
