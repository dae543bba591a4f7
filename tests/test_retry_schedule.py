"""The guide's retry schedule is written once (jafarshop_kit/guide.py): every text that prints its numbers (the docs,
the specs' descriptions, the console's page, the examples, the scenario's words) prints the same ones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jafarshop_kit.guide import BACKOFF_SECONDS, MAX_RETRIES, backoff_words
from tests.helpers import ROOT

_NUMBER = r"(\d+(?:\.\d+)?)"
# "1 s, 2 s, 4 s", "1s, 2s, 4s", "1 s, 2 s and 4 s": three waits in a row.
SCHEDULE = re.compile(rf"{_NUMBER} ?s, {_NUMBER} ?s,? (?:and )?{_NUMBER} ?s\b")
# "at most 3 retries", "Max 3 retries", "the guide's 3 retries".
RETRIES = re.compile(r"\b(\d+) retries\b")
# "1 + 2 + 4": the whole backoff, summed.
SUM = re.compile(rf"\b{_NUMBER} \+ {_NUMBER} \+ {_NUMBER}\b")

TEXTS = sorted(
    path
    for path in {
        *ROOT.glob("docs/*.md"),
        ROOT / "README.md",
        *ROOT.glob("openapi/*.yaml"),
        *ROOT.glob("mockserver/console/static/*"),
        *ROOT.glob("examples/*"),
        *ROOT.glob("graders/templates/*"),
        *ROOT.glob("contract_tests/*.py"),
        *ROOT.glob("tests/certify_clients/*"),
        ROOT / "mockserver/model/certification.py",  # the scenario's words for 500-always
    }
    if path.is_file()  # not __pycache__/, which the kit's own runs write beside the clients
)


def mentions(text: str) -> list[tuple[str, tuple[float, ...]]]:
    """Each statement of the schedule in `text`: what it says, and its numbers."""
    found = [(m.group(0), tuple(float(n) for n in m.groups())) for m in SCHEDULE.finditer(text)]
    found += [(m.group(0), tuple(float(n) for n in m.groups())) for m in SUM.finditer(text)]
    return found


def test_the_texts_that_state_the_schedule_are_found() -> None:
    stated = {path.relative_to(ROOT).as_posix() for path in TEXTS if mentions(path.read_text(encoding="utf-8"))}
    assert {"docs/partner-guide.md", "docs/certification.md", "openapi/partner-api.yaml", "README.md"} <= stated


@pytest.mark.parametrize("path", TEXTS, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_text_states_the_one_schedule(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    wrong = [said for said, numbers in mentions(text) if numbers != BACKOFF_SECONDS]
    wrong += [m.group(0) for m in RETRIES.finditer(text) if int(m.group(1)) != MAX_RETRIES]
    assert not wrong, (
        f"{path.name} states another retry schedule than jafarshop_kit/guide.py's ({backoff_words()}, "
        f"at most {MAX_RETRIES} retries): {wrong}"
    )


def test_the_check_catches_another_schedule() -> None:
    assert [numbers for _, numbers in mentions("wait 1 s, 3 s, 9 s")] == [(1.0, 3.0, 9.0)]
    assert [int(m.group(1)) for m in RETRIES.finditer("at most 5 retries")] == [5]
