"""Credentials: the syntax of a Bearer credential (RFC 6750), the one parser of the Authorization header for every
layer that reads it (connexion's security check, the fast path, the journal, certification) and for certification's
grading of how a client authenticates. Keys themselves are held as digests by the partners store (stores.py)."""

from __future__ import annotations

import re

# RFC 6750 section 2.1: credentials = "Bearer" 1*SP b64token; the scheme is case-insensitive (RFC 9110 section 11.1).
# A tab, or anything after the token, is not a Bearer credential: 401, and the journal agrees (no partner).
_BEARER = re.compile(r"[Bb][Ee][Aa][Rr][Ee][Rr] +([^\s]+)")


def bearer_token(authorization: str | None) -> str | None:
    """The token of a `Bearer <token>` Authorization header, or None."""
    if not authorization:
        return None
    match = _BEARER.fullmatch(authorization.strip(" "))
    return match.group(1) if match else None
