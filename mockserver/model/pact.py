"""A partner's pact (Pact specification V4, plain JSON) written from what its client did: the journal's entries.

One interaction per distinct thing the client relied on, not one per request: a poll repeated twenty times, or a
retry and the replay it got, is one interaction. Each carries the provider states that make it hold on any correct
provider (docs/pact.md lists them and what a provider's state-change URL does for each), and matching rules: ids,
times and keys by format, what the client sent by equality, what the provider generates injected from the provider
state (`fromProviderState`, Pact's ProviderState generator). Left out, and counted in the pact's metadata: answers a
fault or a certification condition shaped (500, 503, drops, delays, imposed 409/422/204), server errors, answers
cut or left unread, and what a provider does not promise a client (401, 403, 400, 413, 415, 429).

No API key ever: the journal holds none, and the Authorization header is written as a placeholder matched by a
regex. Plain data in, plain data out: the writer needs no Pact library (the fixture, the admin API and
jafarshop-certify write pacts with the base install).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

PROVIDER = "jafarshop"
SUBMIT_PATH, ORDERS_PATH = "/v1/carts/submit", "/v1/orders"
AUTH_PLACEHOLDER = "Bearer PARTNER_API_KEY"  # the verifier sends the consumer's key instead (docs/pact.md)
UUID_RE = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
TIME_RE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
BEARER_RE = r"^Bearer \S+$"
IDEMPOTENCY_KEY_RE = "^[\\x21-\\x7E]{1,255}$"
# What each kind of interaction needs of the provider: the state names, written once (the mock's state-change
# handler and docs/pact.md read them here).
STATE_SKU_MAPPED = "SKU {sku} is mapped"
STATE_NO_SKU_MAPPED = "no SKU of the cart is mapped"
STATE_ORDER_EXISTS = "an order exists for {partner_id} in {status}"
STATE_SUBMITTED = "a cart was submitted with an Idempotency-Key"
STATE_OTHER_CART = "another cart was submitted with an Idempotency-Key"
# Statuses a provider promises no client: the verifier could not reproduce them honestly (a wrong key, a body too
# large, a rate limit) or they say the client is broken.
NOT_PROMISED = {400, 401, 403, 413, 415, 429}


@dataclass
class PactBuild:
    """The interactions kept (by their identity) and what was left out, by reason."""

    interactions: dict[str, dict[str, Any]] = field(default_factory=dict)
    left_out: dict[str, int] = field(default_factory=dict)

    def leave_out(self, reason: str) -> None:
        self.left_out[reason] = self.left_out.get(reason, 0) + 1

    def keep(self, identity: str, interaction: dict[str, Any]) -> None:
        digest = hashlib.sha256(identity.encode()).hexdigest()[:10]
        interaction["key"] = f"{_slug(interaction['description'])[:60]}-{digest}"
        self.interactions.setdefault(identity, interaction)


def _rule(*matchers: dict[str, Any]) -> dict[str, Any]:
    return {"combine": "AND", "matchers": list(matchers)}


def _regex(pattern: str) -> dict[str, Any]:
    return _rule({"match": "regex", "regex": pattern})


def _state_value(expression: str) -> dict[str, Any]:
    return {"type": "ProviderState", "expression": expression, "dataType": "STRING"}


def _shape(value: Any, path: str = "$") -> list[str]:
    """The JSON paths of an object's keys (arrays as [*]): what identifies a body's shape."""
    if isinstance(value, dict):
        return [p for key in sorted(value) for p in [f"{path}.{key}", *_shape(value[key], f"{path}.{key}")]]
    if isinstance(value, list):
        return sorted({p for item in value for p in _shape(item, f"{path}[*]")})
    return []


def _json(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def _without_nulls(value: Any) -> Any:
    """A body as the client could rely on it: a null field is one the client never set (or that is not set yet)."""
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def _request(method: str, path: str, body: Any = None, idempotency: str | None = None) -> dict[str, Any]:
    """A partner request: the Authorization header by a regex (never a key), an Idempotency-Key by format, new for
    each verification (a Uuid generator) unless a provider state names it."""
    headers: dict[str, list[str]] = {"Authorization": [AUTH_PLACEHOLDER]}
    rules: dict[str, Any] = {"header": {"Authorization": _regex(BEARER_RE)}}
    generators: dict[str, Any] = {}
    request: dict[str, Any] = {"method": method, "path": path, "headers": headers}
    if body is not None:
        headers["Content-Type"] = ["application/json"]
        request["body"] = {"content": body, "contentType": "application/json", "encoded": False}
    if idempotency is not None:
        headers["Idempotency-Key"] = ["00000000-0000-4000-8000-000000000000"]
        rules["header"]["Idempotency-Key"] = _regex(IDEMPOTENCY_KEY_RE)
        generators["header"] = {
            "Idempotency-Key": {"type": "Uuid"} if idempotency == "new" else _state_value("${idempotency_key}")
        }
    request["matchingRules"] = rules
    if generators:
        request["generators"] = generators
    return request


def _envelope_response(status: int) -> dict[str, Any]:
    """An error answer: the documented envelope, its words by type (a provider may word its errors its own way)."""
    return {
        "status": status,
        "headers": {"Content-Type": ["application/json"]},
        "body": {"content": {"error": "the error"}, "contentType": "application/json", "encoded": False},
        "matchingRules": {
            "header": {"Content-Type": _regex(r"^application/json")},
            "body": {"$.error": _rule({"match": "type"})},
        },
    }


def _interaction(
    description: str, states: list[dict[str, Any]], request: dict[str, Any], response: dict[str, Any], comments: str
) -> dict[str, Any]:
    return {
        "type": "Synchronous/HTTP",
        "description": description,
        "providerStates": states,
        "request": request,
        "response": response,
        "pending": False,
        "comments": {"text": [comments]},
    }


def _sku_states(cart: Mapping[str, Any], mapped: Iterable[str]) -> list[dict[str, Any]]:
    wanted = set(mapped)
    skus = sorted({str(item.get("sku")) for item in cart.get("items", []) if item.get("sku") in wanted})
    return [{"name": STATE_SKU_MAPPED.format(sku=sku), "params": {"sku": sku}} for sku in skus]


def _cart_skus(cart: Mapping[str, Any]) -> list[str]:
    return sorted({str(item.get("sku")) for item in cart.get("items", []) if isinstance(item, dict)})


def _submit_answer(state_supplied: bool) -> dict[str, Any]:
    rules = {"$.supplier_order_id": _regex(UUID_RE)}
    answer: dict[str, Any] = {
        "status": 200,
        "headers": {"Content-Type": ["application/json"]},
        "body": {
            "content": {"supplier_order_id": "550e8400-e29b-41d4-a716-446655440000", "status": "PENDING_CONFIRMATION"},
            "contentType": "application/json",
            "encoded": False,
        },
        "matchingRules": {"header": {"Content-Type": _regex(r"^application/json")}, "body": rules},
    }
    if state_supplied:  # the replay answers the order the state's first submit created
        answer["generators"] = {"body": {"$.supplier_order_id": _state_value("${supplier_order_id}")}}
    return answer


# The fields of an order the provider generates: matched by format, never by the mock's value.
_GENERATED_FORMATS = {
    "$.id": UUID_RE,
    "$.created_at": TIME_RE,
    "$.updated_at": TIME_RE,
    "$.tracking.shipped_at": TIME_RE,
}
_GENERATED_TYPES = ("$.shopify_order_id", "$.items[*].shopify_variant_id")


def _order_answer(order: dict[str, Any]) -> dict[str, Any]:
    body = _without_nulls(order)
    rules: dict[str, Any] = {
        path: _regex(pattern) for path, pattern in _GENERATED_FORMATS.items() if _present(body, path)
    }
    rules.update({path: _rule({"match": "type"}) for path in _GENERATED_TYPES if _present(body, path)})
    return {
        "status": 200,
        "headers": {"Content-Type": ["application/json"]},
        "body": {"content": body, "contentType": "application/json", "encoded": False},
        "matchingRules": {"header": {"Content-Type": _regex(r"^application/json")}, "body": rules},
        "generators": {"body": {"$.id": _state_value("${supplier_order_id}")}},
    }


def _present(body: Any, path: str) -> bool:
    node: Any = body
    for part in path.removeprefix("$.").split("."):
        if part.endswith("[*]"):
            items = node.get(part[:-3]) if isinstance(node, dict) else None
            return isinstance(items, list) and any(isinstance(i, dict) and i for i in items)
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


class _Reader:
    """The journal of one partner, oldest first, turned into interactions."""

    def __init__(self, entries: list[dict[str, Any]], partner_id: str, mapped: Iterable[str]) -> None:
        self.entries = entries
        self.partner_id = partner_id
        self.mapped = set(mapped)
        self.build = PactBuild()
        # The cart behind each order id, from the submit that created it (or got its replay).
        self.carts: dict[str, dict[str, Any]] = {}
        for entry in entries:
            answer, cart = _json(entry.get("response_body")), _json(entry.get("request_body"))
            if entry.get("operation") == "submitCart" and isinstance(answer, dict) and isinstance(cart, dict):
                order_id = answer.get("supplier_order_id")
                if isinstance(order_id, str):
                    self.carts[order_id] = cart

    def read(self) -> PactBuild:
        created_keys: set[str] = set()  # Idempotency-Keys that created an order (the client may not have seen it)
        for entry in self.entries:
            status, key = int(entry.get("status") or 0), entry.get("idempotency_key")
            reason = self._left_out(entry, status)
            if (
                entry.get("operation") == "submitCart"
                and key
                and status == 200
                and entry.get("dropped") != "before-create"
            ):
                first = key not in created_keys
                created_keys.add(key)
            else:
                first = True
            if reason:
                self.build.leave_out(reason)
            elif entry.get("operation") == "submitCart":
                self._submit(entry, status, replay=not first)
            elif entry.get("operation") == "getOrder":
                self._read(entry, status)
            else:
                self.build.leave_out("not a partner operation")
        return self.build

    @staticmethod
    def _left_out(entry: Mapping[str, Any], status: int) -> str | None:
        if entry.get("fault"):
            return "shaped by a fault or a certification condition"
        if entry.get("outcome", "answered") != "answered":
            return f"answer {entry.get('outcome')}"
        if status >= 500:
            return "server error"
        if status in NOT_PROMISED:
            return f"status {status}: not promised to a client"
        return None

    def _submit(self, entry: Mapping[str, Any], status: int, replay: bool) -> None:
        cart = _json(entry.get("request_body"))
        if not isinstance(cart, dict):
            self.build.leave_out("request body not whole JSON (the journal keeps 16 KiB)")
            return
        sent_key = "new" if entry.get("idempotency_key") else None
        shape = ",".join(_shape(cart))
        partner = {"partner_id": self.partner_id}
        if status == 200 and replay:
            states = [
                *_sku_states(cart, self._mapped_in(cart)),
                {"name": STATE_SUBMITTED, "params": {**partner, "cart": cart}},
            ]
            interaction = _interaction(
                "the same cart submitted again with the same Idempotency-Key",
                states,
                _request("POST", SUBMIT_PATH, cart, "state"),
                _submit_answer(state_supplied=True),
                "A retry answered with the first submission's order (a replay): the order id comes from the state.",
            )
            self.build.keep(f"replay|{shape}", interaction)
        elif status == 200:
            mapped = self._mapped_in(cart)
            interaction = _interaction(
                f"a cart with {'an Idempotency-Key' if sent_key else 'no Idempotency-Key'} and mapped SKUs "
                f"({', '.join(sorted(mapped))}) is submitted",
                _sku_states(cart, mapped),
                _request("POST", SUBMIT_PATH, cart, sent_key),
                _submit_answer(False),
                "The order is created: its id by format, its status PENDING_CONFIRMATION.",
            )
            self.build.keep(f"create|{sent_key}|{shape}", interaction)
        elif status == 204:
            skus = _cart_skus(cart)
            interaction = _interaction(
                "a cart without any mapped SKU is submitted",
                [{"name": STATE_NO_SKU_MAPPED, "params": {"skus": skus}}],
                _request("POST", SUBMIT_PATH, cart, sent_key),
                {"status": 204},
                "No order is created: 204 without a body.",
            )
            self.build.keep(f"204|{sent_key}|{shape}", interaction)
        elif status == 409:
            other = {"name": STATE_OTHER_CART, "params": {**partner, "cart": cart}}
            interaction = _interaction(
                "a cart submitted with an Idempotency-Key first used for another cart",
                [*_sku_states(cart, self._mapped_in(cart)), other],
                _request("POST", SUBMIT_PATH, cart, "state"),
                _envelope_response(409),
                "The key is refused: 409 with the error envelope.",
            )
            self.build.keep(f"409|{shape}", interaction)
        elif status == 422:
            errors = json.dumps(entry.get("errors"), sort_keys=True)
            interaction = _interaction(
                f"an invalid cart is submitted ({_first_error(entry.get('errors'))})",
                [],
                _request("POST", SUBMIT_PATH, cart, sent_key),
                _envelope_response(422),
                "The cart breaks the schema: 422 with the error envelope.",
            )
            self.build.keep(f"422|{errors}", interaction)
        else:
            self.build.leave_out(f"status {status}")

    def _mapped_in(self, cart: Mapping[str, Any]) -> set[str]:
        return set(_cart_skus(cart)) & self.mapped

    def _read(self, entry: Mapping[str, Any], status: int) -> None:
        if status == 404:
            interaction = _interaction(
                "an order id the provider does not know is read",
                [],
                _request("GET", f"{ORDERS_PATH}/00000000-0000-4000-8000-00000000dead"),
                _envelope_response(404),
                "404 with the error envelope.",
            )
            self.build.keep("404", interaction)
            return
        order = _json(entry.get("response_body"))
        if status != 200 or not isinstance(order, dict):
            self.build.leave_out(f"status {status}" if status != 200 else "answer body not whole JSON")
            return
        cart = self.carts.get(str(order.get("id")))
        if cart is None:
            self.build.leave_out("order read whose cart is not in the journal")
            return
        order_status = str(order.get("status"))
        params: dict[str, Any] = {"partner_id": self.partner_id, "status": order_status, "cart": cart}
        if isinstance(order.get("tracking"), dict):
            tracking = order["tracking"]
            params["tracking"] = {
                k: tracking[k] for k in ("carrier", "tracking_number", "tracking_url") if tracking.get(k)
            }
        if order.get("rejection_reason"):
            params["rejection_reason"] = order["rejection_reason"]
        mapped = {
            str(item["sku"])
            for item in order.get("items", [])
            if isinstance(item, dict) and item.get("is_supplier_item")
        }
        states = [
            *_sku_states(cart, mapped),
            {"name": STATE_ORDER_EXISTS.format(partner_id=self.partner_id, status=order_status), "params": params},
        ]
        request = _request("GET", f"{ORDERS_PATH}/{order.get('id')}")
        request["generators"] = {"path": _state_value(f"{ORDERS_PATH}/${{supplier_order_id}}")}
        answer = _order_answer(order)
        shape = ",".join(_shape(answer["body"]["content"]))
        interaction = _interaction(
            f"an order in {order_status} is read",
            states,
            request,
            answer,
            "The order the state created, by its id from the state; what the client sent read back by equality.",
        )
        self.build.keep(f"read|{order_status}|{shape}", interaction)


def _first_error(errors: Any) -> str:
    if isinstance(errors, list) and errors:
        first = errors[0]
        if isinstance(first, dict):
            return str(first.get("field") or first.get("path") or first.get("message") or "a field")[:60]
        return str(first)[:60]
    return "schema"


def build_pact(
    entries: Iterable[Mapping[str, Any]], partner_id: str, mapped_skus: Iterable[str], consumer: str | None = None
) -> dict[str, Any]:
    """The V4 pact of `partner_id`'s requests among `entries` (the journal's, any order), with the SKUs mapped now."""
    mine = sorted((dict(e) for e in entries if e.get("partner_id") == partner_id), key=lambda e: int(e.get("seq") or 0))
    build = _Reader(mine, partner_id, mapped_skus).read()
    return pact_document(
        consumer or partner_id, partner_id, list(build.interactions.values()), build.left_out, len(mine)
    )


def pact_document(
    consumer: str, partner_id: str, interactions: list[dict[str, Any]], left_out: Mapping[str, int], requests: int
) -> dict[str, Any]:
    """The pact file's whole document."""
    return {
        "consumer": {"name": consumer},
        "provider": {"name": PROVIDER},
        "interactions": interactions,
        "metadata": {
            "pactSpecification": {"version": "4.0"},
            "jafarshop": {
                "partner_id": partner_id,
                "written_by": "jafarshop-contract-kit (from the mock's request journal)",
                "requests_seen": requests,
                "left_out": dict(sorted(left_out.items())),
                "note": "Faults the mock imposed (500, 503, drops, delays, certification conditions) are not "
                "interactions a provider promises: they are left out. The Authorization header is a placeholder; "
                "the verifier sends the consumer's key.",
            },
        },
    }


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def merge(pact: Mapping[str, Any], earlier: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """`pact` with the interactions of `earlier` pacts of the same consumer added (deduplicated); left-out counts
    and requests seen summed."""
    interactions = [dict(i) for i in pact["interactions"]]
    meta = dict(pact["metadata"]["jafarshop"])
    left_out, requests = dict(meta["left_out"]), int(meta["requests_seen"])
    seen = {i.get("key") for i in interactions}
    for other in earlier:
        for interaction in other["interactions"]:
            if interaction.get("key") not in seen:
                seen.add(interaction.get("key"))
                interactions.append(dict(interaction))
        for reason, count in other["metadata"]["jafarshop"]["left_out"].items():
            left_out[reason] = left_out.get(reason, 0) + int(count)
        requests += int(other["metadata"]["jafarshop"]["requests_seen"])
    return pact_document(pact["consumer"]["name"], meta["partner_id"], interactions, left_out, requests)
