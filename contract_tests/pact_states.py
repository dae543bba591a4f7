"""The provider-state relay of `jafarshop-contract --pacts`: a loopback HTTP server the Pact verifier calls before
each interaction, which passes the state on to the target's state-change URL with its token and answers its values.

Why a relay and not the target's URL given to the verifier: the verifier sends no credentials to a state-change URL,
and a staging's must not be open; the relay adds `Authorization: Bearer <state token>`, and it keeps what each state
change answered, so that a refused state is named in the verdict instead of a bare mismatch. Stdlib only.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class StateURLMissing(Exception):
    """The target's state-change URL is not there, refuses the token, or does not answer JSON."""


class StateURLUnreachable(Exception):
    """Nothing answers at the target's state-change URL."""


@dataclass
class StateRelay:
    """Where the verifier sends state changes (`url`), and what the target refused (state name -> one line)."""

    target_url: str
    token: str | None
    timeout: float = 10.0
    refused: dict[str, str] = field(default_factory=dict)
    url: str = ""
    partner_id: str | None = None  # the partner the states are set up for, instead of the pact's (--pact-partner)

    def forward(self, body: dict[str, Any]) -> tuple[int, bytes]:
        """POST one state change to the target; its status and body (a refusal is kept for the report)."""
        params = body.get("params")
        if self.partner_id and isinstance(params, dict) and "partner_id" in params:
            body = {**body, "params": {**params, "partner_id": self.partner_id}}
        status, text = post_state(self.target_url, self.token, body, self.timeout)
        if status != 200:
            self.refused[str(body.get("state"))] = f"the state-change URL answered {status}: {text[:300]}"
        return status, text.encode("utf-8")


def post_state(url: str, token: str | None, body: dict[str, Any], timeout: float = 10.0) -> tuple[int, str]:
    """POST `body` to a state-change URL; (status, text). StateURLUnreachable when nothing answers."""
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, json.dumps(body).encode("utf-8"), headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return int(answer.status), answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")
    except (OSError, ValueError) as error:
        raise StateURLUnreachable(f"{url}: {error}") from None


def check_state_url(url: str, token: str | None) -> None:
    """Ask the state-change URL for the empty state (Pact's generic set-up): a 200 with a JSON object, or raise."""
    status, text = post_state(url, token, {"state": "", "params": {}, "action": "setup"})
    if status in (401, 403):
        raise StateURLMissing(
            f"the provider state-change URL {url} refused the state token (answered {status}): "
            "set JAFARSHOP_PACT_STATE_TOKEN (the mock's: its admin token)"
        )
    if status != 200:
        raise StateURLMissing(
            f"the target offers no provider state-change URL at {url} (answered {status}); "
            "docs/pact.md says what it must do; name it with --pact-state-url"
        )
    try:
        values = json.loads(text)
    except ValueError:
        values = None
    if not isinstance(values, dict):
        raise StateURLMissing(f"the provider state-change URL {url} answered 200 without a JSON object: {text[:200]}")


@contextmanager
def relay(target_url: str, token: str | None) -> Iterator[StateRelay]:
    """A running relay to `target_url` on 127.0.0.1 and a free port."""
    state = StateRelay(target_url, token)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                body = {}
            try:
                status, answer = state.forward(body if isinstance(body, dict) else {})
            except StateURLUnreachable as exc:
                status, answer = 502, json.dumps({"error": str(exc)}).encode()
                state.refused[str(body.get("state") if isinstance(body, dict) else "")] = str(exc)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:  # the verifier's output is the run's
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/pact/state"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
