"""Hypothesis strategies for carts built from the target's own mapped SKUs, and the ways to break them."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from hypothesis import strategies as st

from contract_tests.spec import countries, payment_methods

ABSENT = object()

# Printable text, any script (customers are named in Arabic as often as in Latin), no surrounding spaces: a target
# may trim strings, and the guide does not say it must not.
_TEXT_ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp", "Co", "Cn"))
text = st.text(_TEXT_ALPHABET, min_size=1, max_size=30).map(str.strip).filter(bool)
# Money in cents: a target may store amounts as decimals with two places.
money = st.integers(min_value=0, max_value=10_000_000).map(lambda cents: cents / 100)
quantity = st.integers(min_value=1, max_value=1000)


def unique_id(prefix: str) -> str:
    """A value that no earlier run sent, so orders on a real target never collide."""
    return f"{prefix}-{uuid.uuid4().hex[:16].upper()}"


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.just(ABSENT), st.none(), strategy)


def _without_absent(**fields: Any) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not ABSENT}


def items(skus: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda sku, title, price, qty, url: _without_absent(
            sku=sku, title=title, price=price, quantity=qty, product_url=url
        ),
        skus,
        text,
        money,
        quantity,
        _optional(st.just("https://partner.example/product/").map(lambda base: base + uuid.uuid4().hex[:8])),
    )


def own_skus(unmapped_sku: str) -> st.SearchStrategy[str]:
    """SKUs of the partner's own products: the configured unmapped SKU, or made-up ones no catalogue holds."""
    return st.one_of(st.just(unmapped_sku), st.builds(lambda: unique_id("PARTNER-OWN")))


@st.composite
def carts(
    draw: st.DrawFn, mapped_skus: tuple[str, ...], unmapped_sku: str, *, mapped: int = 1, max_own: int = 3
) -> dict[str, Any]:
    """A valid cart with at least `mapped` mapped items (0 for a cart with none) and some of the partner's own."""
    cart_items = draw(st.lists(items(st.sampled_from(mapped_skus)), min_size=mapped, max_size=3)) if mapped else []
    cart_items += draw(st.lists(items(own_skus(unmapped_sku)), min_size=0 if mapped else 1, max_size=max_own))
    cart_items = draw(st.permutations(cart_items))
    return _without_absent(
        partner_order_id=unique_id("CT"),
        items=list(cart_items),
        customer=_without_absent(
            name=draw(text), phone=draw(_optional(st.from_regex(r"\+[0-9]{8,14}", fullmatch=True)))
        ),
        shipping=_without_absent(
            street=draw(text),
            city=draw(text),
            state=draw(_optional(text)),
            postal_code=draw(st.from_regex(r"[0-9A-Z]{3,8}", fullmatch=True)),
            country=draw(st.sampled_from(countries())),
        ),
        totals={"subtotal": draw(money), "tax": draw(money), "shipping": draw(money), "total": draw(money)},
        payment_status=draw(_optional(st.sampled_from(["paid", "pending", "refunded"]))),
        payment_method=draw(_optional(st.sampled_from(payment_methods()))),
    )


def guide_mixed_cart(mapped_sku: str, unmapped_sku: str) -> dict[str, Any]:
    """The guide's mixed-cart example with the target's SKUs and a fresh partner_order_id."""
    return {
        "partner_order_id": unique_id("CT-GUIDE"),
        "items": [
            {
                "sku": mapped_sku,
                "title": "JafarShop Product",
                "price": 29.99,
                "quantity": 2,
                "product_url": "https://yourstore.com/product/jdtq1834",
            },
            {
                "sku": unmapped_sku,
                "title": "Your Product",
                "price": 19.99,
                "quantity": 1,
                "product_url": "https://yourstore.com/product/your-sku-123",
            },
        ],
        "customer": {"name": "John Doe", "phone": "+1234567890"},
        "shipping": {
            "street": "123 Main Street",
            "city": "Amman",
            "state": "Khalda",
            "postal_code": "11118",
            "country": "JO",
        },
        "totals": {"subtotal": 79.97, "tax": 6.40, "shipping": 5.00, "total": 91.37},
        "payment_status": "paid",
        "payment_method": "Cash On Delivery (COD)",
    }


Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    def mutate(cart: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = cart
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value

    return mutate


def _drop(path: str) -> Mutation:
    def mutate(cart: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = cart
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        del node[last]

    return mutate


REQUIRED_FIELDS = [
    "partner_order_id", "items", "customer", "shipping", "totals",
    "items.0.sku", "items.0.title", "items.0.price", "items.0.quantity",
    "customer.name",
    "shipping.street", "shipping.city", "shipping.postal_code", "shipping.country",
    "totals.subtotal", "totals.tax", "totals.shipping", "totals.total",
]  # fmt: skip

# Each breaks exactly one rule of the guide's field reference, in the field named; a correct target answers 422.
_BROKEN: list[tuple[str, str, Any]] = [
    ("quantity-zero", "items.0.quantity", 0),
    ("quantity-negative", "items.0.quantity", -1),
    ("quantity-fractional", "items.0.quantity", 1.5),
    ("quantity-string", "items.0.quantity", "2"),
    ("price-negative", "items.0.price", -0.01),
    ("price-string", "items.0.price", "29.99"),
    ("subtotal-negative", "totals.subtotal", -1),
    ("tax-negative", "totals.tax", -1),
    ("shipping-cost-negative", "totals.shipping", -1),
    ("total-negative", "totals.total", -1),
    ("total-string", "totals.total", "91.37"),
    ("items-empty", "items", []),
    ("items-object", "items", {"sku": "X"}),
    ("country-three-letters", "shipping.country", "JOR"),
    ("country-lower-case", "shipping.country", "jo"),
    ("country-digits", "shipping.country", "12"),
    ("country-empty", "shipping.country", ""),
    ("payment-method-unsupported", "payment_method", "Bitcoin"),
    ("payment-method-wrong-case", "payment_method", "credit card"),
    ("partner-order-id-empty", "partner_order_id", ""),
    ("partner-order-id-number", "partner_order_id", 1234),
    ("sku-empty", "items.0.sku", ""),
    ("title-empty", "items.0.title", ""),
    ("customer-name-empty", "customer.name", ""),
    ("customer-string", "customer", "John Doe"),
    ("shipping-array", "shipping", ["123 Main Street"]),
    ("item-not-object", "items.0", "JDTQ1834"),
]
BROKEN_CONSTRAINTS: dict[str, Mutation] = {name: _set(path, value) for name, path, value in _BROKEN}
BROKEN_FIELDS: dict[str, str] = {name: path for name, path, _ in _BROKEN}


def field_name(path: str) -> str:
    """The name a 422 should mention for the field at `path`: its last part that is not an index."""
    return next(part for part in reversed(path.split(".")) if not part.isdigit())


def broken(cart: dict[str, Any], mutation: Mutation) -> dict[str, Any]:
    """A copy of `cart` with one rule broken."""
    copied = copy.deepcopy(cart)
    mutation(copied)
    return copied


def without(cart: dict[str, Any], path: str) -> dict[str, Any]:
    """A copy of `cart` without the field at `path`."""
    return broken(cart, _drop(path))


def sample_cart(mapped_skus: tuple[str, ...], unmapped_sku: str, *, mapped: bool = True) -> dict[str, Any]:
    """One plain valid cart, for tests about one request rather than a property over many (tests take it from the
    `sample_cart` fixture, bound to the target's SKUs): the guide's mixed cart; with `mapped=False` no item mapped."""
    cart = guide_mixed_cart(mapped_skus[0], unmapped_sku)
    if not mapped:
        cart["items"][0]["sku"] = unique_id("PARTNER-OWN")
    return cart


class SampleCart(Protocol):
    """The `sample_cart` fixture: a new plain valid cart at each call."""

    def __call__(self, *, mapped: bool = True) -> dict[str, Any]: ...
