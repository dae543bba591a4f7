"""Serving stacks compared by `make bench --compare-stacks`: the mock's app under uvicorn, the server before 0.2.

`python -m bench.stacks NAME PORT` serves the mock (default fixtures, the same app and GC settings as
`jafarshop-mock`) on:
- `uvicorn-httptools`: uvicorn as the mock ran before (httptools, uvloop); drops the body of a request that offers
  an h2c upgrade, so Java's HttpClient gets 400;
- `uvicorn-h11`: uvicorn's pure-Python h11 protocol, which keeps that body;
- `uvicorn-h2c-fix`: httptools with the fix below, which keeps that body too.
The mock itself runs on granian (mockserver/server.py); the bench measures all of them the same way.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

import httptools
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from mockserver.app import create_app
from mockserver.server import tune_gc

# Hop-by-hop parts of an h2c offer, dropped when the head is parsed again as plain HTTP/1.1.
_OFFER_TOKENS = {b"upgrade", b"http2-settings"}


class H2cIgnoringProtocol(HttpToolsProtocol):
    """httptools that ignores an upgrade it does not take (RFC 9110 section 7.8) instead of losing the body.

    llhttp treats every byte after the head of an upgrade request as the new protocol's, so the body never reaches
    the app. For an upgrade that is not a websocket this keeps the head, and when llhttp stops it parses the head
    again, without the offer, with a fresh parser, followed by the bytes llhttp gave up on."""

    _offer: bytes | None = None

    def on_headers_complete(self) -> None:
        if self.parser.should_upgrade() and self._get_upgrade() != b"websocket":
            self._offer = self._head_without_offer()
            return
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        if self._offer is None:
            super().on_message_complete()

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade as exc:
            if self._offer is None:  # a websocket upgrade: uvicorn's own way
                if self._should_upgrade():
                    self.handle_websocket_upgrade()
                else:
                    self._unsupported_upgrade_warning()
                return
            head, self._offer = self._offer, None
            self.parser = httptools.HttpRequestParser(self)
            self.data_received(head + data[exc.args[0] :])
        except httptools.HttpParserError:
            self.send_400_response("Invalid HTTP request received.")

    def _head_without_offer(self) -> bytes:
        version = self.parser.get_http_version().encode()
        lines = [self.parser.get_method() + b" " + self.url + b" HTTP/" + version]
        for name, value in self.headers:
            if name in (b"upgrade", b"http2-settings"):
                continue
            if name == b"connection":
                tokens = [t.strip() for t in value.split(b",") if t.strip().lower() not in _OFFER_TOKENS]
                if not tokens:
                    continue
                value = b", ".join(tokens)
            lines.append(name + b": " + value)
        return b"\r\n".join(lines) + b"\r\n\r\n"


PROTOCOLS: dict[str, Any] = {
    "uvicorn-httptools": "httptools",
    "uvicorn-h11": "h11",
    "uvicorn-h2c-fix": H2cIgnoringProtocol,
}


def h2c_offer_keeps_body(base: str, cart: bytes, key: str) -> bool:
    """Whether a submit that offers an h2c upgrade, as Java's HttpClient sends it, is answered 200 (body kept)."""
    host, port = base.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    head = (
        f"POST /v1/carts/submit HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
        f"HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(cart)}\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.encode() + cart)
        status_line = sock.makefile("rb").readline()
    return status_line.split()[1:2] == [b"200"]


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in PROTOCOLS or not argv[1].isdigit():
        print(f"usage: python -m bench.stacks {{{','.join(PROTOCOLS)}}} PORT", file=sys.stderr)
        return 2
    sock = socket.create_server(("127.0.0.1", int(argv[1])), backlog=1024)
    app = create_app()
    tune_gc()
    config = uvicorn.Config(app, http=PROTOCOLS[argv[0]], log_level="warning", timeout_graceful_shutdown=1)
    uvicorn.Server(config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
