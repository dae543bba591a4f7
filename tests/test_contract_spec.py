"""What the contract suite reads from the spec (contract_tests/spec.py): every $ref resolved by `referencing`."""

from __future__ import annotations

import json
from typing import Any

import pytest
from referencing.exceptions import Unresolvable

from contract_tests import spec


def refs(node: Any) -> list[str]:
    """Every $ref under `node`."""
    if isinstance(node, dict):
        return ([node["$ref"]] if "$ref" in node else []) + [ref for value in node.values() for ref in refs(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in refs(item)]
    return []


def pointed(ref: str) -> Any:
    """What a local $ref points at in the spec as written."""
    target: Any = spec.raw_spec()
    for part in ref.removeprefix("#/").split("/"):
        target = target[part.replace("~1", "/").replace("~0", "~")]
    return target


def test_the_resolved_spec_has_no_ref_left_and_the_written_one_is_unchanged() -> None:
    written = json.dumps(spec.raw_spec(), sort_keys=True)
    assert refs(spec.raw_spec()) and refs(spec.spec()) == []
    assert json.dumps(spec.raw_spec(), sort_keys=True) == written


def test_a_ref_is_replaced_by_what_it_points_at_resolved_in_turn() -> None:
    operation = spec.raw_spec()["paths"]["/carts/submit"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/CartSubmission"}
    assert refs(pointed(body["$ref"]))  # the schema it points at holds $refs of its own
    resolved = spec.spec()["paths"]["/carts/submit"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert resolved == spec.schema("CartSubmission") and refs(resolved) == []
    assert set(resolved) == set(pointed(body["$ref"]))


def test_a_ref_to_nothing_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = {"paths": {"/x": {"$ref": "#/components/schemas/NoSuchSchema"}}, "components": {"schemas": {}}}
    monkeypatch.setattr(spec, "raw_spec", lambda: broken)
    with pytest.raises(Unresolvable, match="NoSuchSchema"):
        spec.spec.__wrapped__()
