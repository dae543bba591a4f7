"""mockserver/model/credentials.py: the one parser of a Bearer credential (RFC 6750 section 2.1) that every layer
reads the Authorization header with."""

from __future__ import annotations

import pytest

from mockserver.model.credentials import bearer_token


@pytest.mark.parametrize(
    ("authorization", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer abc", "abc"),  # the scheme is case-insensitive (RFC 9110 section 11.1)
        ("BEARER abc", "abc"),
        ("Bearer   abc", "abc"),  # 1*SP
        (" Bearer abc ", "abc"),  # spaces around the field value are not part of it
        ("Bearer a.b-c_d~e+f/g=", "a.b-c_d~e+f/g="),
        ("Bearer\tabc", None),  # a tab is no SP
        ("Bearer abc def", None),  # one token only
        ("Bearer", None),
        ("Bearer ", None),
        ("Basic abc", None),
        ("Bearerabc", None),
        ("abc", None),
        ("", None),
        (None, None),
    ],
)
def test_only_a_bearer_credential_yields_its_token(authorization: str | None, token: str | None) -> None:
    assert bearer_token(authorization) == token
