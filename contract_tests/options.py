"""The contract suite's pytest options. A plugin module rather than the conftest's own hook: pytest parses the
command line once before it loads any conftest, and there an option it does not know yet, with a value holding a space
(the pre-flight's JSON, a report path under "My Documents"), is taken for a test path and the session ends in a usage
error (pytest 8). jafarshop-contract loads this module with `-p contract_tests.options`, so pytest knows every option
from the start; the conftest names it in `pytest_plugins` for a plain `pytest contract_tests` run."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract_tests.exit_codes import PYTEST_COVERAGE_INCOMPLETE
from contract_tests.target import COVERAGE_SCOPES, SETTINGS


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("jafarshop", "JafarShop target (each also read from its environment variable)")
    for setting in SETTINGS.values():
        group.addoption(setting.option, default=None, help=f"{setting.help} [env {setting.env}]")
    group.addoption(
        "--jafarshop-coverage",
        type=Path,
        default=None,
        help="write the run's contract coverage to PATH.json and PATH.md (jafarshop-contract gives "
        "reports/contract-coverage)",
    )
    group.addoption(
        "--jafarshop-preflight",
        default=None,
        help="what jafarshop-contract's pre-flight did, as JSON {orders, requests, statuses}: its orders count "
        "against the cap and in the summary, its answers in the coverage",
    )
    group.addoption(
        "--jafarshop-plan",
        default=None,
        metavar="PATH",
        help="write the order plan (the smallest cap that lets every collected test run) to PATH as JSON; "
        "jafarshop-contract runs it with --collect-only before the pre-flight",
    )
    group.addoption(
        "--jafarshop-require-full-coverage",
        nargs="?",
        const="all",
        default=None,
        choices=COVERAGE_SCOPES,
        help=f"fail the run (exit {PYTEST_COVERAGE_INCOMPLETE} here, 4 from jafarshop-contract) when a documented "
        "status was not seen or a rule was not fully checked: `partner` for the rules the partner API alone can "
        "check, `all` (bare) for the supplier-side ones too [env JAFARSHOP_REQUIRE_FULL_COVERAGE=partner|all]",
    )
