"""The mock on a real socket under hostile input: never a 500, a hang or a leak, always the documented status in
the envelope, and the next request served. Each test runs against both paths of the mock: the fast path (as `make
mock` serves) and connexion alone. `pytest tests/test_hostile_input.py -v` lists every hostile input tried with the
status it must get.

This level owns what only a real server shows: sizes on the wire (large bodies, long header values, many headers,
which the HTTP server itself may refuse), request paths as the server decodes them, a Host header that must not
become a redirect, and a slow request that must not hold up others. The parsing rules (malformed JSON, numbers,
surrogates, content types, Authorization values, Idempotency-Key syntax) are each tried once, in-process and on both
paths, in tests/http/test_submit_checks.py and tests/handlers/ (tests/README.md lists where each input went).
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
PADDED_10MB = CART[:-1] + b', "padding": "' + b"x" * (10 * 1024 * 1024) + b'"}'

# name -> (method, path, headers (None: the partner's own), body, expected status)
HOSTILE: dict[str, tuple[str, str, dict[str, str] | None, bytes | None, int]] = {
    # Sizes on the wire: a declared length refused before the body is read, and one byte past the limit.
    "body 10 MB": ("POST", SUBMIT, None, PADDED_10MB, 413),
    "body 1 MiB + 1 byte": ("POST", SUBMIT, None, b" " * (1024 * 1024 + 1), 413),
    "Authorization 30 KB": ("POST", SUBMIT, {"Authorization": "Bearer " + "k" * 30_000}, CART, 401),
    "Idempotency-Key 20 KB": ("POST", SUBMIT, {"Idempotency-Key": "k" * 20_000}, CART, 400),
    "headers 40 KB (one header)": ("POST", SUBMIT, {"X-Padding": "x" * 40_000}, CART, 400),
    # More than 100 header fields: the HTTP server (granian, hyper's fixed limit) answers 431 with no body, before the
    # app sees the request; documented in the spec's x-contract-decisions.
    "headers 40 KB (2,000 headers)": ("POST", SUBMIT, {f"X-H{n}": "v" * 16 for n in range(2000)}, CART, 431),
    "headers 101 fields": ("POST", SUBMIT, {f"X-H{n}": "v" for n in range(101)}, CART, 431),
    "headers 90 fields": ("POST", SUBMIT, {f"X-H{n}": "v" for n in range(90)}, CART, 200),
    # Paths as the server decodes them (percent-escapes, a NUL, an encoded traversal, a very long segment).
    "order id 10,000 chars": ("GET", "/v1/orders/" + "a" * 10_000, None, None, 404),
    "order id NUL": ("GET", "/v1/orders/%00", None, None, 404),
    "order id SQL": ("GET", "/v1/orders/'%20OR%201=1%20--", None, None, 404),
    "order id path traversal": ("GET", "/v1/orders/..%2F..%2F__admin%2Forders", None, None, 404),
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
