"""The scorecard of a run still going: what the console's certification view shows (GET
/__admin/certification/scorecard). The same graders, verdicts and timelines as `jafarshop-certify`'s reports."""

from __future__ import annotations

from typing import Any, cast

from graders import report, timeline
from graders.record import Record, RunRecord
from graders.rules import grade


def scorecard(armed: RunRecord) -> dict[str, Any]:
    """The mock's record graded so far, with a timeline per partner order."""
    record = cast(Record, armed)  # with none of what only jafarshop-certify sees of the client: no client_end
    graded = grade(record)
    result = report.outcome(graded)
    entries = record.get("entries", [])
    return {
        "summary": result.headline,
        "exit_code": result.code,
        "elapsed": float(record.get("elapsed", 0.0)),
        "time_scale": float(record.get("time_scale", 1.0)),
        "requests": len(entries),
        "orders": timeline.order_count(record),
        "rules": report.rules_json(graded),
        "timelines": timeline.as_json(record),
    }
