"""The exit codes of `jafarshop-contract`: one enum, read by the runner, the conftest, `--help` and the docs' table.

A deploy gate fails closed: every code but OK fails a CI job, and no documented recipe tolerates any of them. Only
the standard library here: the runner imports this before it checks that the `contract` extra is installed.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What a run of the contract suite ended with."""

    OK = 0
    VIOLATION = 1
    USAGE = 2
    UNREACHABLE = 3
    INCOMPLETE = 4
    SETTINGS = 5
    CRASH = 6
    OUT_OF_TIME = 7

    @property
    def meaning(self) -> str:
        """One line: what the code says of the target, or of the run."""
        return _MEANINGS[self]


_MEANINGS = {
    ExitCode.OK: "no contract violation found",
    ExitCode.VIOLATION: "contract violation",
    ExitCode.USAGE: "usage error",
    ExitCode.UNREACHABLE: "target unreachable: nothing answers, or it stopped answering: no verdict",
    ExitCode.INCOMPLETE: "no violation found, but coverage incomplete and --require-full-coverage given",
    ExitCode.SETTINGS: "the target refused a setting",
    ExitCode.OUT_OF_TIME: "the run went past its time budget (JAFARSHOP_TIME_BUDGET) and was stopped: no verdict on "
    "the tests it did not run",
    ExitCode.CRASH: "the contract suite itself crashed (a pytest internal or usage error, a plugin or hook error, an "
    "unexpected error in the runner): no verdict",
}


# The codes the suite's own pytest session ends with beyond pytest's 0-5 (conftest sets them): chosen far from
# pytest's, whose 3 (INTERNAL_ERROR) must never read as "the target stopped answering".
PYTEST_COVERAGE_INCOMPLETE = 64
PYTEST_TARGET_STOPPED = 65
PYTEST_OUT_OF_TIME = 66

# pytest's codes (and the two above) -> the suite's. pytest's 2 is an interrupted session (Ctrl-C, a KeyboardInterrupt
# from a plugin), 3 an internal error (a plugin's or hook's exception), 4 a usage error (an unknown option after
# `--`, a conftest's UsageError), 5 no test selected; any other code is a crash too.
FROM_PYTEST = {
    0: ExitCode.OK,
    1: ExitCode.VIOLATION,
    2: ExitCode.CRASH,
    3: ExitCode.CRASH,
    4: ExitCode.CRASH,
    5: ExitCode.USAGE,
    PYTEST_COVERAGE_INCOMPLETE: ExitCode.INCOMPLETE,
    PYTEST_TARGET_STOPPED: ExitCode.UNREACHABLE,
    PYTEST_OUT_OF_TIME: ExitCode.OUT_OF_TIME,
}


def from_pytest(code: int) -> ExitCode:
    """The suite's exit code for the exit code of its pytest session."""
    return FROM_PYTEST.get(code, ExitCode.CRASH)


def help_table() -> str:
    """The codes as `--help` lists them, one a line."""
    return "\n".join(f"  {code.value}  {code.meaning}" for code in ExitCode)
