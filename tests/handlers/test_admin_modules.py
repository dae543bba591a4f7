"""The admin API's handlers, one module per resource: each module of mockserver/handlers/admin/ serves the operations
of one tag of the admin spec, all of them, and no other."""

from __future__ import annotations

from mockserver.handlers.admin import RESOURCES, admin_handlers
from mockserver.http.spec import ADMIN_SPEC, load_spec
from mockserver.model.fixtures import Fixtures
from mockserver.model.state import MockState


def tagged() -> dict[str, set[str]]:
    """The admin spec's tag -> its operationIds."""
    found: dict[str, set[str]] = {}
    for item in load_spec(ADMIN_SPEC)["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and "operationId" in operation:
                [tag] = operation["tags"]
                found.setdefault(tag, set()).add(operation["operationId"])
    return found


def test_each_admin_module_serves_one_tag_of_the_spec_whole(default_fixtures: Fixtures) -> None:
    state = MockState(default_fixtures)
    served = {module.__name__.rsplit(".", 1)[1].replace("_", "-"): set(module.handlers(state)) for module in RESOURCES}
    assert served == tagged()


def test_the_admin_table_is_every_operation_of_the_spec_once(default_fixtures: Fixtures) -> None:
    operations = [operation for operations in tagged().values() for operation in operations]
    assert sorted(admin_handlers(MockState(default_fixtures))) == sorted(operations)
