"""The lifecycle: statuses take documented values, and an order observed over time only moves forward."""

from __future__ import annotations

import itertools
import time
from datetime import datetime

from contract_tests.checks import create_order, read_order
from contract_tests.client import ApiClient
from contract_tests.spec import reachable
from contract_tests.strategies import sample_cart
from contract_tests.target import Target

READS = 5
PAUSE_SECONDS = 0.2


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_order_observed_over_time_moves_only_along_documented_transitions(api: ApiClient, target: Target) -> None:
    order_id = create_order(api, sample_cart(target.mapped_skus, target.unmapped_sku))
    seen = [read_order(api, order_id)]
    for _ in range(READS - 1):
        time.sleep(PAUSE_SECONDS)
        seen.append(read_order(api, order_id))  # read_order checks the status is documented, with its fields
    for before, after in itertools.pairwise(seen):
        assert after["status"] in reachable(before["status"]), (
            f"the order went from {before['status']} to {after['status']}, which no documented transition allows"
        )
        assert after["created_at"] == before["created_at"], "created_at changed"
        assert _moment(after["updated_at"]) >= _moment(before["updated_at"]), "updated_at went backwards"
        if after["status"] != before["status"]:
            assert _moment(after["updated_at"]) > _moment(before["updated_at"]), (
                "the status changed, updated_at did not"
            )
    assert _moment(seen[0]["updated_at"]) >= _moment(seen[0]["created_at"]), "updated_at is before created_at"
