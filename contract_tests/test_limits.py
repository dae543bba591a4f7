"""Past the largest sizes a target must accept (x-largest-accepted): a target may take such a cart or refuse it with a
4xx, never answer it with a 5xx or drop the connection."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from contract_tests.client import ApiClient
from contract_tests.spec import largest_accepted
from contract_tests.strategies import SampleCart, longest_sku, new_key, new_partner_order_id

Grow = Callable[[dict[str, Any], dict[str, int]], None]


def _title(cart: dict[str, Any], limits: dict[str, int]) -> None:
    cart["items"][0]["title"] = "T" * (limits["text_characters"] + 1)


def _name(cart: dict[str, Any], limits: dict[str, int]) -> None:
    cart["customer"]["name"] = "جعفر " * limits["text_characters"]  # 5 times the limit, in Arabic


def _lines(cart: dict[str, Any], limits: dict[str, int]) -> None:
    line = cart["items"][1]
    cart["items"] += [
        dict(line, title=f"{line['title']} #{n}") for n in range(limits["items"] + 1 - len(cart["items"]))
    ]


def _body(cart: dict[str, Any], limits: dict[str, int]) -> None:
    width = limits["text_characters"]
    line = dict(cart["items"][1], title="B" * width, product_url="https://yourstore.com/" + "p" * 1000)
    count = limits["body_bytes"] * 3 // (width + 1100) // 2  # about 150 KiB in all, within the line limit
    cart["items"] += [dict(line, title=f"{n:03d}" + "B" * (width - 3)) for n in range(count)]


def _partner_order_id(cart: dict[str, Any], limits: dict[str, int]) -> None:
    cart["partner_order_id"] = new_partner_order_id("BEYOND").ljust(limits["partner_order_id_characters"] + 1, "9")


def _sku(cart: dict[str, Any], limits: dict[str, int]) -> None:
    cart["items"][1]["sku"] = longest_sku() + "X"


def _amount(cart: dict[str, Any], limits: dict[str, int]) -> None:
    cart["totals"]["total"] = limits["amount"] * 100 + 0.125


def _quantity(cart: dict[str, Any], limits: dict[str, int]) -> None:
    cart["items"][0]["quantity"] = limits["quantity"] * 1000 + 1


def _phone(cart: dict[str, Any], limits: dict[str, int]) -> None:
    cart["customer"]["phone"] = "+962" + "7" * limits["phone_characters"]


PAST_THE_LIMITS: dict[str, Grow] = {
    "a title one character too long": _title,
    "a customer name five times too long": _name,
    "one line more than the most": _lines,
    "a body half as large again as the largest": _body,
    "a partner_order_id one character too long": _partner_order_id,
    "a SKU one character too long": _sku,
    "a total a hundred times the largest": _amount,
    "a quantity a thousand times the largest": _quantity,
    "a phone number too long": _phone,
}
KEYS_PAST_THE_LIMIT = {"one character too long": 1, "a thousand characters": 1000 - 64}


def _answer(send: Callable[[], httpx.Response], what: str) -> httpx.Response:
    try:
        response = send()
    except httpx.TransportError as exc:
        raise AssertionError(
            f"{what}: the target dropped the connection ({type(exc).__name__}: {exc}); past the largest sizes it "
            "may refuse with a 4xx, never drop the request"
        ) from None
    assert response.status_code < 500, (
        f"{what}: answered {response.status_code} ({response.text[:200]!r}); past the largest sizes a target may "
        "accept the cart or refuse it with a 4xx, never fail on it with a 5xx"
    )
    return response


@pytest.mark.orders(len(PAST_THE_LIMITS) + len(KEYS_PAST_THE_LIMIT))
def test_values_past_the_largest_sizes_are_taken_or_refused_with_a_4xx(api: ApiClient, sample_cart: SampleCart) -> None:
    """Each value past its limit in a cart of its own (one over-limit value could hide another's 5xx): 200 (and the
    order then reads) or a 4xx; never a 5xx or a dropped connection. The same for Idempotency-Keys past the longest a
    target must accept."""
    limits = largest_accepted()
    cases = []
    for what, grow in PAST_THE_LIMITS.items():
        cart = copy.deepcopy(sample_cart())
        grow(cart, limits)
        cases.append((what, cart, new_key("uuid")))
    for what, extra in KEYS_PAST_THE_LIMIT.items():
        key = new_key("system", limits["idempotency_key_characters"]).ljust(limits["idempotency_key_characters"], "k")
        cases.append((f"an Idempotency-Key {what}", sample_cart(), key + "k" * extra))
    for what, cart, key in cases:
        response = _answer(functools.partial(api.submit, cart, key=key), f"a cart with {what}")
        if response.status_code == 200:
            order_id = response.json()["supplier_order_id"]
            read = _answer(functools.partial(api.get_order, order_id), f"the order of a cart with {what}")
            assert read.status_code == 200, (
                f"a cart with {what} was taken (200, {order_id}) but its order reads {read.status_code}"
            )
