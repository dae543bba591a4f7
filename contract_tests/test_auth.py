"""Authentication and ownership: 401 for any bad key on both operations, 403 for another partner's order, 404."""

from __future__ import annotations

import uuid

import pytest

from contract_tests.checks import create_order
from contract_tests.client import ApiClient, expect
from contract_tests.strategies import sample_cart
from contract_tests.target import Target

BAD_AUTHORIZATION = {
    "missing": None,
    "unknown-key": "jafarshop-contract-suite-unknown-key",
}
MALFORMED_HEADERS = {
    "empty-header": "",
    "no-token": "Bearer",
    "basic-scheme": "Basic {key}",
    "no-scheme": "{key}",
    "token-scheme": "Token {key}",
    "key-with-suffix": "Bearer {key}x",
}


@pytest.mark.parametrize("api_key", list(BAD_AUTHORIZATION.values()), ids=list(BAD_AUTHORIZATION))
def test_submit_without_a_valid_key_is_401(api: ApiClient, target: Target, api_key: str | None) -> None:
    cart = sample_cart(target.mapped_skus, target.unmapped_sku)
    expect(api.submit(cart, api_key=api_key), 401, "a missing or unknown API key must be 401")


@pytest.mark.parametrize("template", list(MALFORMED_HEADERS.values()), ids=list(MALFORMED_HEADERS))
def test_submit_with_a_malformed_authorization_header_is_401(api: ApiClient, target: Target, template: str) -> None:
    cart = sample_cart(target.mapped_skus, target.unmapped_sku)
    response = api.submit(cart, authorization=template.format(key=target.api_key))
    expect(response, 401, f"Authorization: {template.format(key='<key>')!r} must be 401")


@pytest.mark.parametrize("template", list(MALFORMED_HEADERS.values()), ids=list(MALFORMED_HEADERS))
def test_get_order_with_a_malformed_authorization_header_is_401(api: ApiClient, target: Target, template: str) -> None:
    order_id = create_order(api, sample_cart(target.mapped_skus, target.unmapped_sku))
    response = api.get_order(order_id, authorization=template.format(key=target.api_key))
    expect(response, 401, f"Authorization: {template.format(key='<key>')!r} must be 401")


@pytest.mark.parametrize("api_key", list(BAD_AUTHORIZATION.values()), ids=list(BAD_AUTHORIZATION))
def test_get_order_without_a_valid_key_is_401(api: ApiClient, target: Target, api_key: str | None) -> None:
    order_id = create_order(api, sample_cart(target.mapped_skus, target.unmapped_sku))
    expect(api.get_order(order_id, api_key=api_key), 401, "reading an order without a valid key must be 401")


def test_another_partners_order_is_403(api: ApiClient, other_api: ApiClient, target: Target) -> None:
    order_id = create_order(api, sample_cart(target.mapped_skus, target.unmapped_sku))
    body = expect(other_api.get_order(order_id), 403, "another partner's order must be 403")
    assert "partner_order_id" not in str(body), f"a 403 must not leak the order: {body!r}"


def test_unknown_order_id_is_404(api: ApiClient) -> None:
    expect(api.get_order(str(uuid.uuid4())), 404, "an order id that does not exist must be 404")


@pytest.mark.parametrize("order_id", ["not-a-uuid", "12345", "ORDER-2024-001"])
def test_order_id_that_is_not_a_uuid_is_404(api: ApiClient, order_id: str) -> None:
    expect(api.get_order(order_id), 404, "an order id that is not a UUID reads as unknown (404)")
