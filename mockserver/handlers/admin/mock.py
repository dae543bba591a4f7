"""The mock itself: its health (and the kit's version) and the reset of all its data."""

from __future__ import annotations

import functools
import importlib.metadata
from typing import Any

from mockserver.handlers.admin.answers import Handler, no_content
from mockserver.model.state import MockState

DISTRIBUTION = "jafarshop-contract-kit"


@functools.cache
def kit_version() -> str:
    """The installed kit's version, or "unknown" when it runs from a checkout that was never installed."""
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def handlers(state: MockState) -> dict[str, Handler]:
    async def getHealth() -> Any:
        return {"status": "ok", "version": kit_version()}, 200  # no token: `security: []` in the spec

    async def resetState() -> Any:
        state.reset()
        return no_content()

    return {"getHealth": getHealth, "resetState": resetState}
