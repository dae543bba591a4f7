"""`import mockserver` has no side effect on the process's warning filters; the entry points silence connexion's
import warnings themselves (mockserver/dependency_warnings.py), and only while connexion is imported."""

from __future__ import annotations

import subprocess
import sys

import pytest


def run(code: str, *options: str) -> subprocess.CompletedProcess[str]:
    """`code` in a fresh interpreter: this process imported mockserver long ago."""
    return subprocess.run([sys.executable, *options, "-c", code], capture_output=True, text=True, timeout=60)


def test_importing_the_package_leaves_the_warning_filters_unchanged() -> None:
    result = run(
        "import warnings; before = list(warnings.filters); import mockserver, mockserver.model.state; "
        "assert warnings.filters == before, warnings.filters[: len(warnings.filters) - len(before)]"
    )
    assert result.returncode == 0, result.stderr


def test_connexion_warns_on_import_when_nothing_silences_it() -> None:
    """What the entry points guard against (if connexion stops warning, this test says the guard can go)."""
    result = run("import mockserver.app", "-W", "error")
    assert result.returncode != 0
    assert "starlette.testclient" in result.stderr or "DeprecationWarning" in result.stderr


@pytest.mark.parametrize(
    "entry", ["mockserver.cli:main", "mockserver.pytest_plugin:jafarshop_mock_server", "certify.cli:standalone"]
)
def test_the_entry_points_that_import_connexion_silence_its_warnings_and_restore_the_filters(entry: str) -> None:
    module, function = entry.split(":")
    result = run(
        "import inspect, warnings, importlib\n"
        f"source = inspect.getsource(getattr(importlib.import_module({module!r}), {function!r}))\n"
        "assert 'with without_dependency_warnings():' in source, source\n"
        "from mockserver.dependency_warnings import without_dependency_warnings\n"
        "before = list(warnings.filters)\n"
        "with without_dependency_warnings():\n"
        "    import mockserver.app\n"
        "assert warnings.filters == before\n",
        "-W",
        "error",
    )
    assert result.returncode == 0, result.stderr
