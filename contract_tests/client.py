"""HTTP access to the target: every exchange is kept for a curl reproduction, every order created is counted."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from contract_tests.ledger import OrderLedger
from contract_tests.spec import schema_errors
from contract_tests.target import Target, mask

DEFAULT = object()  # "use the target's own API key"


@dataclass
class Exchange:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None
    status: int | None = None
    response: str = ""

    def curl(self, secrets: Mapping[str, str]) -> str:
        """A curl command that sends this request again; each API key in `secrets` (key -> the environment variable
        that holds it) appears as that variable, so the command pastes into a shell where the variables are set."""
        parts = [shlex.quote(part) for part in ("curl", "-i", "-X", self.method, self.url)]
        for name, value in self.headers.items():
            parts += ["-H", shell_word(f"{name}: {value}", secrets)]
        if self.body is not None:
            text = self.body.decode("utf-8", errors="replace")
            text = text if len(text) <= 2000 else text[:2000] + "...(truncated)"
            parts += ["--data-binary", shell_word(text, secrets)]
        return " ".join(parts)


def shell_word(text: str, secrets: Mapping[str, str]) -> str:
    """`text` as one shell word; each secret in it replaced by a reference to its variable ("...$VAR...")."""
    present = [secret for secret in secrets if secret and secret in text]
    if not present:
        return shlex.quote(text)
    pattern = re.compile("|".join(re.escape(secret) for secret in sorted(present, key=len, reverse=True)))
    quoted, last = [], 0
    for match in pattern.finditer(text):
        quoted.append(_in_double_quotes(text[last : match.start()]) + "${" + secrets[match.group()] + "}")
        last = match.end()
    return '"' + "".join(quoted) + _in_double_quotes(text[last:]) + '"'


def _in_double_quotes(text: str) -> str:
    return re.sub(r'([\\"$`])', r"\\\1", text)


def hide_secrets(text: str, secrets: Mapping[str, str]) -> str:
    """`text` with each secret replaced by `$VAR` (for answers a target may have echoed a key into)."""
    for secret, variable in secrets.items():
        if secret:
            text = text.replace(secret, f"${variable}")
    return text


@dataclass
class ApiClient:
    """The partner API of the target, as one partner (`api_key`) sees it."""

    target: Target
    ledger: OrderLedger
    http: httpx.Client
    api_key: str
    exchanges: list[Exchange] = field(default_factory=list)

    def __repr__(self) -> str:
        # pytest prints test arguments in failure reports; the exchanges hold Authorization headers.
        return (
            f"ApiClient(partner key {mask(self.api_key)}, {len(self.exchanges)} exchanges with {self.target.base_url})"
        )

    def _auth(self, api_key: Any, authorization: str | None = None) -> dict[str, str]:
        if authorization is not None:
            return {"Authorization": authorization}
        key = self.api_key if api_key is DEFAULT else api_key
        return {} if key is None else {"Authorization": f"Bearer {key}"}

    def submit(
        self,
        cart: Any = None,
        *,
        key: str | None = None,
        api_key: Any = DEFAULT,
        authorization: str | None = None,
        content: bytes | None = None,
        content_type: str | None = "application/json",
    ) -> httpx.Response:
        """POST /carts/submit with a JSON cart (or raw `content`); `authorization` replaces the whole header."""
        headers = self._auth(api_key, authorization)
        if content_type is not None:
            headers["Content-Type"] = content_type
        if key is not None:
            headers["Idempotency-Key"] = key
        # Raw UTF-8, as JavaScript and most partner stacks send it (not escaped as ASCII).
        body = content if content is not None else json.dumps(cart, ensure_ascii=False).encode("utf-8")
        return self._send(
            "POST", "/carts/submit", headers, body, partner_order_id_of(cart if content is None else body)
        )

    def get_order(self, order_id: str, *, api_key: Any = DEFAULT, authorization: str | None = None) -> httpx.Response:
        """GET /orders/{id}."""
        return self._send("GET", f"/orders/{order_id}", self._auth(api_key, authorization), None)

    def _send(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None, partner_order_id: str = ""
    ) -> httpx.Response:
        url = f"{self.target.base_url}{path}"
        exchange = Exchange(method, url, headers, body)

        def send() -> httpx.Response:
            self.exchanges.append(exchange)
            return self.http.request(method, url, headers=headers, content=body)

        # The ledger counts it (and holds a submit to the order cap) before the checks below judge the answer.
        key = headers.get("Idempotency-Key")
        keyed = (headers.get("Authorization", ""), key) if key else None
        response = self.ledger.exchange(method, send, partner_order_id=partner_order_id, keyed=keyed)
        exchange.status = response.status_code
        exchange.response = response.text[:500]
        check_nothing_leaks(response, self.target)
        if response.status_code >= 400:
            check_envelope(response)
        return response

    def reproduction(self, last: int = 3) -> str:
        """curl commands for the last few exchanges of the current test, with what came back."""
        lines = []
        for exchange in self.exchanges[-last:]:
            lines.append(exchange.curl(self.target.secrets))
            lines.append(f"  -> {exchange.status}: {hide_secrets(exchange.response[:300], self.target.secrets)}")
        return "\n".join(lines)


def partner_order_id_of(cart: Any) -> str:
    """The partner_order_id of a cart (or of its JSON text), "" when it has none: for the list of orders created."""
    if isinstance(cart, bytes):
        try:
            cart = json.loads(cart)
        except (ValueError, RecursionError):
            return ""
    value = cart.get("partner_order_id") if isinstance(cart, dict) else None
    return value if isinstance(value, str) else ""


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def check_envelope(response: httpx.Response) -> None:
    """Every 4xx/5xx body is {"error": non-empty string, "details"?}: checked on every error the suite sees."""
    body = _json_or_none(response)
    problems = ["the body is not JSON"] if body is None and response.content.strip() != b"null" else []
    if not problems:
        problems = schema_errors(body, "Error")
    assert not problems, (
        f"{response.status_code} answer is not the documented error envelope "
        f'{{"error": "...", "details": ...}}: {"; ".join(problems)}; body: {response.text[:300]!r}'
    )


# How stack traces of common server stacks begin or read: Python, Java, Go, Node.js, .NET, PHP.
STACK_TRACE = re.compile(
    r"Traceback \(most recent call last\)|File \"[^\"\n]+\", line \d+|\bat java\.|Exception in thread \""
    r"|goroutine \d+ \[|^\s*at \S.* \(\S+:\d+:\d+\)$|\bat \S+ in \S+:line \d+|Stack trace:\s+#0 ",
    re.MULTILINE,
)


def check_nothing_leaks(response: httpx.Response, target: Target) -> None:
    """No answer repeats an API key: the Authorization value sent, its bare key (known, unknown or malformed) or a
    key the run holds (the guide: never log API keys; a client logs what it gets back). No error answer carries a
    stack trace. Checked on every answer the suite gets; keys of under 8 characters are not looked for. (The
    arguments are the response and the target, whose reprs hide keys: pytest prints the failing frame's arguments.)"""
    authorization = response.request.headers.get("Authorization", "")
    candidates = {authorization, authorization.split(None, 1)[-1] if authorization.strip() else "", *target.secrets}
    keys = sorted((key for key in candidates if len(key.strip()) >= 8), key=len, reverse=True)
    texts, stack = [response.text, *response.headers.values()], [_json_or_none(response)]
    while stack:  # the JSON body's strings, unescaped: a key with quotes is echoed escaped in the raw text
        node = stack.pop()
        if isinstance(node, str):
            texts.append(node)
        elif isinstance(node, dict | list):
            stack.extend([*node.keys(), *node.values()] if isinstance(node, dict) else node)
    request = f"{response.status_code} answer to {response.request.method} {response.request.url.path}"
    for key in keys:
        found = next((text for text in texts if key in text), None)
        if found is not None:
            for hidden in keys:
                found = found.replace(hidden, mask(hidden))
            raise AssertionError(
                f"the {request} repeats an API key that was sent ({mask(key)}); answers must never carry keys "
                f"(the guide: never log API keys): {found[:300]!r}"
            )
    trace = next((match for text in texts if (match := STACK_TRACE.search(text))), None)
    if response.status_code >= 400 and trace is not None:
        raise AssertionError(
            f"the {request} carries a stack trace ({trace.group(0)!r}): errors must not expose the server's "
            f"internals: {response.text[:300]!r}"
        )


def expect(response: httpx.Response, status: int, what: str) -> Any:
    """Assert the status (with what was expected and why), return the JSON body if any."""
    assert response.status_code == status, (
        f"{what}: expected {status}, got {response.status_code}: {response.text[:300]!r}"
    )
    return _json_or_none(response)
