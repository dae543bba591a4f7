"""An async partner client (httpx.AsyncClient) tested with the `jafarshop_mock` fixture and pytest-asyncio in strict
mode. The project's pytest configuration (without asyncio_default_fixture_loop_scope, pytest-asyncio warns, and
`filterwarnings = error` turns that warning into an INTERNALERROR):

    [pytest]
    asyncio_mode = strict
    asyncio_default_fixture_loop_scope = function
    filterwarnings = error

The handle's methods are plain calls (the mock runs in a thread of its own): call them from async tests as they are.
"""

import asyncio
import uuid

import httpx
import pytest
import pytest_asyncio

CART = {
    "partner_order_id": "ORDER-2024-001",
    "items": [{"sku": "JDTQ1834", "title": "JafarShop Product", "price": 29.99, "quantity": 2}],
    "customer": {"name": "John Doe"},
    "shipping": {"street": "123 Main Street", "city": "Amman", "postal_code": "11118", "country": "JO"},
    "totals": {"subtotal": 59.98, "tax": 4.80, "shipping": 5.00, "total": 69.78},
}


class AsyncJafarShopClient:
    """Submits with an Idempotency-Key; retries 500/503, timeouts and dropped connections with the same key."""

    def __init__(self, http, backoff=1.0):
        self.http, self.backoff = http, backoff

    async def submit(self, cart):
        key = str(uuid.uuid4())  # one key per order, the same on every retry of it
        for attempt in range(4):
            try:
                answer = await self.http.post("/carts/submit", json=cart, headers={"Idempotency-Key": key})
            except httpx.TransportError:  # no answer, or half of one (a timeout is one too)
                if attempt == 3:
                    raise
                await asyncio.sleep(self.backoff * 2**attempt)
                continue
            if answer.status_code in (500, 503) and attempt < 3:
                await asyncio.sleep(self.backoff * 2**attempt)
                continue
            if answer.status_code == 204:
                return None
            answer.raise_for_status()
            return answer.json()["supplier_order_id"]


@pytest_asyncio.fixture
async def client(jafarshop_mock):
    headers = {"Authorization": f"Bearer {jafarshop_mock.api_key}"}
    async with httpx.AsyncClient(base_url=jafarshop_mock.base_url, headers=headers, timeout=0.3) as http:
        yield AsyncJafarShopClient(http, backoff=0.01)


@pytest.mark.asyncio
async def test_an_answer_cut_after_the_order_was_made_is_retried_into_the_same_order(jafarshop_mock, client):
    jafarshop_mock.add_fault(drop_connection="after-create", operation="submitCart")
    order_id = await client.submit(CART)
    assert [order["id"] for order in jafarshop_mock.orders()] == [order_id]
    assert [entry["outcome"] for entry in reversed(jafarshop_mock.journal())] == ["dropped", "answered"]


@pytest.mark.asyncio
async def test_a_slow_answer_is_given_up_and_retried(jafarshop_mock, client):
    jafarshop_mock.add_fault(delay_ms=1200, operation="submitCart")  # longer than the client's 0.3 s timeout
    order_id = await client.submit(CART)
    assert [order["id"] for order in jafarshop_mock.orders()] == [order_id]
    # The abandoned first attempt wakes after this test: the next test's reset fences it (docs/mock.md).


@pytest.mark.asyncio
async def test_a_503_then_the_order(jafarshop_mock, client):
    jafarshop_mock.add_fault(status=503, operation="submitCart")
    assert await client.submit(CART) is not None
    assert [entry["status"] for entry in reversed(jafarshop_mock.journal())] == [503, 200]
