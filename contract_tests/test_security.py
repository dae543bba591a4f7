"""Security: no answer carries an API key that was sent, and no error carries a stack trace.

Every answer the suite gets is checked for both (client.check_nothing_leaks); the tests here send what is most
likely to be echoed or to crash a parser: keys that are unknown, long or full of quotes, and hostile bodies."""

from __future__ import annotations

import secrets
import uuid

import pytest

from contract_tests.client import ApiClient
from contract_tests.strategies import SampleCart

_NONCE = secrets.token_hex(8)
# Keys a partner might really send by mistake, and keys built to survive naive escaping when echoed.
UNKNOWN_KEYS = {
    "live-style": f"sk_live_{_NONCE}{_NONCE}",
    "300-characters": f"contract-suite-{_NONCE}-".ljust(300, "k"),
    "quotes": f"contract\"suite'key-{_NONCE}",
    "markup": f"<b>contract-suite-{_NONCE}</b>&amp;",
    "backslashes-and-json": f'{{"key": "contract\\\\suite-{_NONCE}"}}',
    "spaces-inside": f"contract suite key {_NONCE}",
}
AUTHORIZATION_FORMS = {"bearer": "Bearer {key}", "bare": "{key}", "basic": "Basic {key}"}


@pytest.mark.parametrize("form", list(AUTHORIZATION_FORMS.values()), ids=list(AUTHORIZATION_FORMS))
@pytest.mark.parametrize("key", list(UNKNOWN_KEYS.values()), ids=list(UNKNOWN_KEYS))
def test_no_answer_echoes_a_key_or_a_stack_trace(api: ApiClient, sample_cart: SampleCart, key: str, form: str) -> None:
    """ "Never log API keys": a 401 that repeats the refused key puts it in every partner's logs. (The check itself
    runs on each answer, in ApiClient: here it sees unknown keys in the forms a partner might get wrong.)"""
    authorization = form.format(key=key)
    cart = sample_cart()
    for response in (
        api.submit(cart, authorization=authorization),
        api.get_order(str(uuid.uuid4()), authorization=authorization),
    ):
        assert response.status_code == 401, (
            f"{response.request.method} with an unknown key ({form.format(key='<key>')}) must be 401, "
            f"got {response.status_code}"
        )


# Bodies that break naive parsers: the guide's 400 ("check request format") or 422, never a 5xx or a trace.
HOSTILE_BODIES = {
    "invalid-utf-8": b'{"partner_order_id": "\xff\xfe\xfa", "items": []}',
    "nested-100000-deep": b"[" * 100_000 + b"]" * 100_000,
    "nested-objects-10000-deep": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    "nan-price": b'{"partner_order_id": "x", "items": [{"sku": "X", "title": "t", "price": NaN, "quantity": 1}]}',
    "infinity-total": b'{"partner_order_id": "x", "totals": {"total": Infinity}}',
    "truncated-escape": b'{"partner_order_id": "\\u12',
}


@pytest.mark.parametrize("content", list(HOSTILE_BODIES.values()), ids=list(HOSTILE_BODIES))
def test_hostile_body_is_refused_with_a_4xx_and_no_stack_trace(api: ApiClient, content: bytes) -> None:
    response = api.submit(content=content)
    assert 400 <= response.status_code < 500, (
        f"a body that is not a well-formed cart ({content[:40]!r}...) must be refused as the client's error (4xx, "
        f"the guide: fix the request, do not retry), got {response.status_code}: {response.text[:300]!r}"
    )
