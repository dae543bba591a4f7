"""Whether a request has a body: one answer for every layer that asks (the content-type rule, the server's drain)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from mockserver.http.body import declares_body
from tests.helpers import auth


@pytest.mark.parametrize(
    ("headers", "has_body"),
    [
        ([], False),
        ([(b"content-length", b"0")], False),
        ([(b"content-length", b"")], False),
        ([(b"content-length", b"  ")], False),
        ([(b"content-length", b"12")], True),
        ([(b"transfer-encoding", b"chunked")], True),
        ([(b"content-length", b""), (b"transfer-encoding", b"chunked")], True),
    ],
)
def test_a_body_is_declared_by_a_length_other_than_0_or_a_transfer_encoding(
    headers: list[tuple[bytes, bytes]], has_body: bool
) -> None:
    assert declares_body(headers) is has_body


def test_a_post_with_a_blank_content_length_and_no_content_type_is_not_told_it_has_a_body(client: TestClient) -> None:
    answer = client.post("/v1/carts/submit", headers={**auth(), "Content-Length": ""})
    assert answer.status_code in (400, 415, 422), answer.text
    assert "has a body but no Content-Type" not in answer.text
