"""A partner's own client, tested with the kit's `jafarshop_mock` fixture (pip install the kit; nothing to start)."""

import time
import uuid

import requests

# No answer, or half of one: the order may exist or not, and only a retry with the same key can tell.
DROPPED = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


class JafarShopClient:
    """Submits with an Idempotency-Key, retries 500/503 and dropped connections with the same key (1 s, 2 s, 4 s),
    polls an order."""

    def __init__(self, base_url, api_key, backoff=1.0, timeout=30.0):
        self.base_url, self.backoff, self.timeout = base_url, backoff, timeout
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {api_key}"

    def submit(self, cart):
        key = str(uuid.uuid4())  # one key per order, the same on every retry of it
        for attempt in range(4):
            try:
                answer = self.session.post(
                    f"{self.base_url}/carts/submit", json=cart, headers={"Idempotency-Key": key}, timeout=self.timeout
                )
            except DROPPED:
                if attempt == 3:
                    raise
                time.sleep(self.backoff * 2**attempt)
                continue
            if answer.status_code in (500, 503) and attempt < 3:
                time.sleep(self.backoff * 2**attempt)
                continue
            if answer.status_code == 204:
                return None  # no JafarShop product in the cart: expected, not an error
            answer.raise_for_status()
            return answer.json()["supplier_order_id"]

    def wait_for(self, order_id, status, poll_seconds=300.0, attempts=20):
        for _ in range(attempts):
            order = self.session.get(f"{self.base_url}/orders/{order_id}", timeout=self.timeout).json()
            if order["status"] == status:
                return order
            time.sleep(poll_seconds)
        raise TimeoutError(f"order {order_id} never became {status}")


CART = {
    "partner_order_id": "ORDER-2024-001",
    "items": [{"sku": "JDTQ1834", "title": "JafarShop Product", "price": 29.99, "quantity": 2}],
    "customer": {"name": "John Doe"},
    "shipping": {"street": "123 Main Street", "city": "Amman", "postal_code": "11118", "country": "JO"},
    "totals": {"subtotal": 59.98, "tax": 4.80, "shipping": 5.00, "total": 69.78},
}


def test_a_503_and_a_dropped_connection_are_retried_with_the_same_key_and_create_one_order(jafarshop_mock):
    jafarshop_mock.add_fault(count=1, status=503, operation="submitCart")
    # The order is made, then its answer is cut half-way ("before-create" would cut it before the order exists).
    jafarshop_mock.add_fault(count=1, drop_connection="after-create", operation="submitCart")
    client = JafarShopClient(jafarshop_mock.base_url, jafarshop_mock.api_key, backoff=0.01)

    order_id = client.submit(CART)

    submits = [e for e in reversed(jafarshop_mock.journal()) if e["operation"] == "submitCart"]  # oldest first
    assert [(e["status"], e["outcome"]) for e in submits] == [(503, "answered"), (200, "dropped"), (200, "answered")]
    assert len({e["idempotency_key"] for e in submits}) == 1  # the retry reused the key
    assert [o["id"] for o in jafarshop_mock.orders()] == [order_id]  # and found the order the drop left


def test_polling_sees_the_order_confirmed(jafarshop_mock):
    jafarshop_mock.auto_advance(("CONFIRMED", 0.2))  # new orders are confirmed 0.2 s after they are created
    client = JafarShopClient(jafarshop_mock.base_url, jafarshop_mock.api_key)
    order_id = client.submit(CART)

    assert client.wait_for(order_id, "CONFIRMED", poll_seconds=0.05)["status"] == "CONFIRMED"


def test_a_cart_without_jafarshop_products_is_not_an_error(jafarshop_mock):
    cart = {**CART, "items": [{"sku": jafarshop_mock.unmapped_sku, "title": "Mine", "price": 1, "quantity": 1}]}
    assert JafarShopClient(jafarshop_mock.base_url, jafarshop_mock.api_key).submit(cart) is None
    assert jafarshop_mock.orders() == []
