"""Validation: every missing field and broken constraint is 422 with the envelope; a body that is not JSON is 400."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract_tests.checks import create_order
from contract_tests.client import ApiClient, expect
from contract_tests.strategies import (
    BROKEN_CONSTRAINTS,
    REQUIRED_FIELDS,
    Mutation,
    broken,
    carts,
    sample_cart,
    unique_id,
)
from contract_tests.strategies import without as without_field
from contract_tests.target import Target


def assert_rejected_without_using_its_key(api: ApiClient, target: Target, cart: Any, why: str) -> None:
    """422, and the rejected request did not use up its Idempotency-Key: the same key then creates the valid order.
    (A black box cannot list orders; a key recorded by the rejected request is the part of "created" it can see.)"""
    key = unique_id("val")
    body = expect(api.submit(cart, key=key), 422, why)
    assert body.get("error"), f"a 422 must say what failed: {body!r}"
    create_order(api, sample_cart(target.mapped_skus, target.unmapped_sku), key=key)


@pytest.mark.parametrize("field", REQUIRED_FIELDS)
def test_each_missing_required_field_is_422(api: ApiClient, target: Target, field: str) -> None:
    cart = without_field(sample_cart(target.mapped_skus, target.unmapped_sku), field)
    assert_rejected_without_using_its_key(api, target, cart, f"a cart without {field} must be 422")


@pytest.mark.parametrize("mutation", list(BROKEN_CONSTRAINTS.values()), ids=list(BROKEN_CONSTRAINTS))
def test_each_broken_constraint_is_422(api: ApiClient, target: Target, mutation: Mutation) -> None:
    cart = broken(sample_cart(target.mapped_skus, target.unmapped_sku), mutation)
    assert_rejected_without_using_its_key(
        api, target, cart, f"this cart breaks the field reference and must be 422: {cart}"
    )


def test_any_valid_cart_with_one_rule_broken_is_422(api: ApiClient, target: Target) -> None:
    @given(cart=carts(target.mapped_skus, target.unmapped_sku), name=st.sampled_from(sorted(BROKEN_CONSTRAINTS)))
    def check(cart: dict[str, Any], name: str) -> None:
        expect(api.submit(broken(cart, BROKEN_CONSTRAINTS[name])), 422, f"a cart with {name} must be 422")

    check()


@pytest.mark.parametrize(
    "content",
    [b"{", b"{'partner_order_id': 'x'}", b"not json at all", b""],
    ids=["truncated", "single-quotes", "text", "empty"],
)
def test_body_that_is_not_json_is_400(api: ApiClient, content: bytes) -> None:
    expect(api.submit(content=content), 400, f"a body that is not JSON ({content[:30]!r}) must be 400")


@pytest.mark.parametrize("body", [[], "cart", None, 42], ids=["array", "string", "null", "number"])
def test_json_that_is_not_an_object_is_rejected(api: ApiClient, body: Any) -> None:
    response = api.submit(body)
    assert response.status_code in (400, 422), (
        f"a JSON {type(body).__name__} is no cart: 400 or 422, got {response.status_code}"
    )
