"""mockserver/http/routes.py on its own: the route table read from a spec (templates to patterns, operationIds,
Allow), which requests are partner calls, and the trailing-slash rule. Over a real socket (a Host header that must
not become a redirect) the trailing slash is in tests/test_hostile_input.py."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.exceptions import HTTPException
from starlette.types import Receive, Scope, Send

from mockserver.http.routes import NoSlashRedirect, RouteTable, is_partner_call, partner_operation, routes

SPEC = {
    "openapi": "3.0.3",
    "paths": {
        "/things": {"get": {"operationId": "listThings"}, "post": {"operationId": "addThing"}, "parameters": []},
        "/things/{id}": {"get": {"operationId": "getThing"}, "summary": "not a method"},
        "/things/{id}/parts/{part}": {"delete": {"operationId": "dropPart"}},
        "/a.b": {"get": {"operationId": "dotted"}},
    },
}


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> RouteTable:
    spec = tmp_path_factory.mktemp("spec") / "spec.yaml"
    spec.write_text(yaml.safe_dump(SPEC))
    return RouteTable({"/base": Path(spec)})


def test_the_table_has_one_route_per_method_under_the_base_path_and_skips_other_keys(table: RouteTable) -> None:
    assert sorted((route.method, route.path) for route in table.routes) == [
        ("DELETE", "/base/things/{id}/parts/{part}"),
        ("GET", "/base/a.b"),
        ("GET", "/base/things"),
        ("GET", "/base/things/{id}"),
        ("POST", "/base/things"),
    ]
    assert table["getThing"].prefix == "/base/things/"
    assert table["listThings"].prefix == "/base/things"


@pytest.mark.parametrize(
    ("method", "path", "operation"),
    [
        ("GET", "/base/things", "listThings"),
        ("POST", "/base/things", "addThing"),
        ("GET", "/base/things/42", "getThing"),
        ("DELETE", "/base/things/42/parts/x", "dropPart"),
        ("GET", "/base/a.b", "dotted"),
        ("GET", "/base/aXb", None),  # a dot in a template is a dot, not any character
        ("GET", "/base/things/42/", None),
        ("GET", "/base/things/4/2", None),  # a parameter is one segment
        ("GET", "/base/things/", None),  # and not an empty one
        ("PUT", "/base/things", None),
        ("GET", "/things", None),  # the base path is part of the route
        ("get", "/base/things", None),  # methods are upper case, as ASGI gives them
    ],
)
def test_a_request_is_for_the_operation_whose_method_and_template_it_matches(
    table: RouteTable, method: str, path: str, operation: str | None
) -> None:
    assert table.operation(method, path) == operation


@pytest.mark.parametrize(
    ("path", "allowed"),
    [("/base/things", {"GET", "POST"}), ("/base/things/1", {"GET"}), ("/base/nothing", set())],
)
def test_allowed_lists_the_methods_documented_for_a_path(table: RouteTable, path: str, allowed: set[str]) -> None:
    assert table.allowed(path) == allowed


def test_the_kits_table_holds_both_specs_and_names_the_partner_operations() -> None:
    assert routes()["submitCart"].path == "/v1/carts/submit"
    assert routes()["getHealth"].path == "/__admin/health"
    assert partner_operation({"method": "GET", "path": "/v1/orders/abc"}) == "getOrder"
    assert partner_operation({"method": "GET", "path": "/__admin/health"}) is None  # not a partner operation


@pytest.mark.parametrize(
    ("scope", "partner"),
    [
        ({"type": "http", "path": "/v1/carts/submit"}, True),
        ({"type": "http", "path": "/v1/anything"}, True),  # an unknown route under /v1 is still a partner call
        ({"type": "http", "path": "/v1/ui/"}, False),  # Swagger UI
        ({"type": "http", "path": "/v1"}, False),
        ({"type": "http", "path": "/v10/x"}, False),
        ({"type": "http", "path": "/__admin/orders"}, False),
        ({"type": "websocket", "path": "/v1/carts/submit"}, False),
        ({"type": "lifespan"}, False),
    ],
)
def test_a_partner_call_is_an_http_request_under_v1_outside_its_ui(scope: dict[str, Any], partner: bool) -> None:
    assert is_partner_call(scope) is partner


def through_no_slash(path: str, kind: str = "http") -> list[str]:
    """The paths NoSlashRedirect passes on to the app (it raises for the others)."""
    reached: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        reached.append(scope.get("path", ""))

    async def nothing() -> Any:
        return {}

    async def ignore(message: Any) -> None:
        return None

    asyncio.run(NoSlashRedirect(app)({"type": kind, "path": path}, nothing, ignore))
    return reached


@pytest.mark.parametrize("path", ["/v1/carts/submit/", "/__admin/health/", "//"])
def test_a_trailing_slash_is_a_404_not_a_redirect(path: str) -> None:
    with pytest.raises(HTTPException) as raised:
        through_no_slash(path)
    assert raised.value.status_code == 404


@pytest.mark.parametrize("path", ["/", "/v1/carts/submit", "/v1/ui/", "/__admin/ui/"])
def test_the_root_swagger_uis_directories_and_paths_without_a_slash_pass(path: str) -> None:
    assert through_no_slash(path) == [path]


def test_no_slash_leaves_other_scope_types_alone() -> None:
    assert through_no_slash("/v1/x/", kind="websocket") == ["/v1/x/"]
