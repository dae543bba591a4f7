"""Shared fixtures: fresh apps per test (no globals to clear), and a real server on an ephemeral port. Plain helpers
and constants are in tests/helpers.py."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from connexion import AsyncApp
from starlette.testclient import TestClient

from mockserver import MockState, create_app
from mockserver.fixtures import DEFAULT_FIXTURES, Fixtures, load_fixtures
from tests.helpers import FakeClock, LiveServer, load_cart, serve


@pytest.fixture(scope="session")
def default_fixtures() -> Fixtures:
    return load_fixtures(DEFAULT_FIXTURES)


@pytest.fixture
def state(default_fixtures: Fixtures) -> MockState:
    return MockState(default_fixtures)


@pytest.fixture
def app(state: MockState) -> AsyncApp:
    return create_app(state)


@pytest.fixture
def client(app: AsyncApp) -> Iterator[TestClient]:
    with app.test_client() as test_client:
        yield test_client


@pytest.fixture
def mixed_cart() -> dict[str, Any]:
    """The guide's mixed cart: JDTQ1834 (mapped) and YOUR-SKU-123 (not mapped)."""
    return copy.deepcopy(load_cart("guide-mixed-cart"))


@pytest.fixture
def unmapped_cart() -> dict[str, Any]:
    return copy.deepcopy(load_cart("unmapped-cart"))


@pytest.fixture
def clock() -> FakeClock:
    """A clock that moves only when a test advances it."""
    return FakeClock()


@pytest.fixture
def live_server(state: MockState) -> Iterator[LiveServer]:
    """The mock served on a free port, over the test's `state`."""
    with serve(create_app(state)) as url:
        yield LiveServer(url=url, state=state)


@pytest.fixture(params=[True, False], ids=["fast-path", "connexion-only"])
def server(request: pytest.FixtureRequest, default_fixtures: Fixtures) -> Iterator[LiveServer]:
    """The mock served on a free port twice over: with the fast path (as `make mock` serves) and connexion alone."""
    state = MockState(default_fixtures)
    with serve(create_app(state, fast_path=request.param)) as url:
        yield LiveServer(url=url, state=state)
