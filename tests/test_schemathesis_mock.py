"""Schemathesis, every check and every phase, against the mock: no server error, no schema violation."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mockserver import MockState
from mockserver.model.state import SubmitOutcome
from tests.helpers import KEY_A, ROOT, LiveServer

pytestmark = pytest.mark.live
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


def run_schemathesis(base_url: str, tmp_path: Path, max_examples: int = 30) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "schemathesis.toml"
    # Credentials go through the auth block: a fixed Authorization header would be fuzzed by ignored_auth.
    config.write_text(f'[auth.openapi.bearerAuth]\nbearer = "{KEY_A}"\n\n[generation]\ndatabase = "none"\n')
    return subprocess.run(
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(config),
            "run",
            str(ROOT / "openapi" / "partner-api.yaml"),
            "--url",
            base_url,
            "--checks",
            "all",
            "--max-examples",
            str(max_examples),
            "--seed",
            "1",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
        env={**os.environ, "NO_COLOR": "1"},
    )


@pytest.mark.slow
def test_a_long_fuzz_finds_no_server_error_and_no_issue(
    live_server: LiveServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 5: thousands of cases (every phase, positive and negative, every check); nothing logged as an error."""
    # The mock's logger and granian's (`_granian`, which the server under the mock logs its errors to) both
    # propagate to the root logger caplog watches.
    caplog.set_level(logging.WARNING)
    result = run_schemathesis(live_server.url, tmp_path, max_examples=1000)
    assert result.returncode == 0, result.stdout[-4000:]
    assert "No issues found" in result.stdout
    generated = re.search(r"(\d+) generated, (\d+) passed", result.stdout)
    assert generated and int(generated.group(1)) >= 2000 and generated.group(1) == generated.group(2), result.stdout
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR] == []
    print(f"long fuzz: {generated.group(0)}")


def test_schemathesis_finds_no_issue_in_the_mock(live_server: LiveServer, tmp_path: Path) -> None:
    result = run_schemathesis(live_server.url, tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    assert "No issues found" in result.stdout
    assert "Stateful" in result.stdout and "1 covered" in result.stdout  # the submit -> getOrder link was followed


ADMIN_CONFIG = """
[auth.openapi.adminToken]
bearer = "demo-admin-token"

[generation]
database = "none"

# A schema-valid auto-advance path can still break the guide's transitions: that 422 is by design.
[[operations]]
include-operation-id = "setAutoAdvance"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "422"]

# A fault with both a status and a drop is schema-valid (each field is) and refused by design, 422: add two faults.
[[operations]]
include-operation-id = "addFault"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "422"]
"""


def test_schemathesis_finds_no_issue_in_the_admin_api(live_server: LiveServer, tmp_path: Path) -> None:
    config = tmp_path / "admin.toml"
    config.write_text(ADMIN_CONFIG)
    result = subprocess.run(
        [str(SCHEMATHESIS), "--config-file", str(config), "run", str(ROOT / "openapi" / "admin-api.yaml"),
         "--url", live_server.url.replace("/v1", "/__admin"), "--checks", "all", "--max-examples", "15",
         "--seed", "1", "--no-color"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:]
    # It warns that lifecycle actions on random ids mostly find no order (404): a warning, not an issue.
    assert "❌" not in result.stdout and " passed" in result.stdout


class WrongStatusState(MockState):
    """A mock that answers an undocumented status value: schemathesis must flag it."""

    def submit_cart(self, *args: Any, **kwargs: Any) -> SubmitOutcome:
        outcome = super().submit_cart(*args, **kwargs)
        if outcome.body is None:
            return outcome
        return SubmitOutcome(outcome.status, {**outcome.body, "status": "NEW"}, outcome.replayed)


@pytest.fixture
def state(default_fixtures: Any, request: pytest.FixtureRequest) -> MockState:
    cls = getattr(request, "param", MockState)
    state: MockState = cls(default_fixtures)
    return state


@pytest.mark.parametrize("state", [WrongStatusState], indirect=True)
def test_schemathesis_flags_a_mock_that_breaks_the_schema(live_server: LiveServer, tmp_path: Path) -> None:
    result = run_schemathesis(live_server.url, tmp_path, max_examples=10)
    assert result.returncode != 0
    assert "Response violates schema" in result.stdout
