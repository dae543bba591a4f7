"""A partner client that follows the guide's client rules, for `jafarshop-certify` (Python standard library only).

It submits JAFARSHOP_CERTIFY_ORDERS carts (one Idempotency-Key per order, kept on every retry; a new key after a
409), retries 500/503/dropped connections/timeouts 3 times after 1, 2, 4 s, never retries 400/401/403/422, takes a
204 as "no JafarShop items", then polls each order every 5 minutes while pending, 15 after CONFIRMED and daily after
SHIPPED, and stops at SHIPPED or a final status. Every wait is the guide's divided by JAFARSHOP_TIME_SCALE.

`--break RULE` makes it break exactly one rule (the kit's tests prove that certification catches each one);
`--crash-on-drop` lets a connection dropped mid-answer raise out of it, the commonest real bug; `--no-wait-after-drop`
retries a dropped connection at once (it still backs off on 500 and 503), the bug of issue 24 section 3.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import time
import urllib.parse
import uuid
from typing import Any

BREAKS = (
    "auth-bearer", "content-type-json", "body-valid", "key-not-in-url", "idempotency-key-present",
    "idempotency-key-unique", "idempotency-retry-same", "conflict-new-key", "retry-transient", "retry-backoff",
    "retry-max", "no-retry-client-errors", "timeout-handling", "no-content-handled", "poll-returned-id",
    "poll-cadence", "poll-stop-terminal", "key-not-logged",
)  # fmt: skip
POLL_SECONDS = {"PENDING_CONFIRMATION": 300, "CONFIRMED": 900, "SHIPPED": 86400}
FINAL = {"SHIPPED", "DELIVERED", "REJECTED", "CANCELLED"}  # the guide's pollOrderStatus stops at SHIPPED


class Transient(Exception):
    """A 5xx, a dropped connection or a timeout: worth a retry with the same key."""

    def __init__(self, message: str, dropped: bool = False) -> None:
        super().__init__(message)
        self.dropped = dropped  # the connection broke (no status), as opposed to a 5xx answer


class Client:
    def __init__(self, broken: str | None, crash_on_drop: bool = False, no_wait_after_drop: bool = False) -> None:
        self.broken, self.crash_on_drop, self.no_wait_after_drop = broken, crash_on_drop, no_wait_after_drop
        self.base = urllib.parse.urlsplit(os.environ["JAFARSHOP_BASE_URL"])
        self.key = os.environ["JAFARSHOP_API_KEY"]
        self.scale = float(os.environ.get("JAFARSHOP_TIME_SCALE", "1"))
        self.sku = os.environ["JAFARSHOP_MAPPED_SKUS"].split(",")[0]
        # The kit's "sane timeout" is at most 30 s; 20 leaves room for a busy machine at a high time scale (at 60, 30 s
        # is 0.5 s real, and a loaded CI saw the mock notice a hang-up 83 ms late).
        self.timeout = None if broken == "timeout-handling" else 20 / self.scale

    def wait(self, guide_seconds: float) -> None:
        time.sleep(guide_seconds / self.scale)

    def request(self, method: str, path: str, body: bytes | None = None, **headers: str) -> tuple[int, bytes]:
        auth = f"Bearer  {self.key}" if self.broken == "auth-bearer" else f"Bearer {self.key}"
        connection = http.client.HTTPConnection(self.base.hostname or "", self.base.port, timeout=self.timeout)
        try:
            connection.request(method, self.base.path + path, body=body, headers={"Authorization": auth, **headers})
            answer = connection.getresponse()
            return answer.status, answer.read()
        except (TimeoutError, OSError, http.client.HTTPException) as error:
            if self.crash_on_drop and isinstance(error, http.client.IncompleteRead):
                raise
            raise Transient(f"{type(error).__name__}: {error}", dropped=True) from error
        finally:
            connection.close()

    def new_key(self, first: bool = True) -> str:
        if self.broken == "idempotency-key-unique" and first:
            return "order-123"  # the guide's "Bad" example: one key for every order
        return str(uuid.uuid4())

    def submit(self, cart: dict[str, Any]) -> str | None:
        """The supplier_order_id, or None (204, a client error, or given up)."""
        body = json.dumps(cart).encode()
        key = self.new_key()
        retries, conflicts = 0, 0
        max_retries = 6 if self.broken == "retry-max" else 3
        while True:
            headers = {"Content-Type": "text/plain" if self.broken == "content-type-json" else "application/json"}
            if self.broken != "idempotency-key-present":
                headers["Idempotency-Key"] = key
            try:
                status, raw = self.request("POST", "/carts/submit", body, **headers)
                if status >= 500:
                    raise Transient(f"HTTP {status}")
            except Transient as failure:
                if self.broken == "retry-transient" or retries >= max_retries:
                    print(f"{cart['partner_order_id']}: giving up after {retries} retries ({failure})")
                    return None
                retries += 1
                if self.broken != "retry-backoff" and not (self.no_wait_after_drop and failure.dropped):
                    self.wait(2 ** (retries - 1))  # 1 s, 2 s, 4 s
                if self.broken == "idempotency-retry-same":
                    key = self.new_key(first=False)
                print(f"{cart['partner_order_id']}: {failure}; retry {retries}")
                continue
            if status == 200:
                order_id = str(json.loads(raw)["supplier_order_id"])
                print(f"{cart['partner_order_id']}: order {order_id}")
                return order_id
            if status == 204 and self.broken == "no-content-handled" and retries < 3:
                retries += 1
                self.wait(2 ** (retries - 1))
                continue
            if status == 204:
                print(f"{cart['partner_order_id']}: no JafarShop products in the cart")
                return None
            if status == 409 and conflicts < 1:
                conflicts += 1
                if self.broken != "conflict-new-key":
                    key = self.new_key(first=False)  # the guide: generate a new key and retry
                continue
            if status in (400, 401, 403, 422) and self.broken == "no-retry-client-errors" and retries < 3:
                retries += 1
                self.wait(2 ** (retries - 1))
                continue
            print(f"{cart['partner_order_id']}: {status} {raw[:200]!r}; not retried (fix the request)")
            return None

    def read(self, order_id: str) -> str | None:
        path = f"/orders/{urllib.parse.quote(order_id, safe='')}"
        if self.broken == "key-not-in-url":
            path += f"?api_key={urllib.parse.quote(self.key)}"
        try:
            status, raw = self.request("GET", path)
        except Transient:
            return None
        if status != 200:
            print(f"GET {order_id}: {status}")
            return None
        return str(json.loads(raw)["status"])

    def poll(self, orders: dict[str, str]) -> None:
        """Poll each order at the guide's cadence for the status last seen, until all are SHIPPED or final."""
        polled_id = {order_id: partner for order_id, partner in orders.items()}
        status = dict.fromkeys(orders, "PENDING_CONFIRMATION")
        last = dict.fromkeys(orders, time.monotonic())
        after_final = dict.fromkeys(orders, 0)
        while True:
            active = [o for o in orders if status[o] not in FINAL]
            if self.broken == "poll-stop-terminal":
                active += [o for o in orders if status[o] in FINAL - {"SHIPPED"} and after_final[o] < 1]
            if not active:
                return
            now = time.monotonic()
            for order_id in active:
                interval = 60 if self.broken == "poll-cadence" else POLL_SECONDS.get(status[order_id], 300)
                if (now - last[order_id]) * self.scale < interval:
                    continue
                if status[order_id] in FINAL:
                    after_final[order_id] += 1
                last[order_id] = time.monotonic()
                asked = polled_id[order_id] if self.broken == "poll-returned-id" else order_id
                seen = self.read(asked)
                if seen and seen != status[order_id]:
                    print(f"{order_id}: {seen}")
                    status[order_id] = seen
                elif self.broken == "poll-returned-id" and seen is None:
                    status[order_id] = "REJECTED"  # it gives up on ids that never answer
            time.sleep(min(0.5, 10 / self.scale))

    def cart(self, number: int, run: str) -> dict[str, Any]:
        cart: dict[str, Any] = {
            "partner_order_id": f"CERT-{run}-{number}",
            "items": [{"sku": self.sku, "title": "JafarShop Product", "price": 29.99, "quantity": 2}],
            "customer": {"name": "John Doe", "phone": "+1234567890"},
            "shipping": {"street": "123 Main Street", "city": "Amman", "postal_code": "11118", "country": "JO"},
            "totals": {"subtotal": 59.98, "tax": 4.80, "shipping": 5.00, "total": 69.78},
            "payment_status": "paid",
            "payment_method": "Cash On Delivery (COD)",
        }
        if self.broken == "body-valid":
            del cart["customer"]
        return cart


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--break", dest="broken", choices=BREAKS, help="break exactly this rule")
    parser.add_argument("--crash-on-drop", action="store_true", help="let a dropped connection end it (exit 1)")
    parser.add_argument("--no-wait-after-drop", action="store_true", help="retry a dropped connection at once")
    args = parser.parse_args()
    client = Client(args.broken, args.crash_on_drop, args.no_wait_after_drop)
    if args.broken == "key-not-logged":
        print(f"connecting to {client.base.geturl()} with key {client.key}")
    run = uuid.uuid4().hex[:8]
    orders: dict[str, str] = {}
    for number in range(1, int(os.environ.get("JAFARSHOP_CERTIFY_ORDERS", "10")) + 1):
        cart = client.cart(number, run)
        order_id = client.submit(cart)
        if order_id:
            orders[order_id] = cart["partner_order_id"]
    client.poll(orders)
    print("all orders shipped or final")


if __name__ == "__main__":
    main()
