"""A stateful mock of the JafarShop B2B partner API."""

from mockserver.app import create_app
from mockserver.state import MockState

__all__ = ["MockState", "create_app"]
