"""Validation: every missing field and broken constraint is 422 with the envelope; a body that is not JSON is 400."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract_tests.client import ApiClient, expect
from contract_tests.strategies import (
    BROKEN_CONSTRAINTS,
    BROKEN_FIELDS,
    REQUIRED_FIELDS,
    SampleCart,
    broken,
    carts,
    field_name,
    unique_id,
)
from contract_tests.strategies import without as without_field
from contract_tests.target import Target


def assert_rejected_without_using_its_key(
    api: ApiClient, sample_cart: SampleCart, cart: Any, path: str, why: str
) -> None:
    """422 naming the failing field (the guide: "check error details for specific field errors"; anywhere in the
    answer, in any form), and the rejected request created nothing under its Idempotency-Key: the same key then
    takes the valid cart as new (200; the mock records only 200 and 204), or says it is used (409; a target may keep
    the refusal under its key: the guide allows both), but never replays an order. (A black box cannot list orders;
    what the key does next is the part of "created" it can see.)"""
    key = unique_id("val")
    body = expect(api.submit(cart, key=key), 422, why)
    assert body.get("error"), f"a 422 must say what failed: {body!r}"
    name = field_name(path)
    assert name in json.dumps(body, ensure_ascii=False), (
        f"a 422 for {path} must name the field ({name!r}) for the partner to fix it: {body!r}"
    )
    valid = sample_cart(mapped=False)  # creates no order: 204 says the key was free, as a 200 would
    response = api.submit(valid, key=key)
    assert response.status_code in (204, 409), (
        f"after a 422, its key with a valid cart (no mapped SKU) must take it as new (204) or be 409, got "
        f"{response.status_code}: {response.text[:300]!r}"
    )


@pytest.mark.parametrize("field", REQUIRED_FIELDS)
def test_each_missing_required_field_is_422(api: ApiClient, sample_cart: SampleCart, field: str) -> None:
    cart = without_field(sample_cart(), field)
    assert_rejected_without_using_its_key(api, sample_cart, cart, field, f"a cart without {field} must be 422")


@pytest.mark.parametrize("name", list(BROKEN_CONSTRAINTS))
def test_each_broken_constraint_is_422(api: ApiClient, sample_cart: SampleCart, name: str) -> None:
    cart = broken(sample_cart(), BROKEN_CONSTRAINTS[name])
    path = BROKEN_FIELDS[name]
    assert_rejected_without_using_its_key(
        api, sample_cart, cart, path, f"this cart breaks the field reference at {path} and must be 422: {cart}"
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


# JSON that is not an object: the spec decides 422 (JSON, but no cart: every required field is missing). The guide
# allows 400 too: it names 400 "Bad Request: check request format" and 422 "missing required fields, invalid
# values", and a body whose top level is not an object is as much a wrong format as a cart with every field
# missing. Frameworks that bind the body to a cart type answer 400 (Go's gin, Spring), so both pass.
@pytest.mark.parametrize("body", [[], "cart", None, 42], ids=["array", "string", "null", "number"])
def test_json_that_is_not_an_object_is_rejected(api: ApiClient, body: Any) -> None:
    response = api.submit(body)
    assert response.status_code in (400, 422), (
        f"a JSON {type(body).__name__} is no cart: 400 or 422, got {response.status_code}"
    )
