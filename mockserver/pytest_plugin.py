"""pytest plugin `jafarshop`: a live JafarShop mock for a partner's own tests, as the `jafarshop_mock` fixture.

Installed with the kit (entry point `pytest11`), so a partner's test suite only asks for the fixture:

    def test_my_client_submits(jafarshop_mock):
        client = MyClient(base_url=jafarshop_mock.base_url, api_key=jafarshop_mock.api_key)
        order_id = client.submit(cart)
        jafarshop_mock.confirm(order_id)
        assert client.status(order_id) == "CONFIRMED"

One mock per test session (the same server as `jafarshop-mock`, on 127.0.0.1 and a free port, in a thread), reset
to its fixtures before each test. The handle drives the mock through its admin API over HTTP, as any client can.
`--jafarshop-fixtures PATH` (or the ini option `jafarshop_fixtures`) starts it on another fixtures file.
"""

from __future__ import annotations

import secrets
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from mockserver.admin_client import AdminHTTPError, admin_request

UNMAPPED_SKU = "YOUR-SKU-123"  # the guide's own example of a partner SKU; no fixture maps it


class AdminError(RuntimeError):
    """The admin API refused a call (its status and envelope are in the message)."""


@dataclass
class JafarShopMock:
    """A running mock: where it is, the keys and SKUs to use, and the admin API's controls."""

    base_url: str  # the partner API, e.g. http://127.0.0.1:PORT/v1
    admin_url: str  # the admin API, http://127.0.0.1:PORT/__admin
    admin_token: str
    api_keys: dict[str, str]  # partner id -> demo API key, in fixtures order
    mapped_skus: list[str]
    unmapped_sku: str = UNMAPPED_SKU
    state: Any = field(default=None, repr=False)  # the in-process MockState, for what the admin API does not show

    @property
    def api_key(self) -> str:
        """The first partner's key (partner-a with the default fixtures)."""
        return next(iter(self.api_keys.values()))

    @property
    def other_api_key(self) -> str:
        """The second partner's key (partner-b with the default fixtures), to check that partners are kept apart."""
        return list(self.api_keys.values())[1]

    # --- the admin API ---------------------------------------------------------------------------------------------

    def admin(self, method: str, path: str, body: Any = None, **query: Any) -> Any:
        """Call the admin API; return its JSON answer (None for 204). Raises AdminError on a 4xx/5xx."""
        try:
            return admin_request(self.admin_url, self.admin_token, method, path, body, **query)
        except AdminHTTPError as error:
            raise AdminError(f"{method} {path}: {error}") from None

    def reset(self) -> None:
        """Back to the fixtures: no orders, idempotency records, faults, journal or auto-advance."""
        self.admin("POST", "/reset")

    def orders(self, partner_id: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
        """The orders the mock holds, newest first."""
        found: list[dict[str, Any]] = self.admin("GET", "/orders", partner_id=partner_id, status=status)
        return found

    def confirm(self, order_id: str) -> dict[str, Any]:
        """PENDING_CONFIRMATION -> CONFIRMED."""
        return self._move(order_id, "confirm")

    def ship(self, order_id: str, carrier: str = "Aramex", tracking_number: str = "34567890123") -> dict[str, Any]:
        """CONFIRMED -> SHIPPED, with tracking."""
        return self._move(order_id, "ship", {"carrier": carrier, "tracking_number": tracking_number})

    def deliver(self, order_id: str) -> dict[str, Any]:
        """SHIPPED -> DELIVERED."""
        return self._move(order_id, "deliver")

    def reject(self, order_id: str, reason: str = "SKU out of stock") -> dict[str, Any]:
        """PENDING_CONFIRMATION -> REJECTED, with a reason."""
        return self._move(order_id, "reject", {"rejection_reason": reason})

    def cancel(self, order_id: str) -> dict[str, Any]:
        """PENDING_CONFIRMATION or CONFIRMED -> CANCELLED."""
        return self._move(order_id, "cancel")

    def auto_advance(self, *steps: tuple[str, float]) -> None:
        """Orders created from now on move by themselves: `("CONFIRMED", 5), ("SHIPPED", 10)`; none turns it off."""
        self.admin("PUT", "/auto-advance", {"steps": [{"status": s, "after_seconds": t} for s, t in steps]})

    def map_sku(self, sku: str, shopify_variant_id: int = 44219312999999) -> None:
        """Make `sku` a JafarShop product from now on."""
        self.admin("PUT", f"/skus/{urllib.parse.quote(sku, safe='')}", {"shopify_variant_id": shopify_variant_id})

    def unmap_sku(self, sku: str) -> None:
        """Make `sku` the partner's own product from now on."""
        self.admin("DELETE", f"/skus/{urllib.parse.quote(sku, safe='')}")

    def add_fault(
        self,
        count: int = 1,
        *,
        status: int | None = None,
        operation: str | None = None,
        delay_ms: int | None = None,
        drop_connection: bool | None = None,
    ) -> dict[str, Any]:
        """Shape the next `count` matching partner requests: a 500/503, a delay, or a dropped connection."""
        fault = {"count": count, "status": status, "operation": operation, "delay_ms": delay_ms}
        fault["drop_connection"] = drop_connection
        added: dict[str, Any] = self.admin("POST", "/faults", {k: v for k, v in fault.items() if v is not None})
        return added

    def journal(self, partner_id: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """The partner requests the mock saw, newest first (never their keys)."""
        entries: list[dict[str, Any]] = self.admin("GET", "/journal", partner_id=partner_id, limit=limit)
        return entries

    def _move(self, order_id: str, action: str, body: Any = None) -> dict[str, Any]:
        moved: dict[str, Any] = self.admin("POST", f"/orders/{order_id}/{action}", body)
        return moved


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("jafarshop", "JafarShop mock (jafarshop_mock fixture)")
    group.addoption("--jafarshop-fixtures", help="fixtures file of the jafarshop_mock fixture (default: the kit's)")
    parser.addini("jafarshop_fixtures", "fixtures file of the jafarshop_mock fixture (default: the kit's)")


@pytest.fixture(scope="session")
def jafarshop_mock_server(pytestconfig: pytest.Config) -> Iterator[JafarShopMock]:
    """The session's mock, not reset between tests (use `jafarshop_mock` for that)."""
    from mockserver.app import create_app
    from mockserver.model.fixtures import DEFAULT_FIXTURES, FixtureError, load_fixtures
    from mockserver.model.state import MockState
    from mockserver.server import background

    path = pytestconfig.getoption("jafarshop_fixtures") or pytestconfig.getini("jafarshop_fixtures") or DEFAULT_FIXTURES
    try:
        fixtures = load_fixtures(path)
    except FixtureError as exc:
        raise pytest.UsageError(f"jafarshop_mock: bad fixtures: {exc}") from None
    token = secrets.token_urlsafe(24)
    state = MockState(fixtures, admin_token=token)
    with background(create_app(state)) as base:
        yield JafarShopMock(
            base_url=f"{base}/v1",
            admin_url=f"{base}/__admin",
            admin_token=token,
            api_keys={partner.id: partner.api_key for partner in fixtures.partners},
            mapped_skus=[entry.sku for entry in fixtures.catalogue],
            state=state,
        )


@pytest.fixture
def jafarshop_mock(jafarshop_mock_server: JafarShopMock) -> JafarShopMock:
    """A live JafarShop mock, reset to its fixtures before this test."""
    jafarshop_mock_server.reset()
    return jafarshop_mock_server
