"""Fixtures files: the default one loads, and every kind of mistake is named with its file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockserver.model.fixtures import DEFAULT_FIXTURES, FixtureError, load_fixtures


def test_default_fixtures_have_the_documented_partners_and_sku() -> None:
    fixtures = load_fixtures(DEFAULT_FIXTURES)
    keys = {partner.id: partner.api_key for partner in fixtures.partners}
    assert keys == {"partner-a": "demo-key-partner-a", "partner-b": "demo-key-partner-b"}
    skus = {entry.sku: entry.shopify_variant_id for entry in fixtures.catalogue}
    assert skus["JDTQ1834"] == 44219312570580
    assert "YOUR-SKU-123" not in skus
    assert len(skus) >= 10


GOOD_PARTNER = "  - {id: p, name: P, api_key: k1}\n"
GOOD_SKU = "  - {sku: S1, shopify_variant_id: 1}\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("partners: [\n", "not valid YAML at line"),
        ("- a\n- b\n", "top level: must be a mapping"),
        ("catalogue: []\n", "partners: missing"),
        ("partners:\n" + GOOD_PARTNER, "catalogue: missing"),
        ("partners: []\ncatalogue: []\n", "partners: must list at least one partner"),
        ("partners: {}\ncatalogue: []\n", "partners: must be a list"),
        ("partners:\n  - {id: p, name: P}\ncatalogue: []\n", "partners[0].api_key: missing"),
        ("partners:\n  - {id: p, name: P, api_key: 'has space'}\ncatalogue: []\n", "partners[0].api_key: must be"),
        ("partners:\n  - {id: '', name: P, api_key: k}\ncatalogue: []\n", "partners[0].id: must be a non-empty"),
        (
            "partners:\n" + GOOD_PARTNER + "  - {id: p, name: Q, api_key: k2}\ncatalogue: []\n",
            "partners[1].id: duplicate of partners[0].id",
        ),
        (
            "partners:\n" + GOOD_PARTNER + "  - {id: q, name: Q, api_key: k1}\ncatalogue: []\n",
            "partners[1].api_key: duplicate of partners[0].api_key",
        ),
        (
            "partners:\n" + GOOD_PARTNER + "catalogue:\n  - {sku: S1, shopify_variant_id: '12'}\n",
            "catalogue[0].shopify_variant_id: must be a positive integer",
        ),
        (
            "partners:\n" + GOOD_PARTNER + "catalogue:\n  - {sku: S1, shopify_variant_id: 0}\n",
            "catalogue[0].shopify_variant_id: must be a positive integer",
        ),
        (
            "partners:\n" + GOOD_PARTNER + "catalogue:\n" + GOOD_SKU + GOOD_SKU,
            "catalogue[1].sku: duplicate of catalogue[0].sku",
        ),
        ("partners:\n" + GOOD_PARTNER + "catalogue: []\nadmin: x\n", "admin: unknown key"),
    ],
)
def test_bad_fixtures_name_file_and_field(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(FixtureError) as info:
        load_fixtures(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert expected in message


def test_duplicate_key_message_does_not_print_the_key(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text(
        "partners:\n  - {id: a, name: A, api_key: s3cret}\n  - {id: b, name: B, api_key: s3cret}\ncatalogue: []\n"
    )
    with pytest.raises(FixtureError) as info:
        load_fixtures(path)
    assert "s3cret" not in str(info.value)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match="no such file"):
        load_fixtures(tmp_path / "nope.yaml")
