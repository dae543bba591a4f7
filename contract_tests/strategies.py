"""Hypothesis strategies for carts built from the target's own mapped SKUs, and the ways to break them."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from hypothesis import strategies as st

from contract_tests.spec import countries, largest_accepted, payment_methods
from contract_tests.target import ORDER_PREFIX

__all__ = ["ORDER_PREFIX"]  # re-exported: the reports name it

ABSENT = object()

# Printable text, any script (customers are named in Arabic as often as in Latin), no surrounding spaces: a target
# may trim strings, and the guide does not say it must not.
_TEXT_ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp", "Co", "Cn"))
_typical_text = st.text(_TEXT_ALPHABET, min_size=1, max_size=30).map(lambda value: trimmed(value)).filter(bool)


def trimmed(value: str) -> str:
    """`value` without the white space any target may trim: Python's and JavaScript's (which adds U+FEFF)."""
    return value.strip().strip("\ufeff").strip()


def utf16_units(value: str) -> int:
    """The length of `value` as Java, JavaScript and .NET count it: characters beyond the BMP count twice."""
    return len(value.encode("utf-16-le")) // 2


def cut(value: str, limit: int) -> str:
    """`value` cut to at most `limit` UTF-16 code units (the spec's unit for text limits), then trimmed."""
    while utf16_units(value) > limit:
        value = value[: max(0, len(value) - max(1, (utf16_units(value) - limit) // 2))]
    return trimmed(value)


# What real stores send that chance seldom reaches in 50 examples: other scripts, emoji beyond the Basic Multilingual
# Plane (ZWJ sequences, flags, skin tones), combining marks, right-to-left marks, quotes and markup, mathematical and
# rare CJK letters, no-break and em spaces inside.
ODD_TEXT = (
    "جعفر الخطيب", "زعتر بلدي – ٥٠٠ غرام", "شارع الملكة رانيا ١٢", "מאפה שמרים", "抹茶ラテ 500g", "绿茶 特级",
    "김치 1kg", "Чай с чабрецом", "Ελαιόλαδο", "मसाला चाय", "ต้มยำกุ้ง", "Straße ẞ", "Cre\u0300me bru\u0302le\u0301e",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467 family pack", "🇯🇴 flag", "👍🏽 thumbs", "🌿🍋🫒", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟙𝟚𝟛", "𠀋𡈽𤭢 rare",
    "\u200fمرحبا\u200e abc", 'Tom\'s "best" tea & co. \\ / 50% (x2)', "a\u00a0b\u2003c", "Z\u0351a\u0308lgo\u0353",
)  # fmt: skip


def _to_length(seed: str, length: int) -> str:
    """`seed` repeated to at most `length` UTF-16 code units (cut there), without surrounding spaces."""
    return cut((seed + " ") * (length // max(1, len(seed)) + 1), length) or cut(seed, length)


def text_up_to(limit: int) -> st.SearchStrategy[str]:
    """Text as stores send it: mostly typical, some odd, some long up to `limit` characters (built from a short seed,
    so that hypothesis' budget is not spent on it)."""
    odd = st.sampled_from(ODD_TEXT)
    long = st.builds(_to_length, st.one_of(odd, _typical_text), st.integers(limit * 3 // 4, limit))
    return st.one_of(_typical_text, _typical_text, odd, long).map(lambda value: cut(value, limit)).filter(bool)


def text() -> st.SearchStrategy[str]:
    """A text field of a cart, up to the largest a target must accept."""
    return text_up_to(largest_accepted()["text_characters"])


def money() -> st.SearchStrategy[float]:
    """Amounts in cents as most stores keep them, in fils (three decimals: the Jordanian dinar) and large ones."""
    top = largest_accepted()["amount"]
    cents = st.integers(min_value=0, max_value=10_000_000).map(lambda n: n / 100)
    fils = st.integers(min_value=0, max_value=top * 1000).map(lambda n: n / 1000)
    return st.one_of(cents, fils, st.sampled_from([0.0, 0.001, 12.345, 999.999, float(top), top - 0.001]))


def quantity() -> st.SearchStrategy[int]:
    """Mostly a few, sometimes a wholesale quantity up to the largest a target must accept."""
    return st.one_of(st.integers(min_value=1, max_value=10), st.integers(1, largest_accepted()["quantity"]))


def unique_id(prefix: str) -> str:
    """A value that no earlier run sent, so orders on a real target never collide."""
    return f"{prefix}-{uuid.uuid4().hex[:16].upper()}"


def new_partner_order_id(tag: str = "CT") -> str:
    """A partner_order_id no earlier run sent, with the suite's prefix (a staging finds the run's orders by it)."""
    return unique_id(f"{ORDER_PREFIX}{tag}")


# Order ids as other systems write them (Shopify's order name and GraphQL id, WooCommerce, ERPs, Arabic digits),
# after the suite's prefix; {} becomes a fresh unique part so that no two runs send the same id.
ORDER_ID_FORMS = ("CT-{}", "#{}", "gid://shopify/Order/{}", "wc_order_{}", "ORD/2026/{}", "طلب-{}", "po {} (rev 2)")


def partner_order_ids() -> st.SearchStrategy[str]:
    """Unique partner order ids in other systems' shapes, some at the longest a target must accept."""
    limit = largest_accepted()["partner_order_id_characters"]
    form = st.sampled_from(ORDER_ID_FORMS).map(lambda form: ORDER_PREFIX + form.format(uuid.uuid4().hex[:12].upper()))
    longest = st.builds(lambda: (ORDER_PREFIX + "LONG-" + uuid.uuid4().hex * 4)[:limit])
    return st.one_of(form, form, longest)


def idempotency_keys() -> st.SearchStrategy[str]:
    """Keys as partners make them: the guide's UUID (either case), PHP's uniqid('', true), keys from other systems
    up to the longest a target must accept."""
    limit = largest_accepted()["idempotency_key_characters"]
    return st.sampled_from(["uuid", "UUID", "uniqid", "system"]).map(lambda form: new_key(form, limit))


def new_key(form: str, limit: int = 64) -> str:
    """A fresh key of one of the forms idempotency_keys() makes."""
    value = uuid.uuid4()
    if form == "uuid":
        return str(value)
    if form == "UUID":
        return str(value).upper()
    if form == "uniqid":  # 14 hex digits, a dot, 8 digits
        return f"{value.hex[:14]}.{value.int % 10**8:08d}"
    return f"shopify-checkout:{value.hex}:attempt-1"[:limit]


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.just(ABSENT), st.none(), strategy)


def _without_absent(**fields: Any) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not ABSENT}


def product_urls() -> st.SearchStrategy[str]:
    """Product URLs, some with long query strings and non-ASCII paths."""
    limit = largest_accepted()["product_url_characters"]
    base = st.sampled_from(
        ["https://partner.example/product/", "https://متجر.example/منتج/", "http://shop.example/p?id="]
    )
    return st.builds(
        lambda prefix, tail: (prefix + uuid.uuid4().hex[:8] + tail)[:limit],
        base,
        st.one_of(st.just(""), st.builds(lambda n: "&utm=" + "x" * n, st.integers(0, limit))),
    )


def items(skus: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda sku, title, price, qty, url: _without_absent(
            sku=sku, title=title, price=price, quantity=qty, product_url=url
        ),
        skus,
        text(),
        money(),
        quantity(),
        _optional(product_urls()),
    )


def own_skus(unmapped_sku: str) -> st.SearchStrategy[str]:
    """SKUs of the partner's own products: the configured unmapped SKU, or made-up ones no catalogue holds."""
    return st.one_of(st.just(unmapped_sku), st.builds(lambda: unique_id("PARTNER-OWN")), st.builds(longest_sku))


def longest_sku() -> str:
    """A partner SKU as long as a target must accept (x-largest-accepted), unique."""
    return ("PARTNER-OWN-ERP-" + uuid.uuid4().hex * 2)[: largest_accepted()["sku_characters"]]


def _lines(templates: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """`count` cart lines made from a few drawn ones, each a little different (title, price), as a long order is."""
    lines = []
    for index in range(count):
        line = dict(templates[index % len(templates)])
        suffix = f" #{index}"
        line["title"] = cut(line["title"], largest_accepted()["text_characters"] - len(suffix)) + suffix
        line["price"] = round(abs(line["price"] - index / 1000), 3)
        if line.get("product_url") and index >= len(templates):  # long URLs on the drawn lines only: the body's size
            line["product_url"] = line["product_url"][:100] + f"&line={index}"
        lines.append(line)
    return lines


def fit_body(cart: dict[str, Any], limit: int) -> dict[str, Any]:
    """`cart` with lines dropped from the end until its JSON (UTF-8) fits in `limit` bytes; the first line stays."""
    while len(cart["items"]) > 1 and len(json.dumps(cart, ensure_ascii=False).encode()) > limit:
        cart["items"] = cart["items"][: max(1, len(cart["items"]) * 9 // 10)]
    return cart


@st.composite
def carts(
    draw: st.DrawFn, mapped_skus: tuple[str, ...], unmapped_sku: str, *, mapped: int = 1, max_own: int = 3
) -> dict[str, Any]:
    """A valid cart with at least `mapped` mapped items (0 for a cart with none) and some of the partner's own: most
    of a few lines, some of dozens, some of the most lines a target must accept (within its body size)."""
    cart_items = draw(st.lists(items(st.sampled_from(mapped_skus)), min_size=mapped, max_size=3)) if mapped else []
    cart_items += draw(st.lists(items(own_skus(unmapped_sku)), min_size=0 if mapped else 1, max_size=max_own))
    size = draw(st.integers(0, 9))  # 0-5: a few lines, 6-7: dozens, 8-9: about the most a target must accept
    if size >= 6:
        most = largest_accepted()["items"]
        count = draw(st.integers(10, 40) if size < 8 else st.integers(most - 10, most))
        cart_items = _lines(cart_items, count)
    # Mapped lines anywhere, not only first (a rotation: a permutation of hundreds of lines overruns hypothesis).
    turn = draw(st.integers(0, len(cart_items) - 1))
    cart_items = cart_items[turn:] + cart_items[:turn]
    cart = _without_absent(
        partner_order_id=draw(partner_order_ids()),
        items=list(cart_items),
        customer=_without_absent(
            name=draw(text()),
            phone=draw(_optional(st.sampled_from(PHONES))),
        ),
        shipping=_without_absent(
            street=draw(text()),
            city=draw(text()),
            state=draw(_optional(text())),
            postal_code=draw(st.sampled_from(POSTAL_CODES)),
            country=draw(st.sampled_from(countries())),
        ),
        totals={"subtotal": draw(money()), "tax": draw(money()), "shipping": draw(money()), "total": draw(money())},
        payment_status=draw(_optional(st.sampled_from(["paid", "pending", "refunded", "partially_paid"]))),
        payment_method=draw(_optional(st.sampled_from(payment_methods()))),
    )
    return fit_body(cart, largest_accepted()["body_bytes"])


# Phone numbers and postal codes in the forms stores keep them.
# The last of each is as long as a target must accept (x-largest-accepted: 32 and 16 characters).
PHONES = (
    "+962791234567",
    "+962 7 9123 4567",
    "(06) 555-1234",
    "0791234567",
    "٠٧٩١٢٣٤٥٦٧",
    "+1 (202) 555-0143 ext. 12345 #9",
)
POSTAL_CODES = ("11118", "SW1A 1AA", "12345-6789", "01310-100", "K1A 0B1", "100-0001", "D02 X285", "BR-01310-100 SP9")


def largest_cart(mapped_skus: tuple[str, ...], unmapped_sku: str) -> dict[str, Any]:
    """The largest cart a target must accept, at every limit at once (x-largest-accepted): the most lines, within the
    smallest body a target must take; the longest text in several scripts (on every 25th line, the customer and the
    address), the longest SKU, phone, postal code and order id, three-decimal amounts."""
    limits = largest_accepted()
    width = limits["text_characters"]
    lines = []
    for index in range(limits["items"]):
        seed = ODD_TEXT[index % len(ODD_TEXT)]
        title = f"{index:03d} " + (_to_length(seed, width - 4) if index % 25 == 0 else seed)
        sku = mapped_skus[index % len(mapped_skus)] if index % 2 == 0 else unique_id("OWN")
        lines.append({"sku": sku, "title": title, "price": 1000 + index / 1000,
                      "quantity": 1 + index * 37 % limits["quantity"], "product_url": f"https://متجر.example/p/{index}"})  # fmt: skip
    lines[1]["sku"] = unmapped_sku
    lines[3]["sku"] = longest_sku()
    cart = {
        "partner_order_id": (ORDER_PREFIX + "gid://shopify/Order/" + uuid.uuid4().hex * 4)[
            : limits["partner_order_id_characters"]
        ],
        "items": lines,
        "customer": {
            "name": _to_length("جعفر الخطيب Jafar \U0001f468\u200d\U0001f469\u200d\U0001f467", width),
            "phone": PHONES[-1],
        },
        "shipping": {
            "street": _to_length("شارع الملكة رانيا ١٢ Queen Rania St.", width),
            "city": _to_length("عمّان Amman", width),
            "state": _to_length("خلدا Khalda", width),
            "postal_code": POSTAL_CODES[-1],
            "country": "JO",
        },
        "totals": {"subtotal": 9_999_999.999, "tax": 0.125, "shipping": 7.5, "total": float(limits["amount"])},
        "payment_status": "paid",
        "payment_method": "Cash On Delivery (COD)",
    }
    assert len(json.dumps(cart, ensure_ascii=False).encode()) <= limits["body_bytes"], "the largest cart is too big"
    return cart


def guide_mixed_cart(mapped_sku: str, unmapped_sku: str) -> dict[str, Any]:
    """The guide's mixed-cart example with the target's SKUs and a fresh partner_order_id."""
    return {
        "partner_order_id": new_partner_order_id("GUIDE"),
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
