"""Defects a partner's pact must catch (tests/test_pact.py): each drops a field some partners rely on and others
never read, so that verification names the partners it breaks and passes the others. Not in DEFECTS: the contract
suite's power test does not run them."""

from __future__ import annotations

from typing import Any

from starlette.types import Scope

from tests.broken_targets.asgi import is_order_read, mock_with_responses
from tests.broken_targets.targets import Defect


def _drop_shipping_state(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    if status == 200 and is_order_read(scope) and isinstance(body.get("shipping_address"), dict):
        body["shipping_address"].pop("state", None)
    return status, body


def _drop_tracking(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    if status == 200 and is_order_read(scope):
        body.pop("tracking", None)
    return status, body


PACT_DEFECTS = [
    Defect(
        "drops-shipping-state",
        "an order read leaves out shipping_address.state (a field only partners that send it rely on)",
        mock_with_responses(_drop_shipping_state),
        ("test_pact",),
    ),
    Defect(
        "drops-tracking",
        "an order read leaves out tracking (a field only partners that read shipped orders rely on)",
        mock_with_responses(_drop_tracking),
        ("test_pact",),
    ),
]
