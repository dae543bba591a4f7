"""The error envelope: every error status the guide documents answers {"error": non-empty, "details"?}.

Every other test checks the envelope too, on every 4xx/5xx it sees (see client.check_envelope)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest

from contract_tests.checks import assert_refused_key_never_replays, create_order
from contract_tests.client import ApiClient, expect
from contract_tests.strategies import SampleCart, new_partner_order_id, unique_id

# The guide states no size limit. A real server has one; the kit's mock takes 1 MiB (tested in the mock's own
# tests), others more. 20 MiB is far past any cart, so every correct target refuses it.
OVERSIZED_BYTES = 20 * 1024 * 1024
PROMPT_SECONDS = 30.0  # at most: the request fails sooner at JAFARSHOP_REQUEST_TIMEOUT


@pytest.mark.orders(1)
def test_each_documented_error_status_answers_the_envelope(api: ApiClient, sample_cart: SampleCart) -> None:
    cart = sample_cart()
    expect(api.submit(content=b"{"), 400, "malformed JSON")
    expect(api.submit(cart, api_key=None), 401, "no API key")
    expect(api.get_order(str(uuid.uuid4())), 404, "unknown order")
    key = unique_id("env")
    create_order(api, cart, key=key)
    expect(api.submit(dict(cart, partner_order_id=new_partner_order_id()), key=key), 409, "idempotency conflict")
    expect(api.submit(dict(cart, items=[])), 422, "validation failure")


def test_body_in_another_media_type_is_415_or_400(api: ApiClient, sample_cart: SampleCart) -> None:
    """The guide requires Content-Type: application/json but names no status for its absence: 415 (the mock's) or
    400 ("check request format"). (A form body is no cart either way; 422, a form read with no cart fields, would
    also be a client error, but no documented reading of the guide leads there.)"""
    cart = sample_cart()
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        response = api.submit(content=str(cart).encode(), content_type=content_type)
        assert response.status_code in (415, 400), (
            f"a body sent as {content_type} must be refused with 415 or 400, got {response.status_code}: "
            f"{response.text[:300]!r}"
        )


def test_oversized_body_is_refused_promptly(api: ApiClient, sample_cart: SampleCart) -> None:
    """A 20 MiB cart gets a 4xx (413 preferred, any 4xx passes) within 30 s, never a 5xx or a hang, and creates no
    order: its Idempotency-Key then takes another cart as new (200), or reports it used (409, if the target keeps
    refusals under their key, which the guide allows); it never replays an order made from the oversized cart."""
    key = unique_id("big")
    oversized = sample_cart()
    oversized["padding"] = "x" * OVERSIZED_BYTES
    started = time.monotonic()
    try:
        response = api.submit(oversized, key=key)
    except httpx.WriteError:
        response = None  # the target stopped reading and closed the connection: refused before the body was in
    except httpx.TimeoutException:
        raise AssertionError(
            f"a {OVERSIZED_BYTES >> 20} MiB body got no answer within {PROMPT_SECONDS:.0f} s"
        ) from None
    elapsed = time.monotonic() - started
    if response is not None:
        assert 400 <= response.status_code < 500, (
            f"a {OVERSIZED_BYTES >> 20} MiB body must be refused as the client's error (4xx, 413 preferred), "
            f"got {response.status_code}: {response.text[:300]!r}"
        )
    assert elapsed < PROMPT_SECONDS, f"refusing a {OVERSIZED_BYTES >> 20} MiB body took {elapsed:.1f} s"
    assert_refused_key_never_replays(api, key, sample_cart(mapped=False), "the oversized cart")


def test_no_answer_to_the_preflight_was_a_server_error(preflight_seen: dict[str, Any]) -> None:
    """The pre-flight's requests are valid ones (a cart, a read): a 5xx to any of them is a server failure, as it
    would be in any test, and not evidence that a setting is right or wrong."""
    errors = preflight_seen.get("server_errors", [])
    assert not errors, f"the pre-flight's requests met server failures: {'; '.join(errors)}"
