"""Assertions shared by the property tests: what a created order must look like, read back."""

from __future__ import annotations

import copy
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from contract_tests.client import ApiClient, expect
from contract_tests.spec import clock_skew_seconds, schema_errors
from contract_tests.target import Target


@dataclass(frozen=True)
class ReferenceOrder:
    """One order the partner-side tests that only read, replay or conflict-free probe an order share (under a cap
    every order costs): the guide's mixed cart in Arabic and with emoji, created under a key, with when it was made."""

    id: str
    cart: dict[str, Any]
    key: str
    before: datetime  # this machine's clock just before the submit, and just after its answer
    after: datetime
    made_at: float  # time.monotonic() of its answer


def assert_uuid(value: Any, what: str) -> None:
    assert isinstance(value, str), f"{what} must be a UUID string, got {value!r}"
    try:
        uuid.UUID(value)
    except ValueError:
        raise AssertionError(f"{what} must be a UUID, got {value!r}") from None


def assert_order_shape(order: Any) -> None:
    """The Order schema, and the rules it cannot express: status-dependent fields and variant ids."""
    problems = schema_errors(order, "Order")
    assert not problems, f"the order breaks the Order schema: {'; '.join(problems)}"
    status = order["status"]
    if status == "REJECTED":
        assert order.get("rejection_reason"), "a REJECTED order must carry its rejection_reason"
    if status in ("SHIPPED", "DELIVERED"):
        assert order.get("tracking"), f"a {status} order must carry tracking data"
    for index, item in enumerate(order["items"]):
        has_variant = item.get("shopify_variant_id") is not None
        assert has_variant is item["is_supplier_item"], (
            f"items[{index}] ({item['sku']}): shopify_variant_id must be present exactly on mapped items "
            f"(is_supplier_item={item['is_supplier_item']}, shopify_variant_id={item.get('shopify_variant_id')!r})"
        )


def create_order(api: ApiClient, cart: dict[str, Any], key: str | None = None) -> str:
    """Submit a cart that holds a mapped SKU; assert the documented 200 and return the new order's id."""
    body = expect(api.submit(cart, key=key), 200, "a cart with a mapped SKU must create an order")
    assert isinstance(body, dict), f"200 answer must be a JSON object, got {body!r}"
    assert_uuid(body.get("supplier_order_id"), "supplier_order_id")
    assert body.get("status") == "PENDING_CONFIRMATION", (
        f"a new order must be PENDING_CONFIRMATION, got {body.get('status')!r}"
    )
    order_id: str = body["supplier_order_id"]
    return order_id


def read_order(api: ApiClient, order_id: str) -> dict[str, Any]:
    """GET the order as its partner; assert 200 and the order's shape."""
    order = expect(api.get_order(order_id), 200, "an order must be readable by the partner that created it")
    assert_order_shape(order)
    assert isinstance(order, dict)
    return order


def assert_order_matches_cart(order: dict[str, Any], cart: dict[str, Any], order_id: str, target: Target) -> None:
    """The order read back holds what was submitted: ids, customer, address, totals, payment, every item."""
    assert order["id"] == order_id, f"order id {order['id']!r} is not the supplier_order_id {order_id!r}"
    assert order["partner_order_id"] == cart["partner_order_id"], "partner_order_id changed"
    assert order["customer_name"] == cart["customer"]["name"], "customer name changed"
    assert order.get("customer_phone") == cart["customer"].get("phone"), "customer phone changed"
    address = order["shipping_address"]
    for field in ("street", "city", "state", "postal_code", "country"):
        assert address.get(field) == cart["shipping"].get(field), f"shipping_address.{field} changed"
    assert order["cart_total"] == cart["totals"]["total"], (
        f"cart_total {order['cart_total']!r} is not the submitted totals.total {cart['totals']['total']!r}"
    )
    for field in ("payment_status", "payment_method"):
        assert order.get(field) == cart.get(field), f"{field} changed: {order.get(field)!r} != {cart.get(field)!r}"
    assert_same_lines(order["items"], cart["items"], target)


LINE_FIELDS = ("sku", "title", "price", "quantity", "product_url")
# Notes the checks leave for the report: what a target does that the guide allows but partners should know.
NOTES: set[str] = set()


def _line(item: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(item.get(name) for name in LINE_FIELDS)


def assert_same_lines(got: list[dict[str, Any]], sent: list[dict[str, Any]], target: Target) -> None:
    """Every line sent reads back, and no other: matched as a multiset (the guide promises no order of lines, and a
    SKU may be on two lines), each flagged is_supplier_item exactly when its SKU is mapped. Lines in another order
    than sent are a note for the report, not a violation."""
    assert len(got) == len(sent), f"the order has {len(got)} items, the cart had {len(sent)}: lines were lost or added"
    unmatched = list(range(len(got)))
    missing = []
    for index, line in enumerate(sent):
        found = next((at for at in unmatched if _line(got[at]) == _line(line)), None)
        if found is None:
            missing.append(index)
            continue
        unmatched.remove(found)
        mapped = line["sku"] in target.mapped_skus
        assert got[found]["is_supplier_item"] is mapped, (
            f"item {line['sku']!r}: is_supplier_item must be {mapped} (the SKU is "
            f"{'mapped' if mapped else 'not mapped'})"
        )
    if missing:
        index = missing[0]
        submitted = sent[index]
        same_sku = [at for at in unmatched if got[at].get("sku") == submitted.get("sku")]
        other = got[(same_sku or unmatched)[0]]
        changed = [name for name in LINE_FIELDS if other.get(name) != submitted.get(name)]
        raise AssertionError(
            f"{len(missing)} line(s) sent do not read back (matched in any order): items[{index}] was sent as "
            f"{ {name: submitted.get(name) for name in changed}!r}; the nearest line read back differs in "
            f"{', '.join(changed)}: { {name: other.get(name) for name in changed}!r}"
        )
    if [_line(item) for item in got] != [_line(item) for item in sent]:
        NOTES.add(
            "items read back in another order than sent (allowed: the guide promises no order of lines); a partner "
            "that matches lines by index would mismatch them"
        )


def assert_refused_key_never_replays(api: ApiClient, key: str, cart: dict[str, Any], refused: str) -> int:
    """After a submission under `key` was refused, `key` with another `cart` is taken as new (200 with that cart's
    order, or 204 for a cart with no mapped SKU, as the suite sends under a cap: no order) or is 409 (a target may
    keep the refused payload under the key); it never replays an order. Returns the status."""
    response = api.submit(cart, key=key)
    assert response.status_code in (200, 204, 409), (
        f"after refusing {refused}, its key with another cart must take it as new (200, or 204 without a mapped SKU) "
        f"or be 409, got {response.status_code}: {response.text[:300]!r}"
    )
    if response.status_code == 200:
        order = read_order(api, response.json()["supplier_order_id"])
        assert order["partner_order_id"] == cart["partner_order_id"], f"the key replayed an order of {refused}"
    return response.status_code


def assert_replays(api: ApiClient, cart: dict[str, Any], key: str, order_id: str, when: str) -> None:
    """Same key + same payload returns the existing order."""
    body = expect(api.submit(copy.deepcopy(cart), key=key), 200, f"same key + same payload {when} must replay")
    assert body["supplier_order_id"] == order_id, (
        f"same key + same payload {when} must return the existing order {order_id}, got {body['supplier_order_id']}"
    )


# RFC 3339 date-time: date, "T" (or t, or a space), time, optional fraction, and an offset.
_RFC3339 = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:\d{2})")


def parse_utc_time(value: Any, what: str) -> datetime:
    """An RFC 3339 date-time in UTC (Z, +00:00 or -00:00), any fraction of a second; assert it is one."""
    match = _RFC3339.fullmatch(value) if isinstance(value, str) else None
    assert match is not None, f"{what} must be an RFC 3339 date-time, got {value!r}"
    day, clock, fraction, offset = match.groups()
    assert offset in ("Z", "z", "+00:00", "-00:00"), f"{what} must be in UTC (Z or +00:00), got {value!r}"
    micro = (fraction or "0")[:6].ljust(6, "0")
    return datetime.fromisoformat(f"{day}T{clock}.{micro}+00:00")


def now_utc() -> datetime:
    """This machine's clock, in UTC."""
    return datetime.now(UTC)


def assert_happened_between(value: Any, what: str, earliest: datetime, latest: datetime) -> None:
    """The time reported for something the run caused between `earliest` and `latest` (this machine's clock), with
    the skew the spec allows between two clocks."""
    moment = parse_utc_time(value, what)
    skew = timedelta(seconds=clock_skew_seconds())
    assert earliest - skew <= moment <= latest + skew, (
        f"{what} is {value}, but it happened between {earliest.isoformat()} and {latest.isoformat()} by this "
        f"machine's clock (a skew of {skew.total_seconds():.0f} s allowed): the API reports when it happened, in UTC"
    )
