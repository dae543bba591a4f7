"""Pre-flight: a few requests that tell a wrong setting from a broken API, before any test runs.

A wrong base URL, key, admin token or SKU list would otherwise fail most of the suite and read as a broken API. Each
check below stops the run with one line naming the setting and the likely fix (exit 5), but only when the answers
are consistent with a wrong setting: an answer that can only be a defect (an order for a cart the target itself
treats as unmapped, a mapped SKU that orders but is flagged as the partner's own) is left for the tests to report as
the violation it is. A 5xx is no evidence either way: the setting it would have confirmed is reported "not
confirmed", and the tests report the failure. Every answer is counted, for the run's coverage report.
urllib, not httpx: the runner must not import httpx before pytest can rewrite anyio's plugin.
"""

from __future__ import annotations

import json
import socket
import ssl
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from contract_tests.target import ORDER_PREFIX, Target, mask

TIMEOUT_S = 10.0


class TargetUnreachable(Exception):
    """Nothing answered at the base URL (refused, timed out, name not found)."""


class SetupError(Exception):
    """The target answered, in a way that says a setting is wrong; the message names it and the fix."""


# The partner API's operations, by method, as the coverage report names them (the only two).
OPERATIONS = {"POST": "submitCart", "GET": "getOrder"}


@dataclass
class Answer:
    status: int
    body: Any
    content_type: str


@dataclass
class Preflight:
    """The checks against one target; `run()` raises on the first wrong setting; what it saw stays here."""

    target: Target
    orders_created: int = 0
    requests: int = 0
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)  # (operationId, status) -> answers
    confirmed: list[str] = field(default_factory=list)  # what the answers showed to be right
    notes: list[str] = field(default_factory=list)  # what they could not confirm, or found odd: left for the tests
    server_errors: list[str] = field(default_factory=list)  # each 5xx, for the test that reports it as a violation
    created: list[dict[str, str]] = field(default_factory=list)  # {id, partner_order_id} of each order it created

    def run(self) -> None:
        """Check URL, keys, admin token and SKUs; raise SetupError on the first wrong one."""
        self._wait_for_an_answer()
        self._check_key(self.target.api_key, "JAFARSHOP_API_KEY")
        if self.target.other_api_key:
            self._check_key(self.target.other_api_key, "JAFARSHOP_OTHER_API_KEY")
        if self.target.admin_token:
            self._check_admin_token(self.target.admin_token)
        mixed = self._check_mapped_skus()
        self._check_unmapped_sku(mixed)

    def _unconfirmed(self, setting: str, answer: Answer, what: str) -> None:
        self.notes.append(
            f"{setting} not confirmed: {what} answered {answer.status}, a server failure that says nothing of the "
            "setting; the tests report it"
        )

    # --- the checks ------------------------------------------------------------------------------------------------

    def _wait_for_an_answer(self) -> None:
        """The base URL check, asked again after 1, 2, 4... s while nothing answers, for target.connect_wait seconds
        in all; then TargetUnreachable, saying how long it tried."""
        waits: list[float] = []
        total = 0.0
        while total < self.target.connect_wait:
            waits.append(min(2.0 ** len(waits), self.target.connect_wait - total))
            total += waits[-1]
        schedule: list[float | None] = [*waits, None]
        for attempt, pause in enumerate(schedule, start=1):
            try:
                self._check_base_url()
                return
            except TargetUnreachable as exc:
                if pause is None:
                    tried = f" (asked {attempt} times over {total:g} s)" if attempt > 1 else ""
                    raise TargetUnreachable(f"{exc}{tried}") from None
                time.sleep(pause)

    def _check_base_url(self) -> None:
        url = self.target.base_url
        read = self._send("GET", f"/orders/{uuid.uuid4()}", None)
        submit = self._send("POST", "/carts/submit", None, body=self._cart([self.target.unmapped_sku]))
        if 401 in (read.status, submit.status):  # "All API requests require authentication": this is the API
            self.confirmed.append(f"{url} answers as the JafarShop API")
            return
        if read.status >= 500 or submit.status >= 500:
            failed = read if read.status >= 500 else submit
            self._unconfirmed(f"JAFARSHOP_BASE_URL={url}", failed, "a request without a key")
            return
        seen = f"GET {url}/orders/<id> and POST {url}/carts/submit without a key gave {read.status} and {submit.status}"
        if read.status == submit.status == 404:
            raise SetupError(
                f"JAFARSHOP_BASE_URL={url}: no JafarShop API there ({seen}, where the API answers 401); "
                "the base URL includes the version, e.g. https://staging-api.jafarshop.com/v1"
            )
        raise SetupError(
            f"JAFARSHOP_BASE_URL={url}: does not answer as the JafarShop API ({seen}, {read.content_type or 'no body'}"
            "; the API answers 401); check the host, port and path"
        )

    def _check_key(self, key: str, name: str) -> None:
        answer = self._send("GET", f"/orders/{uuid.uuid4()}", key)
        if answer.status == 401:
            raise SetupError(
                f"{name} ({mask(key)}) is not accepted by {self.target.base_url} (401 to a read with it): "
                "check the key and the environment; it may have been rotated"
            )
        if answer.status >= 500:
            self._unconfirmed(name, answer, "a read of an unknown order with it")
        else:
            self.confirmed.append(f"{name} accepted")

    def _check_admin_token(self, token: str) -> None:
        """The supplier-side tests drive the kit mock's admin API with the token: it must be there and take it."""
        url = self.target.admin_url
        answer = self._send_url("GET", f"{url}/skus", token)
        fix = "give the target's admin token (the mock's --admin-token), or unset it to skip the supplier-side tests"
        if answer.status in (401, 403):
            raise SetupError(
                f"JAFARSHOP_ADMIN_TOKEN ({mask(token)}) is not accepted by {url} ({answer.status} to GET {url}/skus): "
                + fix
            )
        if answer.status == 404 or (answer.status < 500 and not isinstance(answer.body, list)):
            raise SetupError(
                f"JAFARSHOP_ADMIN_TOKEN is set, but {url} is not the kit mock's admin API (GET {url}/skus answered "
                f"{answer.status}): unset JAFARSHOP_ADMIN_TOKEN against a target without it"
            )
        if answer.status >= 500:
            self.notes.append(
                f"JAFARSHOP_ADMIN_TOKEN not confirmed: GET {url}/skus answered {answer.status}; the supplier-side "
                "tests report what they meet"
            )
        else:
            self.confirmed.append("admin token accepted")

    def _check_unmapped_sku(self, mixed: dict[str, Any]) -> None:
        """`mixed`: the flags the mixed cart read back with; a SKU flagged true there and alone is mapped."""
        sku = self.target.unmapped_sku
        answer = self._submit([sku])
        if answer.status == 204:
            self.confirmed.append("JAFARSHOP_UNMAPPED_SKU does not order (204)")
            return
        if answer.status >= 500:
            self._unconfirmed(f"JAFARSHOP_UNMAPPED_SKU={sku}", answer, "a cart of it alone")
            return
        if not self._created(answer):
            return
        if self._flags(answer).get(sku) is True and mixed.get(sku) is not False:
            raise SetupError(
                f"JAFARSHOP_UNMAPPED_SKU={sku} is mapped on the target (a cart of it alone created an order and reads "
                "back is_supplier_item true): choose a SKU the target does not map"
            )
        self.notes.append(f"a cart of JAFARSHOP_UNMAPPED_SKU={sku} alone created an order: left for the tests")

    def _check_mapped_skus(self) -> dict[str, Any]:
        """Check the mapped SKUs with one mixed cart; return the flags it read back with (sku -> is_supplier_item)."""
        mapped = list(self.target.mapped_skus)
        answer = self._submit([*mapped, self.target.unmapped_sku])
        if answer.status == 204:
            raise SetupError(
                f"JAFARSHOP_MAPPED_SKUS: none of {', '.join(mapped)} is mapped on the target (a cart of all of them "
                "gave 204, no JafarShop product): list SKUs the target maps"
            )
        if answer.status >= 500:
            self._unconfirmed("JAFARSHOP_MAPPED_SKUS", answer, "a cart of all of them")
            return {}
        if answer.status == 404:  # the key was taken (a read with it was no 401), yet the submit has no route
            raise SetupError(
                f"JAFARSHOP_BASE_URL={self.target.base_url}: POST {self.target.base_url}/carts/submit with the key "
                "answered 404, not the API's submit: the base URL includes the version, e.g. "
                "https://staging-api.jafarshop.com/v1"
            )
        if not self._created(answer):
            self.notes.append(
                f"a cart of JAFARSHOP_MAPPED_SKUS answered {answer.status}, not an order: left for the tests"
            )
            return {}  # an odd answer to a valid cart is a contract matter: the tests report it
        count = len(mapped)
        self.confirmed.append(f"{count} mapped SKU{'s' if count > 1 else ''} order")
        flags = self._flags(answer)
        not_flagged = [sku for sku in mapped if flags.get(sku) is False]
        if not_flagged:
            alone = self._submit(not_flagged)
            if alone.status == 204:
                raise SetupError(
                    f"JAFARSHOP_MAPPED_SKUS: {', '.join(not_flagged)}: not mapped on the target (is_supplier_item "
                    "false, and a cart of only them gave 204): remove them from the list or map them on the target"
                )
        if self.target.other_api_key:
            order_id = answer.body["supplier_order_id"]
            other = self._send("GET", f"/orders/{order_id}", self.target.other_api_key)
            if other.status == 200:
                self.notes.append(
                    "JAFARSHOP_OTHER_API_KEY read an order of JAFARSHOP_API_KEY (200, not 403): if both keys belong "
                    "to one partner, fix the setting; if not, the cross-partner tests report the leak"
                )
        return flags

    # --- HTTP ------------------------------------------------------------------------------------------------------

    def _cart(self, skus: list[str], partner_order_id: str = "") -> bytes:
        cart = {
            "partner_order_id": partner_order_id or f"{ORDER_PREFIX}PREFLIGHT-{uuid.uuid4().hex[:12].upper()}",
            "items": [{"sku": sku, "title": f"Pre-flight {sku}", "price": 1.0, "quantity": 1} for sku in skus],
            "customer": {"name": "Contract Suite Pre-flight"},
            "shipping": {"street": "1 Test Street", "city": "Amman", "postal_code": "11118", "country": "JO"},
            "totals": {"subtotal": float(len(skus)), "tax": 0.0, "shipping": 0.0, "total": float(len(skus))},
        }
        return json.dumps(cart).encode()

    def _submit(self, skus: list[str]) -> Answer:
        partner_order_id = f"{ORDER_PREFIX}PREFLIGHT-{uuid.uuid4().hex[:12].upper()}"
        answer = self._send("POST", "/carts/submit", self.target.api_key, body=self._cart(skus, partner_order_id))
        if self._created(answer):
            self.orders_created += 1
            self.created.append({"id": str(answer.body["supplier_order_id"]), "partner_order_id": partner_order_id})
        return answer

    @staticmethod
    def _created(answer: Answer) -> bool:
        return 200 <= answer.status < 300 and isinstance(answer.body, dict) and "supplier_order_id" in answer.body

    def _flags(self, created: Answer) -> dict[str, Any]:
        """sku -> is_supplier_item, as the partner reads the order back (empty when the read fails)."""
        read = self._send("GET", f"/orders/{created.body['supplier_order_id']}", self.target.api_key)
        items = read.body.get("items") if read.status == 200 and isinstance(read.body, dict) else None
        if not isinstance(items, list):
            return {}
        return {
            item["sku"]: item.get("is_supplier_item")
            for item in items
            if isinstance(item, dict) and isinstance(item.get("sku"), str)
        }

    def _send(self, method: str, path: str, key: str | None, body: bytes | None = None) -> Answer:
        """One request of the partner API, counted for the coverage report."""
        answer = self._send_url(method, self.target.base_url + path, key, body)
        self.statuses[OPERATIONS[method], answer.status] += 1
        if answer.status >= 500:
            who = "without a key" if key is None else "with a key"
            self.server_errors.append(f"{method} {self.target.base_url}{path} {who} answered {answer.status}")
        return answer

    def _send_url(self, method: str, url: str, key: str | None, body: bytes | None = None) -> Answer:
        self.requests += 1
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
            if body is not None:
                headers["Idempotency-Key"] = str(uuid.uuid4())
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                return _answer(response.status, response.read(), response.headers.get("Content-Type", ""))
        except urllib.error.HTTPError as error:
            return _answer(error.code, error.read(), error.headers.get("Content-Type", ""))
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            if isinstance(reason, socket.gaierror):  # a name that does not resolve is a setting, not an outage
                raise SetupError(
                    f"JAFARSHOP_BASE_URL={self.target.base_url}: the host name does not resolve ({reason}): check "
                    "the host"
                ) from None
            if isinstance(reason, ssl.SSLError):
                raise SetupError(
                    f"JAFARSHOP_BASE_URL={self.target.base_url}: TLS failed ({reason}): http or https, the port, or "
                    "the server's certificate (SSL_CERT_FILE names a CA bundle)"
                ) from None
            if isinstance(reason, socket.timeout | TimeoutError):
                reason = f"no answer within {TIMEOUT_S:.0f} s"
            raise TargetUnreachable(
                f"JAFARSHOP_BASE_URL={self.target.base_url}: nothing answers ({reason}); start the API or fix the "
                "host and port"
            ) from None


def _answer(status: int, raw: bytes, content_type: str) -> Answer:
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    return Answer(status, body, content_type.split(";")[0].strip())
