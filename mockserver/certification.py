"""Certification: the conditions the mock imposes on a partner's own client, and the record it keeps for the grade.

Armed through the admin API (POST /__admin/certification) by `jafarshop-certify`. While armed, every partner request
is recorded with what the guide's client rules need (how it authenticated, its Idempotency-Key, a digest of its body,
its partner_order_id, times, the answer), and each new partner order of the certification partner takes the next
condition of the scenario: a 503 or 500 before it succeeds, a 500 that never ends, a dropped connection after the order
was made, a slow answer, a 409, a 422, a 204, a rejection. Orders then move through their lifecycle on a clock that
runs `time_scale` times faster than the guide's. The grading itself is done by `certify/`, from this record.
Unarmed, the layer is a single attribute test per request.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from jsonschema import Draft4Validator
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.domain import Status, payload_fingerprint
from mockserver.fastpath import submit_body_check, submit_body_schema
from mockserver.middleware import FAULT_KEY, is_partner_call, partner_operation
from mockserver.spec import PARTNER_SPEC
from mockserver.state import MockState
from mockserver.validation import describe_error, parse_media_type

# Each condition: what the n-th attempt (1-based) of that partner order gets. "normal" is the mock's own answer.
CONDITIONS: dict[str, str] = {
    "ok": "the mock's normal answer; the order goes PENDING_CONFIRMATION -> CONFIRMED -> SHIPPED -> DELIVERED",
    "503-once": "503 Service Unavailable on the first attempt, then the normal answer",
    "500-once": "500 Internal Server Error on the first attempt, then the normal answer",
    "500-always": "500 on every attempt: the client must give up after at most 3 retries",
    "drop-after-create": "the first attempt creates the order, then the connection drops before the answer is complete",
    "slow": "the first attempt creates the order, and its answer comes only after `slow_seconds` (guide time)",
    "409-once": "409 Conflict in the envelope on the first attempt, then the normal answer",
    "422": "422 Unprocessable Entity in the envelope on every attempt",
    "204": "204 No Content on every attempt (as for a cart with no JafarShop SKU); no order is created",
    "rejected": "the normal answer; the order is then REJECTED with a reason",
}
DEFAULT_SCENARIO = (
    "ok",
    "503-once",
    "500-once",
    "500-always",
    "drop-after-create",
    "slow",
    "409-once",
    "422",
    "204",
    "rejected",
)
# When orders move, in guide minutes after their creation (the clock runs time_scale times faster).
LIFECYCLE_MINUTES = {"confirmed": 6.0, "shipped": 20.0, "delivered": 21.0, "rejected": 1.0}
DEFAULT_TIME_SCALE = 60.0
DEFAULT_SLOW_SECONDS = 60.0  # guide seconds; the kit's decision: a sane client timeout is at most 30 s
MAX_ENTRIES = 20_000
MAX_RECORDED_BODY = 1024 * 1024
_ENVELOPES = {
    500: "internal server error",
    503: "service unavailable",
    409: "idempotency key conflict",
    422: "validation failed",
}


@dataclass
class Certification:
    """One certification run: its partner, key, clock and scenario, and the record of every partner request."""

    partner_id: str
    api_key: str  # held to recognise the key (in a header or, wrongly, in a URL); never recorded or returned by GET
    time_scale: float = DEFAULT_TIME_SCALE
    scenario: tuple[str, ...] = DEFAULT_SCENARIO
    slow_seconds: float = DEFAULT_SLOW_SECONDS
    started: float = field(default_factory=time.monotonic)
    entries: list[dict[str, Any]] = field(default_factory=list)
    dropped_entries: int = 0
    _slots: dict[str, int] = field(default_factory=dict)
    _attempts: dict[str, int] = field(default_factory=dict)
    _scheduled: set[str] = field(default_factory=set)

    def elapsed(self) -> float:
        return round(time.monotonic() - self.started, 4)

    def condition_for(self, partner_order_id: str) -> tuple[int, str, int]:
        """(slot number, condition, attempt) for the next submit of this partner order; new orders take the next."""
        slot = self._slots.setdefault(partner_order_id, len(self._slots))
        attempt = self._attempts[partner_order_id] = self._attempts.get(partner_order_id, 0) + 1
        condition = self.scenario[slot] if slot < len(self.scenario) else "ok"
        return slot + 1, condition, attempt

    def schedule(self, state: MockState, order_id: str, condition: str) -> None:
        """Give a newly created order its path through the lifecycle, on the scaled clock (once per order)."""
        if order_id in self._scheduled:
            return
        self._scheduled.add(order_id)
        order = state.orders.get(order_id)
        if order is None:
            return
        if condition == "rejected":
            steps = [("rejected", Status.REJECTED)]
        else:
            steps = [("confirmed", Status.CONFIRMED), ("shipped", Status.SHIPPED), ("delivered", Status.DELIVERED)]
        order.schedule = [
            (order.created_at + timedelta(seconds=LIFECYCLE_MINUTES[name] * 60 / self.time_scale), status)
            for name, status in steps
        ]

    def record(self, entry: dict[str, Any]) -> None:
        if len(self.entries) >= MAX_ENTRIES:
            self.dropped_entries += 1
            return
        entry["seq"] = len(self.entries) + 1
        self.entries.append(entry)

    def describe(self) -> dict[str, Any]:
        """The run's settings, without the key."""
        return {
            "partner_id": self.partner_id,
            "time_scale": self.time_scale,
            "scenario": list(self.scenario),
            "conditions": {name: CONDITIONS[name] for name in dict.fromkeys(self.scenario)},
            "slow_seconds": self.slow_seconds,
            "lifecycle_minutes": LIFECYCLE_MINUTES,
            "elapsed": self.elapsed(),
            "orders_seen": len(self._slots),
        }


def decide(condition: str, attempt: int) -> str:
    """What this attempt gets: "normal", "503", "500", "409", "422", "204", "drop" or "slow"."""
    first = attempt == 1
    return {
        "503-once": "503" if first else "normal",
        "500-once": "500" if first else "normal",
        "500-always": "500",
        "drop-after-create": "drop" if first else "normal",
        "slow": "slow" if first else "normal",
        "409-once": "409" if first else "normal",
        "422": "422",
        "204": "204",
    }.get(condition, "normal")


class _BodyRules:
    """The spec's cart schema: a fast yes/no check, and the reference validator's first errors when it says no."""

    def __init__(self) -> None:
        self.check = submit_body_check(PARTNER_SPEC)
        self.validator = Draft4Validator(submit_body_schema(PARTNER_SPEC))

    def errors(self, body: Any) -> list[str]:
        if self.check is not None and self.check(body):
            return []
        return [describe_error(error) for _, error in zip(range(3), self.validator.iter_errors(body), strict=False)]


class CertificationLayer:
    """Records partner requests and imposes the scenario while a certification is armed; steps aside otherwise."""

    def __init__(self, app: ASGIApp, state: MockState) -> None:
        self.app, self.state = app, state
        self._rules: _BodyRules | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        certification = self.state.certification
        if certification is None or not is_partner_call(scope):
            await self.app(scope, receive, send)
            return
        await self._certify(certification, scope, receive, send)

    async def _certify(self, cert: Certification, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        operation = partner_operation(scope)
        entry: dict[str, Any] = {
            "t": cert.elapsed(),
            "method": scope["method"],
            "path": scope["path"],
            "query": scope["query_string"].decode("latin-1"),
            "operation": operation,
            "auth": classify_authorization(headers.get("authorization"), cert.api_key),
            "key_in_url": cert.api_key in scope["path"] or cert.api_key in scope["query_string"].decode("latin-1"),
            "content_type": headers.get("content-type"),
            "idempotency_key": headers.get("idempotency-key"),
        }
        if operation == "getOrder":
            entry["order_id"] = scope["path"].removeprefix("/v1/orders/")
        outcome = "normal"
        if operation == "submitCart":
            receive = await self._read_submit(receive, entry)
            pid = entry.get("partner_order_id")
            if pid is not None and entry["auth"] == "ok":
                slot, condition, attempt = cert.condition_for(pid)
                outcome = decide(condition, attempt)
                entry.update(slot=slot, condition=condition, attempt=attempt, imposed=outcome)
                if outcome != "normal":
                    scope[FAULT_KEY] = f"certification: {condition} (order {slot}, attempt {attempt})"
        answer = _Answer(send)
        try:
            if outcome in {"503", "500", "409", "422"}:
                await answer.envelope(int(outcome), f"imposed by the certification scenario: {entry['condition']}")
            elif outcome == "204":
                await answer.no_content()
            else:
                await self.app(scope, receive, answer.capture if outcome in {"drop", "slow"} else answer.send)
                if outcome == "drop":
                    await answer.drop()
                elif outcome == "slow":
                    entry["gave_up_at"] = await answer.slowly(receive, cert.slow_seconds / cert.time_scale, cert)
        finally:
            self._finish(cert, entry, answer)

    async def _read_submit(self, receive: Receive, entry: dict[str, Any]) -> Receive:
        messages: list[Message] = []
        size, more = 0, True
        while more:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            more = message.get("more_body", False) and size <= MAX_RECORDED_BODY
        raw = b"".join(message.get("body", b"") for message in messages)
        try:
            body = json.loads(raw) if size <= MAX_RECORDED_BODY else None
        except ValueError:
            body = None
        if isinstance(body, dict):
            pid = body.get("partner_order_id")
            entry["partner_order_id"] = pid if isinstance(pid, str) and pid else None
            entry["body_hash"] = payload_fingerprint(body)[:16]
            if self._rules is None:
                self._rules = _BodyRules()
            entry["body_errors"] = await asyncio.to_thread(self._rules.errors, body)
        else:
            entry.update(partner_order_id=None, body_hash=None, body_errors=["the body is not a JSON object"])
        pending = list(messages)

        async def replay() -> Message:
            return pending.pop(0) if pending else await receive()

        return replay

    def _finish(self, cert: Certification, entry: dict[str, Any], answer: _Answer) -> None:
        entry["t_answer"] = cert.elapsed()
        entry["status"] = answer.status
        entry["answered"] = answer.complete
        body = answer.json()
        if isinstance(body, dict) and answer.status == 200:
            if entry["operation"] == "submitCart" and isinstance(body.get("supplier_order_id"), str):
                entry["supplier_order_id"] = body["supplier_order_id"]
            if isinstance(body.get("status"), str):
                entry["order_status"] = body["status"]
        with self.state.lock:
            if "supplier_order_id" in entry:
                cert.schedule(self.state, entry["supplier_order_id"], entry.get("condition", "ok"))
            cert.record(entry)


def classify_authorization(value: str | None, api_key: str) -> str:
    """ "ok" for `Bearer <the key>` (one space; the scheme's case is free, RFC 9110), else what is wrong with it."""
    if value is None:
        return "missing"
    scheme, space, token = value.partition(" ")
    if scheme.lower() != "bearer" or not space:
        return "not-bearer"
    if token != token.strip() or not token or any(c.isspace() for c in token):
        return "malformed"
    return "ok" if token == api_key else "wrong-key"


def is_json_content_type(value: str | None) -> bool:
    parsed = parse_media_type(value or "")
    return parsed is not None and parsed[0] == "application/json"


class _Answer:
    """The answer on its way to the client: passed through, or held back to be dropped or sent late."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.status = 0
        self.complete = False
        self._held: list[Message] = []
        self._body = bytearray()

    async def send(self, message: Message) -> None:
        self._observe(message)
        await self._send(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            self.complete = True

    async def capture(self, message: Message) -> None:
        self._observe(message)
        self._held.append(message)

    def _observe(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body" and len(self._body) < 65536:
            self._body.extend(message.get("body", b""))

    def json(self) -> Any:
        try:
            return json.loads(bytes(self._body)) if self._body else None
        except ValueError:
            return None

    async def envelope(self, status: int, details: str) -> None:
        body = json.dumps({"error": _ENVELOPES[status], "details": details}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if status == 503:
            headers.append((b"retry-after", b"1"))
        await self.send({"type": "http.response.start", "status": status, "headers": headers})
        await self.send({"type": "http.response.body", "body": body})

    async def no_content(self) -> None:
        await self.send({"type": "http.response.start", "status": 204, "headers": []})
        await self.send({"type": "http.response.body", "body": b""})

    async def drop(self) -> None:
        """Start the held answer and stop half-way: the server closes the connection, as a crashed upstream would."""
        body = bytes(self._body)
        declared = str(max(len(body), 2)).encode()
        await self._send(
            {"type": "http.response.start", "status": self.status, "headers": [(b"content-length", declared)]}
        )
        await self._send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})

    async def slowly(self, receive: Receive, delay: float, cert: Certification) -> float | None:
        """Send the held answer after `delay` seconds; the time the client hung up, if it did before that."""
        gave_up: float | None = None
        deadline = time.monotonic() + delay
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = await asyncio.wait_for(receive(), timeout=left)
            except TimeoutError:
                break
            if message["type"] == "http.disconnect":
                gave_up = cert.elapsed()
                break
        if gave_up is None:
            for message in self._held:
                await self._send(message)
            self.complete = True
        return gave_up
