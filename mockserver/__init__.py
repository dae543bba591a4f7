"""A stateful mock of the JafarShop B2B partner API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
