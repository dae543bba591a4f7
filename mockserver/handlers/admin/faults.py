"""Injected faults: the next N partner requests answered with an error, late, or dropped."""

from __future__ import annotations

from typing import Any

from mockserver.handlers.admin.answers import Handler, no_content
from mockserver.model.state import MockState

FAULT_OPTIONS = ("operation", "status", "delay_ms", "drop_connection")  # the request's fields beside `count`


def handlers(state: MockState) -> dict[str, Handler]:
    async def listFaults() -> Any:
        return [fault.as_json() for fault in state.fault_list()], 200

    async def addFault(body: dict[str, Any]) -> Any:
        options = {key: body[key] for key in FAULT_OPTIONS if key in body}
        return state.add_fault(body["count"], **options).as_json(), 201  # the defaults and the 422s: model/faults.py

    async def clearFaults() -> Any:
        state.clear_faults()
        return no_content()

    return {"listFaults": listFaults, "addFault": addFault, "clearFaults": clearFaults}
