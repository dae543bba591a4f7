"""The two OpenAPI documents the mock serves, each parsed once per process and shared by everything that reads it."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

from jafarshop_kit.resources import OPENAPI_DIR

SPEC_DIR = OPENAPI_DIR
PARTNER_SPEC = SPEC_DIR / "partner-api.yaml"
ADMIN_SPEC = SPEC_DIR / "admin-api.yaml"
# Where each spec is served; the paths under them are the specs' own (http/routes.py reads them).
PARTNER_BASE = "/v1"
ADMIN_BASE = "/__admin"
# libyaml's loader when PyYAML was built with it: the same documents, about 9 times quicker to parse (110 -> 12 ms).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.cache
def load_spec(path: Path) -> dict[str, Any]:
    """A spec file, parsed. Shared: callers that change it (connexion resolves $refs in place) take a deep copy."""
    loaded: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # a safe loader, C or Python
    return loaded


def operation(spec: dict[str, Any], operation_id: str) -> dict[str, Any]:
    """The operation object with this operationId in a parsed spec (found by id: no path written twice)."""
    for item in spec["paths"].values():
        for found in item.values():
            if isinstance(found, dict) and found.get("operationId") == operation_id:
                return found
    raise KeyError(operation_id)
