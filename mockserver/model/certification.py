"""Certification: a run's conditions, clock and record (the layer that applies them is layers/certification.py).

Armed through the admin API (POST /__admin/certification) by `jafarshop-certify`. While armed, every partner request
is recorded with what the guide's client rules need (how it authenticated, its Idempotency-Key, a digest of its body,
its partner_order_id, times, the answer), and each new partner order of the certification partner takes the next
condition of the scenario: a 503 or 500 before it succeeds, a 500 that never ends, a dropped connection after the order
was made, a slow answer, a 409, a 422, a 204, a rejection. Orders then move through their lifecycle on a clock that
runs `time_scale` times faster than the guide's. The grading itself is done by `graders/`, from this record.
Unarmed, the layer is a single attribute test per request.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

# The record's types, shared with the graders (jafarshop_kit/run_record.py); the mock reads them from here.
from jafarshop_kit.run_record import Condition as Condition
from jafarshop_kit.run_record import Entry as Entry
from jafarshop_kit.run_record import Imposed as Imposed
from jafarshop_kit.run_record import RunRecord as RunRecord
from jafarshop_kit.run_record import Settings as Settings
from mockserver.model.credentials import bearer_token
from mockserver.model.domain import Conflict, Status, ValidationFailed

if TYPE_CHECKING:
    from mockserver.model.stores import Partners


# Each condition: what the first attempt of the order gets, whether later attempts get the same, and in words.
CONDITION_TABLE: dict[Condition, tuple[Imposed, bool, str]] = {
    Condition.OK: (Imposed.NORMAL, True,
        "the mock's normal answer; the order goes PENDING_CONFIRMATION -> CONFIRMED -> SHIPPED -> DELIVERED"),
    Condition.ONCE_503: (Imposed.STATUS_503, False,
        "503 Service Unavailable on the first attempt, then the normal answer"),
    Condition.ONCE_500: (Imposed.STATUS_500, False,
        "500 Internal Server Error on the first attempt, then the normal answer"),
    Condition.ALWAYS_500: (Imposed.STATUS_500, True,
        "500 on every attempt: the client must give up after at most 3 retries"),
    Condition.DROP_AFTER_CREATE: (Imposed.DROP, False,
        "the first attempt creates the order, then the connection drops before the answer is complete"),
    Condition.SLOW: (Imposed.SLOW, False,
        "the first attempt creates the order, and its answer comes only after `slow_seconds` (guide time)"),
    Condition.ONCE_409: (Imposed.STATUS_409, False,
        "409 Conflict in the envelope on the first attempt, then the normal answer"),
    Condition.ALWAYS_422: (Imposed.STATUS_422, True, "422 Unprocessable Entity in the envelope on every attempt"),
    Condition.ALWAYS_204: (Imposed.STATUS_204, True,
        "204 No Content on every attempt (as for a cart with no JafarShop SKU); no order is created"),
    Condition.REJECTED: (Imposed.NORMAL, True, "the normal answer; the order is then REJECTED with a reason"),
}  # fmt: skip
CONDITIONS: dict[Condition, str] = {condition: words for condition, (_, _, words) in CONDITION_TABLE.items()}
DEFAULT_SCENARIO: tuple[Condition, ...] = tuple(Condition)  # one order of each, in the order above


def decide(condition: Condition, attempt: int) -> Imposed:
    """What this attempt (1-based) of an order under `condition` gets."""
    first, every_attempt, _ = CONDITION_TABLE[condition]
    return first if attempt == 1 or every_attempt else Imposed.NORMAL


# When orders move, in guide minutes after their creation (the clock runs time_scale times faster).
LIFECYCLE_MINUTES = {"confirmed": 6.0, "shipped": 20.0, "delivered": 21.0, "rejected": 1.0}
DEFAULT_TIME_SCALE = 60.0
DEFAULT_SLOW_SECONDS = 60.0  # guide seconds; the kit's decision: a sane client timeout is at most 30 s
MAX_ENTRIES = 20_000
MAX_RECORDED_BODY = 1024 * 1024


@dataclass
class Certification:
    """One certification run: its partner, key, clock and scenario, and the record of every partner request."""

    partner_id: str
    api_key: str  # recognises the key in a header or, wrongly, in a URL; in no entry
    mapped_skus: list[str] = field(default_factory=list)
    unmapped_sku: str = "CERT-UNMAPPED-1"
    time_scale: float = DEFAULT_TIME_SCALE
    scenario: tuple[Condition, ...] = DEFAULT_SCENARIO
    slow_seconds: float = DEFAULT_SLOW_SECONDS
    started: float = field(default_factory=time.monotonic)
    entries: list[Entry] = field(default_factory=list)
    dropped_entries: int = 0
    _slots: dict[str, int] = field(default_factory=dict)
    _attempts: dict[str, int] = field(default_factory=dict)
    _scheduled: set[str] = field(default_factory=set)
    _arrivals: int = 0

    def elapsed(self) -> float:
        return round(time.monotonic() - self.started, 4)

    def condition_for(self, partner_order_id: str) -> tuple[int, Condition, int]:
        """(slot number, condition, attempt) for the next submit of this partner order; new orders take the next."""
        slot = self._slots.setdefault(partner_order_id, len(self._slots))
        attempt = self._attempts[partner_order_id] = self._attempts.get(partner_order_id, 0) + 1
        condition = self.scenario[slot] if slot < len(self.scenario) else Condition.OK
        return slot + 1, condition, attempt

    def first_sight(self, order_id: str) -> bool:
        """Whether this is the first time the run sees this order created (a replay shows the same id again)."""
        if order_id in self._scheduled:
            return False
        self._scheduled.add(order_id)
        return True

    def lifecycle(self, created_at: datetime, condition: Condition | None) -> list[tuple[datetime, Status]]:
        """An order's path through the lifecycle on the run's scaled clock: rejected, or on to delivered."""
        if condition == Condition.REJECTED:
            steps = [("rejected", Status.REJECTED)]
        else:
            steps = [("confirmed", Status.CONFIRMED), ("shipped", Status.SHIPPED), ("delivered", Status.DELIVERED)]
        scale = 60 / self.time_scale
        return [(created_at + timedelta(seconds=LIFECYCLE_MINUTES[name] * scale), status) for name, status in steps]

    def arrival(self) -> int:
        """The number of a request, in the order requests arrived (answers may finish in another order)."""
        self._arrivals += 1
        return self._arrivals

    def record(self, entry: Entry) -> None:
        if len(self.entries) >= MAX_ENTRIES:
            self.dropped_entries += 1
            return
        self.entries.append(entry)

    def as_started(self) -> Settings:
        """What POST /__admin/certification answers: the settings, the key and the SKUs to use."""
        return self.describe()

    def as_record(self) -> RunRecord:
        """What GET /__admin/certification answers: the settings, the key and every request recorded, oldest first."""
        return {**self.describe(), "entries": list(self.entries), "dropped_entries": self.dropped_entries}

    def describe(self) -> Settings:
        """The run's settings, its key and SKUs (a lost terminal need not mean arming again)."""
        return {
            "partner_id": self.partner_id,
            "api_key": self.api_key,
            "time_scale": self.time_scale,
            "scenario": [condition.value for condition in self.scenario],
            "conditions": {condition.value: CONDITIONS[condition] for condition in dict.fromkeys(self.scenario)},
            "slow_seconds": self.slow_seconds,
            "lifecycle_minutes": LIFECYCLE_MINUTES,
            "elapsed": self.elapsed(),
            "orders_seen": len(self._slots),
            "mapped_skus": self.mapped_skus,
            "unmapped_sku": self.unmapped_sku,
        }


PARTNER_NAME = "Certification run"


def start_run(request: Mapping[str, Any], partners: Partners, catalogue: Mapping[str, int]) -> Certification:
    """A new run as POST /__admin/certification asks (scenario, time_scale, slow_seconds, partner_id): its partner
    added, or re-keyed when it is a certification partner already (never a real partner's key taken over)."""
    names = tuple(request.get("scenario") or DEFAULT_SCENARIO)
    unknown = [name for name in names if name not in CONDITIONS]
    if unknown:
        raise ValidationFailed(f"scenario: unknown condition(s) {', '.join(unknown)}; known: {', '.join(CONDITIONS)}")
    scenario = tuple(Condition(name) for name in names)
    mapped = sorted(catalogue)[:3]
    if not mapped:
        raise Conflict("the mock maps no SKU; map one first (PUT /__admin/skus/{sku})")
    partner_id = request.get("partner_id", "certification")
    key = f"cert-key-{secrets.token_urlsafe(18)}"
    existing = partners.get(partner_id)
    if existing is None:
        partners.add(partner_id, PARTNER_NAME, key)
    elif existing.name == PARTNER_NAME:
        partners.rotate_key(partner_id, key)
    else:
        raise Conflict(f"partner {partner_id!r} exists and is not a certification partner; choose another id")
    return Certification(
        partner_id=partner_id,
        api_key=key,
        mapped_skus=mapped,
        unmapped_sku=next(f"CERT-UNMAPPED-{n}" for n in itertools.count(1) if f"CERT-UNMAPPED-{n}" not in catalogue),
        time_scale=float(request.get("time_scale", DEFAULT_TIME_SCALE)),
        scenario=scenario,
        slow_seconds=float(request.get("slow_seconds", DEFAULT_SLOW_SECONDS)),
    )


def classify_authorization(value: str | None, api_key: str) -> str:
    """ "ok" for `Bearer <the key>` as the guide writes it (the scheme's case is free, RFC 9110), else what is wrong:
    "missing", "not-bearer", "malformed" (white space the guide's form has not) or "wrong-key"."""
    if value is None:
        return "missing"
    token = bearer_token(value)
    if token is None:
        return "malformed" if value[:7].lower() in ("bearer ", "bearer\t") else "not-bearer"
    if value != f"{value[:6]} {token}":
        return "malformed"
    return "ok" if token == api_key else "wrong-key"
