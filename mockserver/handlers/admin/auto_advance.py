"""The lifecycle on a timer: the steps new orders take by themselves."""

from __future__ import annotations

from typing import Any

from mockserver.handlers.admin.answers import Handler
from mockserver.model.auto_advance import Step, check_steps
from mockserver.model.domain import Status
from mockserver.model.state import MockState


def handlers(state: MockState) -> dict[str, Handler]:
    async def getAutoAdvance() -> Any:
        return {
            "steps": [{"status": s.status.value, "after_seconds": s.after_seconds} for s in state.auto_advance]
        }, 200

    async def setAutoAdvance(body: dict[str, Any]) -> Any:
        state.set_auto_advance(check_steps(Step(Status(s["status"]), float(s["after_seconds"])) for s in body["steps"]))
        return await getAutoAdvance()

    return {"getAutoAdvance": getAutoAdvance, "setAutoAdvance": setAutoAdvance}
