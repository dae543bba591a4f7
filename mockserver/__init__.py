"""A stateful mock of the JafarShop B2B partner API."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

# connexion imports starlette's test client at start-up, which on starlette 1.x warns about httpx on every launch.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")

if TYPE_CHECKING:
    from mockserver.app import create_app
    from mockserver.model.state import MockState

__all__ = ["MockState", "create_app"]


def __getattr__(name: str) -> Any:
    # Imported on first use: `import mockserver.x` (the pytest plugin, `jafarshop-mock --help`) need not load
    # connexion, which takes about 0.8 s.
    if name == "create_app":
        from mockserver.app import create_app

        return create_app
    if name == "MockState":
        from mockserver.model.state import MockState

        return MockState
    raise AttributeError(f"module 'mockserver' has no attribute {name!r}")
