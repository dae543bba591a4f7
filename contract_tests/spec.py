"""What the suite reads from the contract: schemas, statuses and transitions, straight from the spec file."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import yaml
from jsonschema import ValidationError
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource

from contract_tests.target import SPEC_PATH

if TYPE_CHECKING:
    from referencing._core import Resolver  # the package exports its type only from here (referencing 0.37)


@functools.cache
def raw_spec() -> dict[str, Any]:
    """The partner spec as written, parsed once per process: read it, never change it (copy it to change it)."""
    raw: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return raw


# The spec's own address for `referencing`: its $refs are local ("#/components/..."), resolved against it.
SPEC_URI = "urn:jafarshop:partner-api"


@functools.cache
def spec() -> dict[str, Any]:
    """The partner spec with every $ref resolved (it has no recursive references), in dicts and lists of its own."""
    # An opaque resource: the OpenAPI document is no JSON Schema, its $refs are plain JSON pointers into it.
    registry: Registry[Any] = Registry().with_resource(SPEC_URI, Resource.opaque(raw_spec()))

    def resolve(node: Any, resolver: Resolver[Any]) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                found = resolver.lookup(node["$ref"])
                return resolve(found.contents, found.resolver)
            return {key: resolve(value, resolver) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item, resolver) for item in node]
        return node

    resolved: dict[str, Any] = resolve(raw_spec(), registry.resolver(SPEC_URI))
    return resolved


def schema(name: str) -> dict[str, Any]:
    """A component schema by name."""
    found: dict[str, Any] = spec()["components"]["schemas"][name]
    return found


def statuses() -> list[str]:
    """Every documented order status."""
    return list(schema("OrderStatus")["enum"])


def transitions() -> dict[str, set[str]]:
    """Documented single steps of the lifecycle."""
    return {status: set(nexts) for status, nexts in schema("OrderStatus")["x-transitions"].items()}


def reachable(current: str) -> set[str]:
    """Every status reachable from `current` in zero or more documented steps."""
    steps = transitions()
    seen = {current}
    frontier = [current]
    while frontier:
        for nxt in steps.get(frontier.pop(), set()):
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    return seen


def countries() -> list[str]:
    return list(schema("CountryCode")["enum"])


def payment_methods() -> list[str]:
    return [method for method in schema("PaymentMethod")["enum"] if method is not None]


def schema_errors(instance: Any, name: str) -> list[str]:
    """Each way `instance` breaks the named component schema (OpenAPI 3.0 semantics, nullable included)."""
    validator = OAS30Validator(schema(name))
    return [_describe(error) for error in validator.iter_errors(instance)]


def _describe(error: ValidationError) -> str:
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path)
    return f"{path.lstrip('.') or '(root)'}: {error.message[:200]}"


def largest_accepted() -> dict[str, int]:
    """The sizes a target must accept and read back exactly (the spec's x-largest-accepted)."""
    found: dict[str, int] = raw_spec()["x-largest-accepted"]
    return found


def clock_skew_seconds() -> float:
    """How far a reported time may be from this machine's clock (the spec's x-clock-skew-seconds)."""
    return float(raw_spec()["x-clock-skew-seconds"])
