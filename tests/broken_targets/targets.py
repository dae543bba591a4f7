"""What a broken or an alternative target is: a name, what it does otherwise than the mock, and how to build it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp


@dataclass(frozen=True)
class Defect:
    """A target that breaks one promise of the guide: the contract tests in `caught_by` must fail on it."""

    name: str
    breaks: str
    build: Callable[[], ASGIApp]
    caught_by: tuple[str, ...]  # contract tests expected to fail on it (any one is enough)
    # True: no test outside caught_by may fail either; the defect breaks one promise and proves the tests that check it.
    only: bool = False


@dataclass(frozen=True)
class Alternative:
    """A correct target that decides one of the guide's silences otherwise than the mock: the suite must pass it."""

    name: str
    decides: str
    build: Callable[[], ASGIApp]
    # The contract tests whose requests meet the choice (names or parts of names; empty: every test). The others
    # cannot tell it from the mock, and the run of every alternative at once (EVERY_ALTERNATIVE) runs them all.
    touches: tuple[str, ...] = ()
