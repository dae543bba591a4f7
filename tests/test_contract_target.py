"""How the contract suite reads its target: every mistake is named with its variable and its fix."""

from __future__ import annotations

import pytest

from contract_tests.target import DEFAULT_EXAMPLES, DEFAULT_UNMAPPED_SKU, TargetError, mask, resolve_target

GOOD = {"base_url": "http://127.0.0.1:8080/v1/", "api_key": "k-123456789", "mapped_skus": "A, B,,A"}


def test_a_minimal_target_gets_sane_defaults() -> None:
    target = resolve_target(GOOD)
    assert target.base_url == "http://127.0.0.1:8080/v1"
    assert target.mapped_skus == ("A", "B")
    assert target.unmapped_sku == DEFAULT_UNMAPPED_SKU
    assert (target.examples, target.max_orders, target.other_api_key, target.shrink) == (
        DEFAULT_EXAMPLES,
        None,
        None,
        False,
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"base_url": None}, "JAFARSHOP_BASE_URL is not set"),
        ({"base_url": "127.0.0.1:8080"}, "JAFARSHOP_BASE_URL='127.0.0.1:8080': must be an http(s) URL"),
        ({"api_key": " "}, "JAFARSHOP_API_KEY is not set"),
        ({"mapped_skus": None}, "JAFARSHOP_MAPPED_SKUS is not set"),
        ({"mapped_skus": "  "}, "JAFARSHOP_MAPPED_SKUS is not set"),
        ({"mapped_skus": ",,"}, "lists no SKU"),
        ({"unmapped_sku": "A"}, "JAFARSHOP_UNMAPPED_SKU='A' is also in JAFARSHOP_MAPPED_SKUS"),
        ({"other_api_key": "k-123456789"}, "JAFARSHOP_OTHER_API_KEY must belong to a different partner"),
        ({"examples": "many"}, "JAFARSHOP_EXAMPLES='many': must be a whole number"),
        ({"max_orders": "0"}, "JAFARSHOP_MAX_ORDERS='0': must be at least 1"),
        ({"shrink": "maybe"}, "JAFARSHOP_SHRINK='maybe': must be 1/0, true/false, yes/no or on/off"),
    ],
)
def test_bad_settings_name_the_variable(change: dict[str, str | None], message: str) -> None:
    with pytest.raises(TargetError) as info:
        resolve_target({**GOOD, **change})
    assert message in str(info.value)


def test_keys_are_masked_to_their_last_four_characters() -> None:
    assert mask("demo-key-partner-a") == "****er-a"
    assert "secret" not in mask("secret")


def test_a_target_never_shows_its_keys_in_full() -> None:
    target = resolve_target({**GOOD, "other_api_key": "other-key-987654"})
    assert "k-123456789" not in repr(target) and "other-key-987654" not in repr(target)
    assert "****6789" in repr(target)
