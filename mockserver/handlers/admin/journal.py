"""The request journal: the partner requests the mock answered, newest first, filtered."""

from __future__ import annotations

from typing import Any

from mockserver.handlers.admin.answers import Handler, no_content
from mockserver.model.journal import JournalFilter
from mockserver.model.state import MockState


def handlers(state: MockState) -> dict[str, Handler]:
    async def getJournal(
        partner_id: str | None = None,
        limit: int = 100,
        operation: str | None = None,
        status: int | None = None,
        partner_order_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        where = JournalFilter(partner_id, operation, status, partner_order_id, idempotency_key)
        return state.journal_entries(where, limit), 200

    async def clearJournal() -> Any:
        state.clear_journal()
        return no_content()

    return {"getJournal": getJournal, "clearJournal": clearJournal}
