"""What every admin handler shares: its type and the empty answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import Response

Handler = Callable[..., Any]


def no_content() -> Response:
    return Response(status_code=204)
