"""What the bench sends every server: the partner key, the guide's mixed cart, and the order it reads."""

from __future__ import annotations

import json

from bench import ROOT

CART = ROOT / "fixtures" / "carts" / "guide-mixed-cart.json"
KEY = "demo-key-partner-a"
ADMIN_TOKEN = "demo-admin-token"
# A Prism example id: Prism answers its example for any id; the mock needs a real one (created before each run).
EXAMPLE_ORDER_ID = "550e8400-e29b-41d4-a716-446655440000"

SUBMIT_LUA = """
wrk.method = "POST"
wrk.body = [==[{body}]==]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {key}"
"""


def cart_body() -> bytes:
    """The guide's mixed cart, as sent in a submit."""
    return CART.read_bytes()


def submit_script() -> str:
    """The wrk Lua script that submits the cart with the partner key."""
    body = json.dumps(json.loads(CART.read_text()))
    return SUBMIT_LUA.replace("{body}", body).replace("{key}", KEY)
