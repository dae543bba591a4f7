"""The model knows nothing of HTTP, and imports flow one way: model <- http <- layers, handlers <- the process."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import mockserver
import mockserver.model

WEB_STACK = ("starlette", "connexion", "granian", "uvicorn", "httpx", "jsonschema", "jsonschema_rs")
PACKAGE = Path(mockserver.__file__).parent
# What each folder may import from mockserver/ (its own folder included); the top (app, server, CLI) may import all.
MAY_IMPORT = {
    "model": {"model"},
    "http": {"model", "http"},
    "layers": {"model", "http", "layers"},
    "handlers": {"model", "http", "handlers"},
}


def model_modules() -> list[str]:
    return [f"mockserver.model.{info.name}" for info in pkgutil.iter_modules(mockserver.model.__path__)]


def mockserver_imports(path: Path) -> set[str]:
    """Every mockserver module `path` imports, at any depth (TYPE_CHECKING and in-function imports included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mockserver"):
            # `from mockserver.handlers import carts` imports the module carts
            found |= {
                f"{node.module}.{alias.name}" if is_module(f"{node.module}.{alias.name}") else node.module
                for alias in node.names
            }
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("mockserver")}
    return found


def is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_importing_the_model_loads_no_web_framework() -> None:
    script = (
        f"import importlib, json, sys\nfor name in {model_modules()!r}: importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {WEB_STACK!r})))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert "mockserver.model.state" in model_modules() and "mockserver.model.stores" in model_modules()
    assert json.loads(result.stdout) == [], "the model imports the web stack"


def test_each_folder_imports_only_the_folders_below_it() -> None:
    wrong = []
    for folder, allowed in MAY_IMPORT.items():
        for path in sorted((PACKAGE / folder).glob("*.py")):
            for imported in mockserver_imports(path):
                parts = imported.split(".")
                if len(parts) < 3 or parts[1] not in allowed:
                    wrong.append(f"{module_name(path)} imports {imported}")
    assert wrong == []


def test_no_module_of_the_mock_imports_itself_back() -> None:
    graph = {module_name(path): mockserver_imports(path) for path in PACKAGE.rglob("*.py")}
    graph["mockserver"] = set()  # the package's lazy attributes (create_app, MockState) are not imports at load
    cycles = []

    def visit(name: str, trail: list[str]) -> None:
        for imported in sorted(graph.get(name, ())):
            if imported in trail:
                cycles.append(" -> ".join([*trail[trail.index(imported) :], imported]))
            elif imported not in done:
                visit(imported, [*trail, imported])
        done.add(name)

    done: set[str] = set()
    for name in sorted(graph):
        visit(name, [name])
    assert cycles == []
