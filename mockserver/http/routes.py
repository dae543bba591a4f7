"""The routes, read from the specs once: the one table behind the app's base paths, the fast path's two routes, the
operation a request is for (journal, faults, certification) and the Allow header of a 405."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.http.spec import ADMIN_BASE, ADMIN_SPEC, PARTNER_BASE, PARTNER_SPEC, load_spec

SPECS: dict[str, Path] = {PARTNER_BASE: PARTNER_SPEC, ADMIN_BASE: ADMIN_SPEC}
_HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


@dataclass(frozen=True)
class Route:
    method: str  # upper case
    path: str  # the full template, base path included: /v1/orders/{supplier_order_id}
    operation_id: str
    pattern: re.Pattern[str]

    @property
    def prefix(self) -> str:
        """The template up to its first parameter: /v1/orders/ for /v1/orders/{supplier_order_id}."""
        return self.path.split("{", 1)[0]


class RouteTable:
    """Every documented (method, path) of the given specs (base path -> spec file)."""

    def __init__(self, specs: dict[str, Path]) -> None:
        self.routes: list[Route] = []
        for base, spec in specs.items():
            for template, item in load_spec(spec)["paths"].items():
                path = base + template
                pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
                for method, operation in item.items():
                    if method in _HTTP_METHODS:
                        self.routes.append(Route(method.upper(), path, operation["operationId"], pattern))
        self._by_id = {route.operation_id: route for route in self.routes}

    def __getitem__(self, operation_id: str) -> Route:
        return self._by_id[operation_id]

    def operation(self, method: str, path: str) -> str | None:
        """The operationId of the route a request is for, if any."""
        for route in self.routes:
            if route.method == method and route.pattern.fullmatch(path):
                return route.operation_id
        return None

    def allowed(self, path: str) -> set[str]:
        """The methods documented for a path (for the Allow header of a 405)."""
        return {route.method for route in self.routes if route.pattern.fullmatch(path)}


@functools.cache
def routes() -> RouteTable:
    """The table of both specs, built on first use."""
    return RouteTable(SPECS)


@functools.cache
def partner_routes() -> RouteTable:
    """The partner API's routes only."""
    return RouteTable({PARTNER_BASE: PARTNER_SPEC})


def partner_operation(scope: Scope) -> str | None:
    """The partner operationId a request is for, if any."""
    return partner_routes().operation(scope["method"], scope["path"])


def is_partner_call(scope: Scope) -> bool:
    """A request under the partner API's base path (its Swagger UI aside): journaled, shaped by faults."""
    if scope["type"] != "http":
        return False
    path: str = scope["path"]
    return path.startswith(PARTNER_BASE + "/") and not path.startswith(PARTNER_BASE + "/ui")


class NoSlashRedirect:
    """A path with a trailing slash is 404 in the envelope. starlette's routers would answer 307 to the path without
    it, with a Location built from the request's Host header (undocumented, and an open redirect behind a proxy that
    passes Host on). Swagger UI's own directories (`/ui/`) are left alone."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if len(path) > 1 and path.endswith("/") and not path.endswith("/ui/"):
            raise HTTPException(404)
        await self.app(scope, receive, send)
