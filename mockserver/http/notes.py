"""What one layer leaves in the ASGI scope for the others, under keys that belong to no one of them: the epoch (the
reset generation) the request began in, the partner a request's key resolved to (so that the key is hashed once per
request, whichever layer reads it first), the body as parsed (so that a body replayed to the next layer is not parsed
again), and what shaped the answer: the fault or certification condition, the delay imposed, a connection dropped
(for the journal, outermost, which records them)."""

from __future__ import annotations

from typing import Any

from starlette.types import Scope

_PARTNER = "jafarshop.partner"
_FAULT = "jafarshop.fault"
_BODY = "jafarshop.body"
_EPOCH = "jafarshop.epoch"
_DELAY = "jafarshop.delay_ms"
_DROP = "jafarshop.drop"


def note_epoch(scope: Scope, epoch: int) -> None:
    """Keep the epoch (MockState.epoch) the request began in: no change of it may land after a later reset."""
    scope[_EPOCH] = epoch


def noted_epoch(scope: Scope) -> int | None:
    """The epoch the request began in (None when no layer noted one: then it is not fenced)."""
    return scope.get(_EPOCH)


def note_delay(scope: Scope, delay_ms: int) -> None:
    """Say how long the answer was held back on purpose."""
    scope[_DELAY] = delay_ms


def noted_delay(scope: Scope) -> int | None:
    return scope.get(_DELAY)


def note_drop(scope: Scope, kind: str) -> None:
    """Say that the mock cut the connection on purpose, and where ("before-create", "after-create")."""
    scope[_DROP] = kind


def noted_drop(scope: Scope) -> str | None:
    return scope.get(_DROP)


def noted_partner(scope: Scope) -> tuple[bool, str | None]:
    """(whether a layer resolved the request's partner already, the partner id or None for no valid key)."""
    return (_PARTNER in scope), scope.get(_PARTNER)


def note_partner(scope: Scope, partner_id: str | None) -> None:
    """Keep the partner the request's key resolved to (None: no valid key) for the layers after this one."""
    scope[_PARTNER] = partner_id


def note_fault(scope: Scope, description: str) -> None:
    """Say what shaped this request's answer (an injected fault, a certification condition)."""
    scope[_FAULT] = description


def noted_fault(scope: Scope) -> str | None:
    """What shaped this request's answer, if anything did."""
    return scope.get(_FAULT)


def note_body(scope: Scope, raw: bytes, parsed: Any) -> None:
    """Keep the body as parsed from `raw` for the layers after this one, which get the same bytes replayed."""
    scope[_BODY] = (raw, parsed)


def noted_body(scope: Scope, raw: bytes) -> tuple[bool, Any]:
    """(whether a layer parsed these very bytes already, the body it parsed)."""
    noted = scope.get(_BODY)
    return (True, noted[1]) if noted is not None and noted[0] == raw else (False, None)
