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
from mockserver.model.fixtures import DEFAULT_FIXTURES, Fixtures, load_fixtures
from tests.helpers import FakeClock, LiveServer, load_cart, serve

# Under pytest-xdist (`make test`: `-n auto --dist loadgroup`) tests go to the workers one by one, in collection order.
LONG_MARKS = ("slow", "wheel")


@pytest.hookimpl(tryfirst=True)  # before xdist reads the xdist_group marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that share a module-scoped fixture (a wheel build, the certification runs) form one xdist group, so that
    one worker builds it once. On a worker, what takes longest goes first, so that no worker is left alone with it at
    the end: the slow tier (groups before single tests), then property tests and groups, then the rest."""
    for item in items:
        if not isinstance(item, pytest.Function):
            continue
        shared = sorted(
            name
            for name, definitions in item._fixtureinfo.name2fixturedefs.items()
            if definitions[-1].scope in ("module", "package", "class")
        )
        if shared:
            item.add_marker(pytest.mark.xdist_group(f"{item.module.__name__}:{shared[0]}"))
    if not hasattr(config, "workerinput"):
        return  # a serial run keeps the files' order
    long = {unit_of(item) for item in items if any(item.get_closest_marker(mark) for mark in LONG_MARKS)}
    longer = {unit_of(item) for item in items if is_property_test(item) or item.get_closest_marker("xdist_group")}
    items.sort(key=lambda item: (unit_of(item) not in long, unit_of(item) not in longer,
                                 not item.get_closest_marker("xdist_group")))  # fmt: skip


def pytest_collection_finish(session: pytest.Session) -> None:
    """Once pytest-xdist has named each grouped test after its group: stop at once if `--dist loadgroup` does not
    group. Each worker would then build every module fixture (the certification runs, the wheel) again, slowly and in
    parallel: pytest 9.2 with pytest-xdist 3.8 did that silently."""
    if not getattr(session.config.option, "loadgroup", False):
        return
    lost = [item.nodeid for item in session.items if item.get_closest_marker("xdist_group") and "@" not in item.nodeid]
    if lost:
        raise pytest.UsageError(
            f"pytest-xdist's --dist loadgroup did not group {lost[0]} (and {len(lost) - 1} more): pytest "
            f"{pytest.__version__} with this pytest-xdist ignores its groups; install the versions pyproject.toml pins"
        )


def is_property_test(item: pytest.Item) -> bool:
    """A hypothesis test (hundreds of examples): longer than a plain test, so it starts before them."""
    return bool(getattr(getattr(item, "obj", None), "is_hypothesis_test", False))


def unit_of(item: pytest.Item) -> str:
    """What a worker takes at once: the xdist group of `item`, or the test alone."""
    mark = item.get_closest_marker("xdist_group")
    return str(mark.args[0]) if mark else item.nodeid


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


@pytest.fixture(params=[True, False], ids=["fast-path", "connexion-only"])
def client_both_paths(request: pytest.FixtureRequest, state: MockState) -> Iterator[TestClient]:
    """An in-process client of the mock over the test's `state`, twice over: with the fast path (as `make mock`
    serves) and connexion alone, for the rules both paths must apply alike."""
    with create_app(state, fast_path=request.param).test_client() as test_client:
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
