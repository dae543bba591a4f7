"""The mock on a real socket under hostile input: never a 500, a hang or a leak, always the documented status in
the envelope. Each test runs against both paths of the mock: the fast path (as `make mock` serves) and connexion
alone. `pytest tests/test_hostile_input.py -v` lists every hostile input tried with the status it must get.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import threading
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.helpers import KEY_A, SUBMIT, LiveServer, load_cart

pytestmark = pytest.mark.live
CART = json.dumps(load_cart("guide-mixed-cart")).encode()
JSON = "application/json"
DEEP_ARRAY = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
PADDED_10MB = CART[:-1] + b', "padding": "' + b"x" * (10 * 1024 * 1024) + b'"}'
HUGE_INTEGER = CART.replace(b'"quantity": 2', b'"quantity": ' + b"9" * 5000)

# name -> (method, path, headers (None: the partner's own), body, expected status)
HOSTILE: dict[str, tuple[str, str, dict[str, str] | None, bytes | None, int]] = {
    "body not JSON": ("POST", SUBMIT, None, b"hello", 400),
    "body truncated JSON": ("POST", SUBMIT, None, CART[:40], 400),
    "body single-quoted": ("POST", SUBMIT, None, b"{'partner_order_id': 'x'}", 400),
    "body empty": ("POST", SUBMIT, None, b"", 400),
    "body blank": ("POST", SUBMIT, None, b"   \n ", 400),
    "body not UTF-8 (Latin-1)": ("POST", SUBMIT, None, CART.replace(b"John", b"J\xf6hn"), 400),
    "body UTF-16": ("POST", SUBMIT, None, CART.decode().encode("utf-16"), 400),
    "body 100,000 nested arrays": ("POST", SUBMIT, None, DEEP_ARRAY, 400),
    "body 50,000 nested objects": ("POST", SUBMIT, None, DEEP_OBJECT, 400),
    "body 10 MB": ("POST", SUBMIT, None, PADDED_10MB, 413),
    "body 1 MiB + 1 byte": ("POST", SUBMIT, None, b" " * (1024 * 1024 + 1), 413),
    "string lone surrogate": ("POST", SUBMIT, None, CART.replace(b"John", b"J\\ud800ohn"), 400),
    "key lone low surrogate": (
        "POST",
        SUBMIT,
        None,
        CART.replace(b'{"partner_order_id"', b'{"\\udc00x": 1, "partner_order_id"'),
        400,
    ),
    "string surrogate pair (an emoji)": ("POST", SUBMIT, None, CART.replace(b"John", b"J\\ud83d\\ude00ohn"), 200),
    "number 5,000 digits": ("POST", SUBMIT, None, HUGE_INTEGER, 400),
    "number 1e400": ("POST", SUBMIT, None, CART.replace(b"29.99", b"1e400"), 400),
    "number NaN": ("POST", SUBMIT, None, CART.replace(b"29.99", b"NaN"), 400),
    "number Infinity": ("POST", SUBMIT, None, CART.replace(b"29.99", b"Infinity"), 400),
    "number -Infinity": ("POST", SUBMIT, None, CART.replace(b"29.99", b"-Infinity"), 400),
    "duplicate keys": (
        "POST",
        SUBMIT,
        None,
        CART.replace(b'{"partner_order_id"', b'{"items": [], "partner_order_id"'),
        400,
    ),
    "JSON array": ("POST", SUBMIT, None, b"[]", 422),
    "JSON null": ("POST", SUBMIT, None, b"null", 422),
    "JSON string": ("POST", SUBMIT, None, b'"cart"', 422),
    "content type text/plain": ("POST", SUBMIT, {"Content-Type": "text/plain"}, CART, 415),
    "content type form": ("POST", SUBMIT, {"Content-Type": "application/x-www-form-urlencoded"}, b"a=1", 415),
    "content type multipart": ("POST", SUBMIT, {"Content-Type": "multipart/form-data; boundary=x"}, b"--x--", 415),
    "content type XML": ("POST", SUBMIT, {"Content-Type": "application/xml"}, b"<cart/>", 415),
    "content type missing": ("POST", SUBMIT, {"Content-Type": ""}, CART, 415),
    # RFC 9110: whitespace around ";", any case, quoted parameter values.
    "content type space before ;": ("POST", SUBMIT, {"Content-Type": "application/json ;charset=utf-8"}, CART, 200),
    "content type quoted charset": ("POST", SUBMIT, {"Content-Type": 'APPLICATION/Json ; Charset="UTF-8"'}, CART, 200),
    "content type not a media type": ("POST", SUBMIT, {"Content-Type": "application/json charset"}, CART, 415),
    "Authorization 30 KB": ("POST", SUBMIT, {"Authorization": "Bearer " + "k" * 30_000}, CART, 401),
    "Authorization not Bearer": ("POST", SUBMIT, {"Authorization": f"Basic {KEY_A}"}, CART, 401),
    "Authorization key of SQL": ("POST", SUBMIT, {"Authorization": "Bearer ' OR '1'='1"}, CART, 401),
    "headers 40 KB (one header)": ("POST", SUBMIT, {"X-Padding": "x" * 40_000}, CART, 400),
    # More than 100 header fields: the HTTP server (granian, hyper's fixed limit) answers 431 with no body, before the
    # app sees the request; documented in the spec's x-contract-decisions.
    "headers 40 KB (2,000 headers)": ("POST", SUBMIT, {f"X-H{n}": "v" * 16 for n in range(2000)}, CART, 431),
    "headers 101 fields": ("POST", SUBMIT, {f"X-H{n}": "v" for n in range(101)}, CART, 431),
    "headers 90 fields": ("POST", SUBMIT, {f"X-H{n}": "v" for n in range(90)}, CART, 200),
    "Idempotency-Key 256 chars": ("POST", SUBMIT, {"Idempotency-Key": "k" * 256}, CART, 400),
    "Idempotency-Key 20 KB": ("POST", SUBMIT, {"Idempotency-Key": "k" * 20_000}, CART, 400),
    "Idempotency-Key control chars": ("POST", SUBMIT, {"Idempotency-Key": "a\tb"}, CART, 400),
    "Idempotency-Key not ASCII": ("POST", SUBMIT, {"Idempotency-Key": "caf\u00e9"}, CART, 400),
    "order id not a UUID": ("GET", "/v1/orders/not-a-uuid", None, None, 404),
    "order id 10,000 chars": ("GET", "/v1/orders/" + "a" * 10_000, None, None, 404),
    "order id NUL": ("GET", "/v1/orders/%00", None, None, 404),
    "order id SQL": ("GET", "/v1/orders/'%20OR%201=1%20--", None, None, 404),
    "order id path traversal": ("GET", "/v1/orders/..%2F..%2F__admin%2Forders", None, None, 404),
    "order id unknown UUID": ("GET", f"/v1/orders/{uuid.UUID(int=7)}", None, None, 404),
    "order read without a key": ("GET", f"/v1/orders/{uuid.UUID(int=7)}", {"Authorization": ""}, None, 401),
    "method PUT on submit": ("PUT", SUBMIT, None, CART, 405),
    "admin path with a partner key": ("GET", "/__admin/orders", None, None, 401),
}


RESET = 0  # the connection was reset before an answer could be read


def _send(url: str, method: str, path: str, headers: dict[str, str] | None, body: bytes | None) -> tuple[int, bytes]:
    parts = urlsplit(url)
    merged = {"Authorization": f"Bearer {KEY_A}", "Content-Type": JSON, **(headers or {})}
    merged = {name: value for name, value in merged.items() if value != ""}
    # A hang fails the test (timeout).
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in merged.items():
            connection.putheader(name, value.encode("utf-8"))
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        # The server may answer (and close) before it has read everything we send: its answer may still be here.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            connection.endheaders(body)
        try:
            response = connection.getresponse()
        except (ConnectionResetError, http.client.RemoteDisconnected):
            return RESET, b""
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_input_gets_its_documented_status_and_the_envelope(server: LiveServer, name: str) -> None:
    method, path, headers, body, expected = HOSTILE[name]
    status, answer = _send(server.url, method, path, headers, body)
    for _ in range(2):  # a reset can hide the answer (below): ask again to see it
        if status != RESET or expected != 431:
            break
        status, answer = _send(server.url, method, path, headers, body)
    if status == RESET and expected == 431:
        # granian refuses headers past its limit with a 431 and closes at once; while the client is still sending,
        # the client's kernel may discard that answer on the reset (a race on a loaded machine, seen in CI). Three
        # resets in a row: the refusal is what can be checked, no order, and the next request is served.
        assert len(server.state.orders) == 0
        assert _send(server.url, "POST", SUBMIT, None, CART)[0] == 200
        return
    assert status == expected, answer[:300]
    if status == 200:  # within every limit: an order, and nothing else to check here
        assert len(server.state.orders) == 1
        return
    if status == 431:  # answered by the HTTP server itself, which writes no body
        assert answer == b""
        assert _send(server.url, "POST", SUBMIT, None, CART)[0] == 200
        return
    envelope: Any = json.loads(answer)
    assert isinstance(envelope.get("error"), str) and envelope["error"]
    assert set(envelope) <= {"error", "details"}
    assert "Traceback" not in answer.decode("utf-8", "replace") and KEY_A not in answer.decode("utf-8", "replace")
    assert len(server.state.orders) == 0
    # ...and the mock still serves the next partner.
    assert _send(server.url, "POST", SUBMIT, None, CART)[0] == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", f"/v1/orders/{uuid.UUID(int=7)}/"), ("POST", SUBMIT + "/"), ("GET", "/__admin/health/")],
)
def test_a_trailing_slash_is_404_in_the_envelope_never_a_redirect_to_the_host_header(
    server: LiveServer, method: str, path: str
) -> None:
    parts = urlsplit(server.url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        headers = {"Host": "evil.example", "Authorization": f"Bearer {KEY_A}", "Content-Type": JSON}
        connection.request(method, path, body=CART if method == "POST" else None, headers=headers)
        response = connection.getresponse()
        answer = response.read()
    finally:
        connection.close()
    assert response.status == 404, answer[:300]
    assert response.getheader("Location") is None
    assert json.loads(answer)["error"] == "not found"
    assert len(server.state.orders) == 0


def _invalid_cart(items: int) -> bytes:
    cart = load_cart("guide-mixed-cart")
    cart["items"] = [{"sku": "JDTQ1834", "title": "", "quantity": 0} for _ in range(items)]
    return json.dumps(cart).encode()


def test_a_large_invalid_cart_gets_a_bounded_422_and_does_not_hold_up_other_requests(server: LiveServer) -> None:
    """20,000 invalid items (under 1 MiB): the 422 lists a bounded number of errors, quickly, and reads made while it
    is being checked are not held up (the Python validator took 1.5-3.5 s, all of it on the event loop)."""
    cart = _invalid_cart(20_000)
    assert len(cart) < 1024 * 1024
    read = f"/v1/orders/{uuid.UUID(int=7)}"
    _send(server.url, "GET", read, None, None)  # warm up
    answers: list[tuple[int, bytes, float]] = []

    def post_carts() -> None:
        for _ in range(3):
            started = time.perf_counter()
            status, body = _send(server.url, "POST", SUBMIT, None, cart)
            answers.append((status, body, time.perf_counter() - started))

    poster = threading.Thread(target=post_carts)
    latencies: list[float] = []
    poster.start()
    while poster.is_alive():
        started = time.perf_counter()
        assert _send(server.url, "GET", read, None, None)[0] == 404
        latencies.append(time.perf_counter() - started)
    poster.join()
    assert [status for status, _, _ in answers] == [422, 422, 422]
    details = json.loads(answers[0][1])["details"]
    assert len(details) < 2000 and details.startswith("items[0].") and details.endswith("errors are listed)")
    assert max(seconds for _, _, seconds in answers) < 1.0, answers
    # ~50 ms unloaded; a generous bound for a shared CI machine, far under the seconds it took before.
    assert max(latencies) < 0.4, sorted(latencies)[-5:]
