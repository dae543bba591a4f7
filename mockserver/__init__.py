"""A stateful mock of the JafarShop B2B partner API."""

import warnings

# connexion imports starlette's test client at start-up, which on starlette 1.x warns about httpx on every launch.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")

from mockserver.app import create_app  # noqa: E402
from mockserver.state import MockState  # noqa: E402

__all__ = ["MockState", "create_app"]
