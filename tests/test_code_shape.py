"""The code's shape: no function of the kit is over MAX_LINES lines unless its docstring says why, on a line that
starts with LONG_BECAUSE ("Long because: the table of options reads best in one place")."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from tests.helpers import ROOT

MAX_LINES = 60
LONG_BECAUSE = "Long because:"
PACKAGES = ("mockserver", "contract_tests", "certify", "graders", "jafarshop_kit", "bench")


def long_functions(source: str, where: str = "<source>") -> list[str]:
    """`where:line name (N lines)` for each function (or method, nested ones too) longer than MAX_LINES, counted from
    its `def` to its last line, whose docstring has no line starting with LONG_BECAUSE."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        lines = (node.end_lineno or node.lineno) - node.lineno + 1
        docstring = ast.get_docstring(node) or ""
        explained = any(line.strip().startswith(LONG_BECAUSE) for line in docstring.splitlines())
        if lines > MAX_LINES and not explained:
            found.append(f"{where}:{node.lineno} {node.name} ({lines} lines)")
    return found


def test_no_function_is_over_the_limit_without_a_reason() -> None:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found += long_functions(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())
    assert not found, (
        f"functions over {MAX_LINES} lines: split them, or give the reason in the docstring on a line starting "
        f"{LONG_BECAUSE!r}: {found}"
    )


def _function(lines: int, docstring: str = "A function.") -> str:
    """A function of exactly `lines` lines (its def, its docstring, then statements)."""
    body = "".join(f"    x{n} = {n}\n" for n in range(lines - 2))
    return f'def f() -> None:\n    """{docstring}"""\n{body}'


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        (_function(MAX_LINES), False),
        (_function(MAX_LINES + 1), True),
        (
            _function(MAX_LINES + 1, f"A table.\n\n    {LONG_BECAUSE} one row an option, read in one place.\n    "),
            False,
        ),
        (_function(MAX_LINES + 1, "A table; long because it is"), True),  # the marker starts a line of its own
        ("class C:\n" + textwrap.indent(_function(MAX_LINES + 1), "    "), True),  # methods count
        ("async " + _function(MAX_LINES + 1), True),
    ],
    ids=["at-the-limit", "one-over", "with-a-reason", "reason-not-on-its-own-line", "a-method", "async"],
)
def test_the_check_catches_a_long_function(source: str, flagged: bool) -> None:
    assert bool(long_functions(source)) is flagged


def test_the_packages_checked_exist() -> None:
    assert all((ROOT / package / "__init__.py").is_file() for package in PACKAGES), [
        package for package in PACKAGES if not Path(ROOT / package / "__init__.py").is_file()
    ]
