"""Load and check the mock's fixtures file (partners and SKU catalogue)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from jafarshop_kit.resources import FIXTURES_DIR

DEFAULT_FIXTURES = FIXTURES_DIR / "default.yaml"


class FixtureError(Exception):
    """A fixtures file that cannot be used; the message names the file, the field and the fix."""


@dataclass(frozen=True)
class PartnerFixture:
    id: str
    name: str
    api_key: str


@dataclass(frozen=True)
class CatalogueEntry:
    sku: str
    shopify_variant_id: int
    title: str | None = None


@dataclass(frozen=True)
class Fixtures:
    partners: tuple[PartnerFixture, ...]
    catalogue: tuple[CatalogueEntry, ...]
    source: str = "<memory>"
    admin_token: str | None = None


def load_fixtures(path: str | Path = DEFAULT_FIXTURES) -> Fixtures:
    """Read a fixtures YAML file; raise FixtureError naming the file and the faulty field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FixtureError(f"{path}: no such file (pass an existing file with --fixtures)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FixtureError(f"{path}: cannot be read: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise FixtureError(f"{path}: not valid YAML{where}: {problem}") from None
    return parse_fixtures(data, source=str(path))


# The admin token's rule, wherever a token comes from (the fixtures' admin_token, --admin-token, the environment): it
# travels in a Bearer header, and a short one is guessed.
ADMIN_TOKEN_RULE = "must be at least 8 printable ASCII characters without spaces"


def is_admin_token(token: object) -> bool:
    """Whether `token` follows ADMIN_TOKEN_RULE."""
    return isinstance(token, str) and len(token) >= 8 and token.isascii() and token.isprintable() and " " not in token


def parse_fixtures(data: Any, *, source: str = "<memory>") -> Fixtures:
    """Check already-parsed fixtures data and turn it into Fixtures."""

    def fail(field: str, problem: str) -> FixtureError:
        return FixtureError(f"{source}: {field}: {problem}")

    if not isinstance(data, dict):
        raise fail("top level", "must be a mapping with the keys 'partners' and 'catalogue'")
    unknown = sorted(set(data) - {"partners", "catalogue", "admin_token"})
    if unknown:
        raise fail(unknown[0], "unknown key (expected only 'partners', 'catalogue' and 'admin_token')")

    partners = [_partner(item, f"partners[{i}]", fail) for i, item in enumerate(_list(data, "partners", fail))]
    if not partners:
        raise fail("partners", "must list at least one partner, or no request can authenticate")
    _unique(partners, "id", "partners", fail)
    _unique(partners, "api_key", "partners", fail)

    catalogue = [_entry(item, f"catalogue[{i}]", fail) for i, item in enumerate(_list(data, "catalogue", fail))]
    _unique(catalogue, "sku", "catalogue", fail)
    admin_token = data.get("admin_token")
    if admin_token is not None and not is_admin_token(admin_token):
        raise fail("admin_token", ADMIN_TOKEN_RULE)
    return Fixtures(partners=tuple(partners), catalogue=tuple(catalogue), source=source, admin_token=admin_token)


def _list(data: dict[str, Any], key: str, fail: Any) -> list[Any]:
    if key not in data:
        raise fail(key, "missing (add a list under this key)")
    value = data[key]
    if value is None:
        return []
    if not isinstance(value, list):
        raise fail(key, f"must be a list, not {type(value).__name__}")
    return value


def _string(item: dict[str, Any], key: str, where: str, fail: Any, *, required: bool = True) -> str | None:
    if key not in item or item[key] is None:
        if required:
            raise fail(f"{where}.{key}", "missing (a non-empty string is required)")
        return None
    value = item[key]
    if not isinstance(value, str) or not value.strip():
        raise fail(f"{where}.{key}", f"must be a non-empty string, not {value!r}")
    return value


def _partner(item: Any, where: str, fail: Any) -> PartnerFixture:
    if not isinstance(item, dict):
        raise fail(where, "must be a mapping with id, name and api_key")
    api_key = _string(item, "api_key", where, fail)
    assert api_key is not None
    if any(ch.isspace() or not ch.isprintable() for ch in api_key) or not api_key.isascii():
        raise fail(f"{where}.api_key", "must be printable ASCII without spaces (it travels in a Bearer header)")
    return PartnerFixture(
        id=str(_string(item, "id", where, fail)),
        name=str(_string(item, "name", where, fail)),
        api_key=api_key,
    )


def _entry(item: Any, where: str, fail: Any) -> CatalogueEntry:
    if not isinstance(item, dict):
        raise fail(where, "must be a mapping with sku and shopify_variant_id")
    variant = item.get("shopify_variant_id")
    if isinstance(variant, bool) or not isinstance(variant, int) or variant < 1:
        raise fail(f"{where}.shopify_variant_id", f"must be a positive integer, not {variant!r}")
    return CatalogueEntry(
        sku=str(_string(item, "sku", where, fail)),
        shopify_variant_id=variant,
        title=_string(item, "title", where, fail, required=False),
    )


def _unique(items: list[Any], attr: str, where: str, fail: Any) -> None:
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        value = getattr(item, attr)
        if value in seen:
            raise fail(f"{where}[{index}].{attr}", f"duplicate of {where}[{seen[value]}].{attr}; each must be unique")
        seen[value] = index
