"""pytest plugin `jafarshop`: a live JafarShop mock for a partner's own tests, as the `jafarshop_mock` fixture.

Installed with the kit (entry point `pytest11`), so a partner's test suite only asks for the fixture:

    def test_my_client_submits(jafarshop_mock):
        client = MyClient(base_url=jafarshop_mock.base_url, api_key=jafarshop_mock.api_key)
        order_id = client.submit(cart)
        jafarshop_mock.confirm(order_id)
        assert client.status(order_id) == "CONFIRMED"

One mock per test session (the same server as `jafarshop-mock`, on 127.0.0.1 and a free port, in a thread), reset
to its fixtures before each test. The handle drives the mock through its admin API over HTTP, as any client can.
`--jafarshop-fixtures PATH` (or the ini option `jafarshop_fixtures`) starts it on another fixtures file, checked once
when pytest starts. The kit does not install pytest: a project without it needs `pip install pytest`.
"""

from __future__ import annotations

import json
import secrets
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

try:
    import pytest
except ModuleNotFoundError:  # imported for JafarShopMock's type in a project that has no pytest
    raise ModuleNotFoundError(
        "the jafarshop_mock fixture runs under pytest: pip install pytest", name="pytest"
    ) from None

from jafarshop_kit.resources import doc
from mockserver.admin_client import AdminHTTPError, admin_request
from mockserver.dependency_warnings import without_dependency_warnings

if TYPE_CHECKING:
    from mockserver.model.fixtures import Fixtures

UNMAPPED_SKU = "YOUR-SKU-123"  # the guide's own example of a partner SKU; no fixture maps it


class AdminError(RuntimeError):
    """The admin API refused a call: `status` (e.g. 404, 409, 422), `error` and `details` from its envelope, and the
    whole of it, with the call, in the message."""

    def __init__(self, message: str, status: int, text: str) -> None:
        super().__init__(message)
        self.status = status
        self.error: str | None = None
        self.details: Any = None
        try:
            envelope = json.loads(text)
        except ValueError:
            return
        if isinstance(envelope, dict):
            self.error, self.details = envelope.get("error"), envelope.get("details")


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
        keys = list(self.api_keys.values())
        if len(keys) < 2:
            raise LookupError("other_api_key: the fixtures file has one partner; add a second under 'partners'")
        return keys[1]

    # --- the admin API ---------------------------------------------------------------------------------------------

    def admin(self, method: str, path: str, body: Any = None, **query: Any) -> Any:
        """Call the admin API; return its JSON answer (None for 204). Raises AdminError on a 4xx/5xx."""
        try:
            return admin_request(self.admin_url, self.admin_token, method, path, body, **query)
        except AdminHTTPError as error:
            raise AdminError(f"{method} {path}: {error}", error.status, error.text) from None

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
        drop_connection: bool | str | None = None,
    ) -> dict[str, Any]:
        """Shape the next `count` matching partner requests: a 500/503 (503 with Retry-After: 1), a delay, or a dropped
        connection: "before-create" (or True; no order made) or "after-create" (the order made, its answer cut). With
        none of them, a 500. A status with a drop raises AdminError (status 422): add two faults."""
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


OPTION, INI = "--jafarshop-fixtures", "jafarshop_fixtures"
_FIXTURES = pytest.StashKey["Fixtures | None"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("jafarshop", "JafarShop mock (jafarshop_mock fixture)")
    group.addoption(
        OPTION, dest=INI, metavar="PATH", help="fixtures file of the jafarshop_mock fixture (default: the kit's)"
    )
    parser.addini(INI, "fixtures file of the jafarshop_mock fixture, relative to the ini file (default: the kit's)")


def pytest_configure(config: pytest.Config) -> None:
    # Checked here, once: a bad file stops the run with one line instead of an ERROR for every test using the mock
    # (but `pytest --help` still answers).
    config.stash[_FIXTURES] = None if config.getoption("help", False) else _chosen_fixtures(config)


def _chosen_fixtures(config: pytest.Config) -> Fixtures | None:
    """The fixtures file the run names (None: the kit's own); pytest.UsageError naming the option if it is unusable."""
    if config.getoption(INI):
        given, where = str(config.getoption(INI)), OPTION
        path = config.invocation_params.dir / given
    elif config.getini(INI):
        given, where = str(config.getini(INI)), f"{INI} (in {config.inipath})"
        path = (config.inipath.parent if config.inipath else config.rootpath) / given
    else:
        return None
    from mockserver.model.fixtures import FixtureError, load_fixtures

    if not path.is_file():
        raise pytest.UsageError(
            f"{where} {given}: no such file; give the path of a fixtures file "
            f"(format: {doc('mock.md', 'the-fixtures-file')})"
        )
    try:
        return load_fixtures(path)
    except FixtureError as exc:
        raise pytest.UsageError(f"{where}: bad fixtures: {exc}") from None


@pytest.fixture(scope="session")
def jafarshop_mock_server(pytestconfig: pytest.Config) -> Iterator[JafarShopMock]:
    """The session's mock, not reset between tests (use `jafarshop_mock` for that)."""
    try:
        with without_dependency_warnings():
            from mockserver import MockState, create_app
            from mockserver.http.spec import ADMIN_BASE, PARTNER_BASE
            from mockserver.model.fixtures import load_fixtures
            from mockserver.server import background
    except ModuleNotFoundError as exc:  # a kit installed without its dependencies (pip --no-deps, a copied folder)
        missing = (exc.name or "").partition(".")[0]
        if missing in ("", "mockserver"):
            raise
        # One stop for the session, not an ERROR for each test that asks for the mock.
        pytest.exit(
            f"jafarshop_mock: {missing} is missing: pip install jafarshop-contract-kit",
            returncode=pytest.ExitCode.USAGE_ERROR,
        )

    fixtures = pytestconfig.stash.get(_FIXTURES, None) or load_fixtures()
    token = secrets.token_urlsafe(24)
    state = MockState(fixtures, admin_token=token)
    with background(create_app(state)) as base:
        yield JafarShopMock(
            base_url=f"{base}{PARTNER_BASE}",
            admin_url=f"{base}{ADMIN_BASE}",
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
