"""The kit's one JUnit XML writer, for the contract runner's reports and the certification scorecard (stdlib only:
the base install, which certify runs from, has no contract extra)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Kind(StrEnum):
    """How a test case did not pass: the JUnit element that says so."""

    FAILURE = "failure"
    ERROR = "error"
    SKIPPED = "skipped"


# The suite's counter of each kind.
COUNTERS = {Kind.FAILURE: "failures", Kind.ERROR: "errors", Kind.SKIPPED: "skipped"}


@dataclass(frozen=True)
class Problem:
    """A case's failure, error or skip: its one-line message, and the longer text (evidence, a traceback) if any."""

    kind: Kind
    message: str
    text: str | None = None
    type: str | None = None


@dataclass(frozen=True)
class Case:
    """One test case; a case without a problem passed."""

    classname: str
    name: str
    problem: Problem | None = None
    output: str | None = None  # its <system-out>
    time: str | None = None


@dataclass(frozen=True)
class Suite:
    """One test suite; its counters are counted from its cases."""

    name: str
    cases: Sequence[Case]
    time: float | None = None
    output: str | None = None  # the suite's own <system-out>


# XML 1.0 allows none of the C0 control characters but tab, newline and carriage return, nor the surrogates and
# U+FFFE/U+FFFF: ElementTree writes them as they are, and no parser reads the file back. A client's body or a
# traceback may hold any of them: each is written as #xNN, as pytest's own junitxml does.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def legal(text: str) -> str:
    """`text` with each character that XML 1.0 cannot carry written as #xNN (see _ILLEGAL)."""
    return _ILLEGAL.sub(lambda found: f"#x{ord(found.group()):02X}", text)


def _element(parent: ElementTree.Element, tag: str, text: str | None = None, **attributes: str | None) -> None:
    element = ElementTree.SubElement(
        parent, tag, {key: legal(value) for key, value in attributes.items() if value is not None}
    )
    if text is not None:
        element.text = legal(text)


def _case(parent: ElementTree.Element, case: Case) -> None:
    element = ElementTree.SubElement(parent, "testcase", classname=legal(case.classname), name=legal(case.name))
    if case.time is not None:
        element.set("time", case.time)
    if case.problem is not None:
        problem = case.problem
        _element(element, problem.kind, problem.text, message=problem.message, type=problem.type)
    if case.output is not None:
        _element(element, "system-out", case.output)


def suite_element(suite: Suite) -> ElementTree.Element:
    """The <testsuite> of `suite`, with its counters."""
    kinds = [case.problem.kind for case in suite.cases if case.problem is not None]
    counts = {counter: str(kinds.count(kind)) for kind, counter in COUNTERS.items()}
    element = ElementTree.Element("testsuite", {"name": legal(suite.name), "tests": str(len(suite.cases)), **counts})
    if suite.time is not None:
        element.set("time", f"{suite.time:.3f}")
    for case in suite.cases:
        _case(element, case)
    if suite.output is not None:
        _element(element, "system-out", suite.output)
    return element


def to_bytes(root: ElementTree.Element) -> bytes:
    """The document, UTF-8 with its XML declaration."""
    written: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return written


def suites(*found: Suite) -> bytes:
    """A <testsuites> document of `found`."""
    root = ElementTree.Element("testsuites")
    root.extend(suite_element(suite) for suite in found)
    return to_bytes(root)


def write(path: Path, document: bytes) -> None:
    """Write `document` to `path` whole: a half-written report never stays behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(document)
    partial.replace(path)


def add_case(path: Path, case: Case, suite_name: str) -> None:
    """Add `case` to the first suite of the report at `path` (pytest's, say) and count it there; a report that is
    missing or unreadable is replaced by one of `case` alone, in a suite named `suite_name`."""
    try:
        tree = ElementTree.parse(path)
    except (OSError, ElementTree.ParseError):
        write(path, suites(Suite(suite_name, [case])))
        return
    root = tree.getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    if suite is None:
        suite = ElementTree.SubElement(root, "testsuite", name=suite_name, tests="0", failures="0", errors="0")
    _case(suite, case)
    for counter in ["tests"] + ([COUNTERS[case.problem.kind]] if case.problem is not None else []):
        suite.set(counter, str(int(suite.get(counter, "0")) + 1))
    write(path, to_bytes(root))
