"""The kit's one JUnit writer (jafarshop_kit/junit.py), as the contract runner and the scorecard use it."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from jafarshop_kit import junit
from jafarshop_kit.junit import Case, Kind, Problem, Suite

HOSTILE = "a <b> & \"c\" 'd' \x00\x01\x08\x0b\x0c\x1b\x1f\ufffe end\ttab\nline"
# What a parser reads back: markup as text, each character XML cannot carry as #xNN, tab and newline kept.
READ_BACK = "a <b> & \"c\" 'd' #x00#x01#x08#x0B#x0C#x1B#x1F#xFFFE end\ttab\nline"


def parsed(document: bytes) -> ElementTree.Element:
    return ElementTree.fromstring(document)


def test_a_document_starts_with_its_utf8_declaration() -> None:
    assert junit.suites(Suite("s", [])).startswith(b"<?xml version='1.0' encoding='utf-8'?>\n<testsuites>")


@pytest.mark.parametrize("text", ["plain", "<script>&amp;", "\"quoted\" 'both'", "\u00d7 \u2265 \U0001f600"])
def test_text_that_xml_can_carry_is_read_back_unchanged(text: str) -> None:
    assert junit.legal(text) == text


def test_control_characters_and_markup_in_every_field_are_read_back_as_text(tmp_path: Path) -> None:
    case = Case(HOSTILE, HOSTILE, Problem(Kind.FAILURE, HOSTILE, HOSTILE, type=HOSTILE), output=HOSTILE)
    path = tmp_path / "report.xml"
    junit.write(path, junit.suites(Suite(HOSTILE, [case], output=HOSTILE)))
    suite = ElementTree.parse(path).getroot().find("testsuite")
    assert suite is not None and suite.get("name") == READ_BACK
    element = suite.find("testcase")
    assert element is not None
    assert (element.get("classname"), element.get("name")) == (READ_BACK, READ_BACK)
    failure = element.find("failure")
    assert failure is not None
    assert (failure.get("message"), failure.get("type"), failure.text) == (READ_BACK, READ_BACK, READ_BACK)
    assert element.findtext("system-out") == READ_BACK and suite.findtext("system-out") == READ_BACK
    assert b"<b>" not in path.read_bytes()


@pytest.mark.parametrize("kind", list(Kind))
def test_each_kind_of_problem_is_its_element_and_its_counter(kind: Kind) -> None:
    cases = [Case("c", "passed"), Case("c", "not passed", Problem(kind, "why", "the evidence"))]
    suite = parsed(junit.to_bytes(junit.suite_element(Suite("s", cases, time=1.23456))))
    expected = {counter: "0" for counter in junit.COUNTERS.values()} | {junit.COUNTERS[kind]: "1"}
    assert {counter: suite.get(counter) for counter in expected} == expected
    assert suite.get("tests") == "2" and suite.get("time") == "1.235"
    passed, not_passed = suite.iter("testcase")
    assert list(passed) == []
    (problem,) = list(not_passed)
    assert (problem.tag, problem.get("message"), problem.text) == (kind.value, "why", "the evidence")
    assert problem.get("type") is None  # an attribute given no value is left out, not written empty


def test_a_case_has_a_time_only_when_given_one() -> None:
    suite = parsed(junit.suites(Suite("s", [Case("c", "timed", time="0"), Case("c", "untimed")])))
    assert [case.get("time") for case in suite.iter("testcase")] == ["0", None]


def test_a_case_added_to_pytests_report_is_counted_in_its_suite(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite name="contract" errors="0" '
        'failures="1" skipped="2" tests="5"><testcase classname="t" name="x"/></testsuite></testsuites>'
    )
    junit.add_case(path, Case("runner", "gate", Problem(Kind.FAILURE, "coverage <incomplete>")), "unused")
    junit.add_case(path, Case("runner", "skip", Problem(Kind.SKIPPED, "later")), "unused")
    suite = ElementTree.parse(path).getroot().find("testsuite")
    assert suite is not None and suite.get("name") == "contract"
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped"), suite.get("errors")) == (
        "7",
        "2",
        "3",
        "0",
    )
    assert [case.get("name") for case in suite.iter("testcase")] == ["x", "gate", "skip"]
    assert suite.find("testcase[@name='gate']/failure[@message='coverage <incomplete>']") is not None


@pytest.mark.parametrize("existing", [None, "not xml <", ""])
def test_a_report_missing_or_unreadable_is_replaced_by_the_case_alone(tmp_path: Path, existing: str | None) -> None:
    path = tmp_path / "reports" / "junit.xml"
    if existing is not None:
        path.parent.mkdir()
        path.write_text(existing)
    junit.add_case(path, Case("runner", "setup", Problem(Kind.ERROR, "no target")), "jafarshop-contract")
    root = ElementTree.parse(path).getroot()
    (suite,) = root.iter("testsuite")
    assert suite.get("name") == "jafarshop-contract" and suite.get("tests") == suite.get("errors") == "1"
    assert list(tmp_path.rglob("*.partial")) == []
