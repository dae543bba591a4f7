"""A certification run: armed, read, graded so far (the graders' own scorecard), ended."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from graders.scorecard import scorecard
from mockserver.handlers.admin.answers import Handler, no_content
from mockserver.model.certification import start_run
from mockserver.model.state import MockState


def handlers(state: MockState) -> dict[str, Handler]:
    async def startCertification(body: dict[str, Any] | None = None) -> Any:
        return state.arm_certification(functools.partial(start_run, body or {})).as_started(), 201

    async def getCertification() -> Any:
        return state.certification_record(), 200

    async def getCertificationScorecard() -> Any:
        # The graders' own grade: the console shows what jafarshop-certify would say.
        return await asyncio.to_thread(scorecard, state.certification_record()), 200

    async def stopCertification() -> Any:
        state.disarm_certification()
        return no_content()

    return {
        "startCertification": startCertification,
        "getCertification": getCertification,
        "getCertificationScorecard": getCertificationScorecard,
        "stopCertification": stopCertification,
    }
