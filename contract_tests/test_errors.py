"""The error envelope: every error status the guide documents answers {"error": non-empty, "details"?}.

Every other test checks the envelope too, on every 4xx/5xx it sees (see client.check_envelope)."""

from __future__ import annotations

import uuid

from contract_tests.checks import create_order
from contract_tests.client import ApiClient, expect
from contract_tests.strategies import sample_cart, unique_id
from contract_tests.target import Target

ONE_MIB = 1024 * 1024


def test_each_documented_error_status_answers_the_envelope(api: ApiClient, target: Target) -> None:
    cart = sample_cart(target.mapped_skus, target.unmapped_sku)
    expect(api.submit(content=b"{"), 400, "malformed JSON")
    expect(api.submit(cart, api_key=None), 401, "no API key")
    expect(api.get_order(str(uuid.uuid4())), 404, "unknown order")
    key = unique_id("env")
    create_order(api, cart, key=key)
    expect(api.submit(dict(cart, partner_order_id=unique_id("CT")), key=key), 409, "idempotency conflict")
    expect(api.submit(dict(cart, items=[])), 422, "validation failure")


def test_body_that_is_not_json_content_type_is_415(api: ApiClient, target: Target) -> None:
    cart = sample_cart(target.mapped_skus, target.unmapped_sku)
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        expect(api.submit(content=str(cart).encode(), content_type=content_type), 415, f"Content-Type {content_type}")


def test_body_over_one_mib_is_413(api: ApiClient, target: Target) -> None:
    cart = sample_cart(target.mapped_skus, target.unmapped_sku)
    cart["padding"] = "x" * ONE_MIB
    expect(api.submit(cart), 413, "a body over 1 MiB")
