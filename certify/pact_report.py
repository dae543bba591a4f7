"""`reports/pact.json` beside the scorecard: the certified partner's pact (Pact V4), written by the mock from what
the client did in the run (GET /__admin/pact; docs/pact.md). The conditions the scenario imposed (503, 500, drops,
slow answers, the imposed 409/422/204) are left out of it: they are not interactions a provider promises.
`JAFARSHOP_PACT_CONSUMER` names the consumer (default: the run's partner id)."""

from __future__ import annotations

import json
import os
import sys
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from certify.admin import Admin, UsageError

PACT_FILE = "pact.json"


def write(admin: Admin, record: Mapping[str, Any], reports: Path) -> Path | None:
    """Write the run partner's pact into `reports`; its path (None, with a line, when the mock could not write it)."""
    partner = record.get("partner_id")
    if not partner:
        return None
    query = {"partner_id": partner, **({"consumer": c} if (c := os.environ.get("JAFARSHOP_PACT_CONSUMER")) else {})}
    try:
        document = admin.call("GET", f"/pact?{urllib.parse.urlencode(query)}")
    except UsageError as error:  # a mock of an older kit: the scorecard stands without the pact
        print(f"jafarshop-certify: no pact written ({error})", file=sys.stderr)
        return None
    path = reports / PACT_FILE
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path
