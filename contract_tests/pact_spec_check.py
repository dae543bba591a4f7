"""`jafarshop-contract --pacts DIR --spec NEW.yaml`: which partners' pacts a change of the partner spec would break,
without a running target. Each interaction is checked against the new spec: its operation and status still
documented, its request still valid (a field newly required, an enum narrowed, a header now required), and every
field of its expected answer still in the answer's schema and still valid (a field removed, an enum narrowed)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource

from contract_tests.pact_files import InteractionVerdict, Pact, Verdict

SPEC_URI = "urn:jafarshop:new-partner-api"


class SpecError(Exception):
    """The new spec cannot be read: the message says why."""


def load_spec(path: Path) -> dict[str, Any]:
    """The spec at `path` with every $ref resolved."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise SpecError(f"--spec {path}: cannot be read as YAML ({str(exc)[:200]})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("paths"), dict):
        raise SpecError(f"--spec {path}: not an OpenAPI document (no paths)")
    registry: Registry[Any] = Registry().with_resource(SPEC_URI, Resource.opaque(raw))

    def resolve(node: Any, resolver: Any, depth: int = 0) -> Any:
        if depth > 50:
            raise SpecError(f"--spec {path}: $refs nest too deep (a recursive schema?)")
        if isinstance(node, dict):
            if "$ref" in node:
                try:
                    found = resolver.lookup(node["$ref"])
                except Exception as exc:  # referencing's Unresolvable and its kin
                    raise SpecError(f"--spec {path}: $ref {node['$ref']} does not resolve ({exc})") from None
                return resolve(found.contents, found.resolver, depth + 1)
            return {key: resolve(value, resolver, depth + 1) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item, resolver, depth + 1) for item in node]
        return node

    resolved: dict[str, Any] = resolve(raw, registry.resolver(SPEC_URI))
    return resolved


def _base_path(spec: dict[str, Any]) -> str:
    servers = spec.get("servers") or [{"url": "/v1"}]
    url = str(servers[0].get("url", "/v1"))
    return re.sub(r"^[a-z]+://[^/]+", "", url).rstrip("/")


def _operation(spec: dict[str, Any], method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    base = _base_path(spec)
    local = path[len(base) :] if base and path.startswith(base) else path
    for template, item in spec["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, local) and isinstance(item, dict) and method.lower() in item:
            return template, item[method.lower()]
    return None


def _errors(instance: Any, schema: dict[str, Any], where: str) -> list[str]:
    found = []
    for error in OAS30Validator(schema).iter_errors(instance):
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
        found.append(f"{where} {path or '(body)'}: {_plain(error)}")
    return found


def _plain(error: Any) -> str:
    if error.validator == "required":
        return f"newly required: {error.message.split(' ')[0]}"
    if error.validator == "enum":
        return f"{error.instance!r} is no longer allowed (enum now {error.validator_value})"
    return str(error.message)[:200]


def _properties(schema: dict[str, Any]) -> dict[str, Any] | None:
    """A schema's declared properties (allOf merged); None when it declares none (anything goes)."""
    found: dict[str, Any] = {}
    for part in [schema, *schema.get("allOf", [])]:
        found.update(part.get("properties") or {})
    return found or None


def _removed(body: Any, schema: dict[str, Any], path: str = "") -> list[str]:
    """Fields of `body` the schema no longer declares (a pact relies on each field of its expected answer)."""
    found = []
    if isinstance(body, dict):
        declared = _properties(schema)
        if declared is None:
            return []
        for key, value in body.items():
            where = f"{path}.{key}" if path else key
            if key not in declared:
                found.append(f"response {where}: removed from the spec")
            else:
                found.extend(_removed(value, declared[key], where))
    elif isinstance(body, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(body[:1]):
            found.extend(_removed(item, schema["items"], f"{path}[{index}]"))
    return found


def _json_schema(content: Any) -> dict[str, Any] | None:
    if not isinstance(content, dict):
        return None
    for media, entry in content.items():
        if "json" in media and isinstance(entry, dict) and isinstance(entry.get("schema"), dict):
            schema: dict[str, Any] = entry["schema"]
            return schema
    return None


def _body(part: dict[str, Any]) -> Any:
    body = part.get("body")
    return body.get("content") if isinstance(body, dict) and "content" in body else body


def breaks(interaction: dict[str, Any], spec: dict[str, Any]) -> list[str]:
    """How the new spec breaks one interaction (empty: it still holds)."""
    request, response = interaction["request"], interaction.get("response") or {}
    method, path = str(request.get("method", "GET")).upper(), str(request.get("path", "/"))
    found = _operation(spec, method, path)
    if found is None:
        return [f"{method} {path}: the operation is no longer in the spec"]
    template, operation = found
    problems: list[str] = []
    headers = {name.lower() for name in (request.get("headers") or {})}
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "header" and parameter.get("required") and parameter["name"].lower() not in headers:
            problems.append(f"request header {parameter['name']}: newly required")
    body = _body(request)
    schema = _json_schema((operation.get("requestBody") or {}).get("content"))
    if body is not None and schema is not None:
        problems.extend(_errors(body, schema, "request"))
    status = str(response.get("status", 200))
    documented = operation.get("responses") or {}
    answer = documented.get(status) or documented.get(f"{status[0]}XX") or documented.get("default")
    if answer is None:
        problems.append(f"status {status} of {method} {template}: no longer documented (now {', '.join(documented)})")
        return problems
    expected = _body(response)
    schema = _json_schema(answer.get("content"))
    if expected is not None and schema is not None:
        problems.extend(_removed(expected, schema))
        problems.extend(_errors(expected, schema, "response"))
    return problems


def check(pacts: list[Pact], spec: dict[str, Any]) -> list[InteractionVerdict]:
    """A verdict per interaction of every pact: failed where the new spec breaks it, with how."""
    verdicts = []
    for pact in pacts:
        for interaction in pact.interactions:
            problems = breaks(interaction, spec)
            verdict = Verdict.FAILED if problems else Verdict.PASSED
            description = str(interaction.get("description", "(no description)"))
            verdicts.append(InteractionVerdict(pact.consumer, description, verdict, "; ".join(problems)))
    return verdicts
