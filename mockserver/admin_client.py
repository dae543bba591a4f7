"""A small client of the mock's admin API over HTTP, shared by the pytest plugin and `jafarshop-certify`."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any


class AdminHTTPError(Exception):
    """The admin API answered 4xx/5xx: its status and the answer's text."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(f"{status} {text}")
        self.status, self.text = status, text


def admin_request(
    admin_url: str, token: str, method: str, path: str, body: Any = None, timeout: float = 30, **query: Any
) -> Any:
    """Call `admin_url + path`; return its JSON answer (None for an empty one). Raises AdminHTTPError on a
    4xx/5xx, and urllib's URLError/OSError when nothing answers."""
    url = f"{admin_url}{path}"
    params = {name: value for name, value in query.items() if value is not None}
    if params:
        url += "?" + urllib.parse.urlencode(params)
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as error:
        with error:  # its connection, closed now rather than by the garbage collector (a ResourceWarning)
            text = error.read().decode("utf-8", "replace")[:2000]
        raise AdminHTTPError(error.code, text) from None
    return json.loads(raw) if raw else None
