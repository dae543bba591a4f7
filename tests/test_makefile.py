"""The Makefile's test targets run what they say: the command line a target runs (read with `make -n`, so nothing
is installed or run) collects its tests. `make screenshots` once failed at collection (an unregistered xdist_group
mark under `-p no:xdist`); a collection error here fails before anyone needs new screenshots."""

from __future__ import annotations

import itertools
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.helpers import ROOT


def pytest_command(target: str) -> tuple[dict[str, str], list[str]]:
    """The environment assignments and the argv of the pytest line `make <target>` would run."""
    planned = subprocess.run(
        ["make", "-n", "--no-print-directory", target], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    ).stdout.splitlines()
    [line] = [line for line in planned if " -m pytest " in line]
    words = shlex.split(line)
    leading = list(itertools.takewhile(lambda word: re.fullmatch(r"[A-Z_]+=.*", word) is not None, words))
    return dict(word.split("=", 1) for word in leading), words[len(leading) :]


@pytest.mark.parametrize(("target", "least"), [("screenshots", 1), ("clients", 1)])
def test_a_targets_pytest_command_collects_its_tests(target: str, least: int, tmp_path: Path) -> None:
    env, argv = pytest_command(target)
    assert argv[:3] == [".venv/bin/python", "-m", "pytest"], argv
    if target == "screenshots":
        assert "-n" in argv and env == {"JAFARSHOP_SCREENSHOTS": "docs"}
        env["JAFARSHOP_SCREENSHOTS"] = str(tmp_path)  # collection writes nothing; all the same, not into docs/
    result = subprocess.run(
        [*argv, "--collect-only", "-q"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    collected = re.search(r"(\d+) tests? collected", result.stdout)
    assert collected is not None and int(collected.group(1)) >= least, result.stdout[-3000:]
