"""An async partner client tested with the `jafarshop_mock` fixture and anyio's pytest plugin (installed with anyio,
which httpx brings): mark the tests `anyio` and choose the backend with an `anyio_backend` fixture. No configuration
needed beyond the project's own (`filterwarnings = error` is fine).
"""

import uuid

import anyio
import httpx
import pytest

CART = {
    "partner_order_id": "ORDER-2024-002",
    "items": [{"sku": "JDTQ1834", "title": "JafarShop Product", "price": 29.99, "quantity": 1}],
    "customer": {"name": "John Doe"},
    "shipping": {"street": "123 Main Street", "city": "Amman", "postal_code": "11118", "country": "JO"},
    "totals": {"subtotal": 29.99, "tax": 2.40, "shipping": 5.00, "total": 37.39},
}


@pytest.fixture
def anyio_backend():
    return "asyncio"  # or "trio", with trio installed


async def submit(http, cart, backoff=0.01):
    """Submit with one Idempotency-Key; retry 500/503 and dropped connections with it (1, 2, 4 x backoff)."""
    key = str(uuid.uuid4())
    for attempt in range(4):
        try:
            answer = await http.post("/carts/submit", json=cart, headers={"Idempotency-Key": key})
        except httpx.TransportError:
            if attempt == 3:
                raise
        else:
            if answer.status_code not in (500, 503) or attempt == 3:
                answer.raise_for_status()
                return answer.json()["supplier_order_id"]
        await anyio.sleep(backoff * 2**attempt)


@pytest.mark.anyio
async def test_a_dropped_answer_and_a_500_are_retried_into_one_order(jafarshop_mock):
    jafarshop_mock.add_fault(drop_connection="before-create", operation="submitCart")  # no order made
    jafarshop_mock.add_fault(status=500, operation="submitCart")
    headers = {"Authorization": f"Bearer {jafarshop_mock.api_key}"}
    async with httpx.AsyncClient(base_url=jafarshop_mock.base_url, headers=headers, timeout=10) as http:
        order_id = await submit(http, CART)
        read = await http.get(f"/orders/{order_id}")
    assert read.json()["status"] == "PENDING_CONFIRMATION"
    submits = [e for e in reversed(jafarshop_mock.journal()) if e["operation"] == "submitCart"]
    assert [(e["outcome"], e["status"]) for e in submits] == [("dropped", 200), ("answered", 500), ("answered", 200)]
    assert len({e["idempotency_key"] for e in submits}) == 1
