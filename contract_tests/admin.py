"""The kit mock's admin API (openapi/admin-api.yaml), for the tests that need the supplier's side: moving orders
through their lifecycle, rotating a partner's key. Only with JAFARSHOP_ADMIN_TOKEN; without it those tests skip."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from contract_tests.ledger import OrderLedger
from contract_tests.target import Target

NEEDS_ADMIN = (
    "needs the supplier's side of the API: set JAFARSHOP_ADMIN_TOKEN (or --jafarshop-admin-token) to the admin token "
    "of a target that offers the kit mock's admin API (/__admin); the self-started mock passes its own"
)


@dataclass
class AdminApi:
    url: str
    token: str
    http: httpx.Client
    ledger: OrderLedger

    def send(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """One admin request, counted among the run's requests; the answer whatever it is."""
        self.ledger.count_request()
        headers = {"Authorization": f"Bearer {self.token}"}
        return self.http.request(method, f"{self.url}{path}", json=body, headers=headers)

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """One admin request that must succeed (any 2xx); its JSON body."""
        response = self.send(method, path, body)
        assert response.is_success, (
            f"the admin API refused {method} {path}: {response.status_code} {response.text[:300]!r} "
            "(is JAFARSHOP_ADMIN_TOKEN the target's admin token?)"
        )
        return response.json() if response.content else None


def admin_api(target: Target, http: httpx.Client, ledger: OrderLedger) -> AdminApi:
    """The target's admin API; skips the calling test when no admin token is set."""
    if target.admin_token is None:
        pytest.skip(NEEDS_ADMIN)
    return AdminApi(target.admin_url, target.admin_token, http, ledger)
