"""Shared fixtures: fresh apps per test (no globals to clear), and a real server on an ephemeral port."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from connexion import AsyncApp
from starlette.testclient import TestClient

from mockserver import MockState, create_app
from mockserver.fixtures import DEFAULT_FIXTURES, Fixtures, load_fixtures
from mockserver.server import background

ROOT = Path(__file__).resolve().parent.parent
CARTS = ROOT / "fixtures" / "carts"
KEY_A = "demo-key-partner-a"
KEY_B = "demo-key-partner-b"


def auth(key: str = KEY_A, **extra: str) -> dict[str, str]:
    """Headers for a partner request."""
    return {"Authorization": f"Bearer {key}", **extra}


def load_cart(name: str) -> dict[str, Any]:
    """A sample cart from fixtures/carts."""
    data: dict[str, Any] = json.loads((CARTS / f"{name}.json").read_text())
    return data


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


@dataclass
class LiveServer:
    url: str
    state: MockState


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve an ASGI app on 127.0.0.1 and a free port, in a thread, with the server the command line uses; yield its
    /v1 base URL."""
    with background(app) as base:
        yield f"{base}/v1"


@pytest.fixture
def live_server(state: MockState) -> Iterator[LiveServer]:
    """The mock served on a free port, over the test's `state`."""
    with serve(create_app(state)) as url:
        yield LiveServer(url=url, state=state)
