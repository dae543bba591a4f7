"""mockserver/http/security.py on its own: the partner a request's Authorization header names, resolved once per
request for every layer, and the security handler connexion calls (partner keys, the admin token by realm). The
header's syntax is tested in tests/model/test_credentials.py; the 401s through the app in
tests/http/test_submit_checks.py."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from mockserver.http.notes import note_partner, noted_partner
from mockserver.http.security import authorized_partner, bearer_handler
from mockserver.model.state import MockState
from tests.helpers import ADMIN_TOKEN, KEY_A, KEY_B


class CountingState:
    """MockState's authenticate, counting its calls (each one hashes a key)."""

    def __init__(self, state: MockState) -> None:
        self.state, self.calls = state, 0

    def authenticate(self, token: str) -> str | None:
        self.calls += 1
        return self.state.authenticate(token)


@pytest.mark.parametrize(
    ("authorization", "partner"),
    [
        (f"Bearer {KEY_A}", "partner-a"),
        (f"Bearer {KEY_B}", "partner-b"),
        ("Bearer nope", None),
        (KEY_A, None),
        (None, None),
    ],
    ids=["partner-a", "partner-b", "unknown-key", "no-scheme", "no-header"],
)
def test_the_partner_is_the_one_whose_key_the_header_names(
    state: MockState, authorization: str | None, partner: str | None
) -> None:
    scope: dict[str, Any] = {}
    assert authorized_partner(state, scope, authorization) == partner
    assert noted_partner(scope) == (True, partner)  # noted for the layers after this one


def test_the_partner_is_resolved_once_per_request_and_then_read_from_the_scope(state: MockState) -> None:
    counting = CountingState(state)
    scope: dict[str, Any] = {}
    for _ in range(3):
        assert authorized_partner(counting, scope, f"Bearer {KEY_A}") == "partner-a"  # type: ignore[arg-type]
    assert counting.calls == 1


def test_a_noted_answer_wins_even_none(state: MockState) -> None:
    """A layer that resolved "no valid key" is not second-guessed by a later one."""
    scope: dict[str, Any] = {}
    note_partner(scope, None)
    assert authorized_partner(state, scope, f"Bearer {KEY_A}") is None


def test_a_request_that_offers_no_bearer_token_never_authenticates(state: MockState) -> None:
    counting = CountingState(state)
    assert authorized_partner(counting, {}, "Basic abc") is None  # type: ignore[arg-type]
    assert counting.calls == 0


# --- connexion's security handler ------------------------------------------------------------------------------


def request_with(authorization: str | None) -> Any:
    return SimpleNamespace(headers={} if authorization is None else {"Authorization": authorization})


@pytest.mark.parametrize(
    ("authorization", "expected"),
    [
        (f"Bearer {KEY_A}", ("bearer", KEY_A)),
        (f"bearer   {KEY_A}", ("bearer", KEY_A)),
        (f"Bearer\t{KEY_A}", (None, None)),  # connexion would split on the tab and accept it
        (f"Bearer {KEY_A} extra", (None, None)),
        ("Basic abc", (None, None)),
        (None, (None, None)),
    ],
)
def test_the_handler_reads_the_header_with_the_kits_one_parser(
    state: MockState, authorization: str | None, expected: tuple[str | None, str | None]
) -> None:
    assert bearer_handler(state).get_auth_header_value(request_with(authorization)) == expected


@pytest.mark.parametrize(
    ("scheme", "token", "user"),
    [
        ({}, KEY_A, {"sub": "partner-a"}),
        ({}, ADMIN_TOKEN, None),  # the admin token is no partner key
        ({}, "nope", None),
        ({"x-realm": "admin"}, ADMIN_TOKEN, {"sub": "admin"}),
        ({"x-realm": "admin"}, KEY_A, None),  # nor a partner key an admin token
    ],
    ids=["partner-key", "admin-token-as-partner", "unknown", "admin-token", "partner-key-as-admin"],
)
def test_the_scheme_realm_picks_partner_keys_or_the_admin_token(
    state: MockState, scheme: dict[str, Any], token: str, user: dict[str, Any] | None
) -> None:
    handler = bearer_handler(state)()
    assert handler._resolve_func(scheme)(token) == user


def test_the_handler_follows_the_state_it_is_bound_to(state: MockState) -> None:
    handler = bearer_handler(state)()
    check = handler._resolve_func({})
    state.partners.rotate_key("partner-a", "a-new-key")
    assert check(KEY_A) is None
    assert check("a-new-key") == {"sub": "partner-a"}
