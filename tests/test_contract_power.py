"""The contract suite's own power: it passes against the mock and against every alternative but correct target, and
fails against every deliberately broken target."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from mockserver import create_app
from mockserver.model.fixtures import load_fixtures
from tests.broken_targets import ALTERNATIVES, DEFECTS, EVERY_ALTERNATIVE, Alternative, Defect
from tests.helpers import ADMIN_TOKEN, KEY_A, KEY_B, ROOT, serve

pytestmark = [pytest.mark.live, pytest.mark.slow]
# Enough to exercise every property; the default budget is run by `make contract` and by the mock test below.
QUICK_EXAMPLES = "5"
# Broken targets run with a fixed seed: a defect is caught, or not, the same way on every run.
SEED = "--hypothesis-seed=20261127"


BACKOFF_TEST = "test_retry_at_the_end_of_the_guides_backoff_replays_the_same_order"


# The schemathesis fuzz (about 20 s of a run): it runs against the mock, the alternatives and the defects that name
# it; a defect of one hand-written property (`only`) is proven against every other hand-written property.
FUZZ_TESTS = ("test_api_conforms_to_the_spec", "TestStatefulWorkflow")


def only_tests(names: tuple[str, ...] = (), *, keep: tuple[str, ...] = (), without_fuzz: bool = False) -> list[str]:
    """pytest arguments that select the contract tests whose names contain any of `names` (every test when none),
    less the 7 s backoff test unless it is named or kept (it runs against the mock and against the defect that
    breaks it), and with `without_fuzz` less the schemathesis tests unless they are named or kept."""
    slow = (BACKOFF_TEST, *FUZZ_TESTS[: 2 if without_fuzz else 0])
    left_out = [test for test in slow if not _named(test, (*names, *keep))]
    chosen = f"({' or '.join(names)})" if names else ""
    excluded = " and ".join(f"not {test}" for test in left_out)
    expression = " and ".join(part for part in (chosen, excluded) if part)
    return ["-k", expression] if expression else []


def _named(test: str, names: tuple[str, ...]) -> bool:
    return any(name in test or test in name for name in names)


def run_contract(base_url: str, tmp_path: Path, *args: str, other_api_key: str = KEY_B) -> tuple[int, list[str], str]:
    """Run `python -m contract_tests` against base_url; return its exit code, the failed tests and the output."""
    report = tmp_path / "contract-junit.xml"
    skus = ",".join(entry.sku for entry in load_fixtures().catalogue)
    env = {
        **os.environ,
        "JAFARSHOP_BASE_URL": base_url,
        "JAFARSHOP_API_KEY": KEY_A,
        "JAFARSHOP_OTHER_API_KEY": other_api_key,
        "JAFARSHOP_MAPPED_SKUS": skus,
        "JAFARSHOP_UNMAPPED_SKU": "YOUR-SKU-123",
        # Every target here is the mock, or wraps it and leaves its admin API alone: the lifecycle tests run.
        "JAFARSHOP_ADMIN_TOKEN": ADMIN_TOKEN,
    }
    result = subprocess.run(
        [sys.executable, "-m", "contract_tests", "--report", str(report), *args],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=600,
    )  # fmt: skip
    failed = []
    if report.exists():
        for case in ElementTree.parse(report).iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failed.append(f"{case.get('classname')}::{case.get('name')}")
    return result.returncode, failed, result.stdout + result.stderr


def test_contract_suite_passes_against_the_mock_within_its_default_budget(tmp_path: Path) -> None:
    with serve(create_app()) as url:
        code, failed, output = run_contract(url, tmp_path)
    assert (code, failed) == (0, []), output[-5000:]
    assert " passed" in output and "orders created on the target:" in output


@pytest.mark.parametrize("defect", DEFECTS, ids=[defect.name for defect in DEFECTS])
def test_contract_suite_catches_broken_target(defect: Defect, tmp_path: Path) -> None:
    """The whole suite already passes against the mock (above): a defect runs the tests that must catch it, unless it
    is `only`, which must also leave every other hand-written test passing and so runs them all (the backoff test and
    the schemathesis fuzz only if named)."""
    selection = only_tests(keep=defect.caught_by, without_fuzz=True) if defect.only else only_tests(defect.caught_by)
    with serve(defect.build()) as url:
        code, failed, output = run_contract(url, tmp_path, "--examples", QUICK_EXAMPLES, "--", SEED, *selection)
    assert code == 1, f"{defect.name} ({defect.breaks}) was not caught:\n{output[-3000:]}"
    assert KEY_A not in output and KEY_B not in output, "a failure report printed an API key in full"
    caught = [name for name in failed if any(expected in name for expected in defect.caught_by)]
    assert caught, f"{defect.name}: expected a failure in {defect.caught_by}, got {failed}"
    if defect.only:
        others = [name for name in failed if name not in caught]
        assert not others, f"{defect.name} breaks one promise, yet tests outside {defect.caught_by} failed: {others}"
    print(f"{defect.name}: caught by {len(failed)} tests: {failed}")


@pytest.mark.parametrize(
    "alternative", [*ALTERNATIVES, EVERY_ALTERNATIVE], ids=[a.name for a in [*ALTERNATIVES, EVERY_ALTERNATIVE]]
)
def test_contract_suite_passes_an_alternative_but_correct_target(alternative: Alternative, tmp_path: Path) -> None:
    """A target that decides one of the guide's silences otherwise than the mock is still correct: no failure in the
    tests its choice touches, nor in any test when every alternative is served at once."""
    with serve(alternative.build()) as url:
        code, failed, output = run_contract(url, tmp_path, "--examples", QUICK_EXAMPLES, "--", SEED,
                                            *only_tests(alternative.touches))  # fmt: skip
    assert (code, failed) == (0, []), f"{alternative.name} ({alternative.decides}) failed:\n{output[-5000:]}"
    assert " passed" in output, output[-3000:]


def test_order_cap_bounds_what_the_run_creates_and_the_count_is_true(tmp_path: Path) -> None:
    from mockserver import MockState

    state = MockState(load_fixtures())
    with serve(create_app(state)) as url:
        code, failed, output = run_contract(
            url, tmp_path, "--examples", QUICK_EXAMPLES, "--max-orders", "3", "--", *only_tests()
        )
    assert (code, failed) == (0, []), output[-3000:]
    assert 1 <= len(state.orders) <= 3
    assert f"orders created on the target: {len(state.orders)} (cap 3)" in output
    assert "JAFARSHOP_MAX_ORDERS=3 reached" in output or " skipped" in output


def test_parallel_workers_share_the_order_cap_and_the_counts_add_up(tmp_path: Path) -> None:
    from mockserver import MockState

    state = MockState(load_fixtures())
    with serve(create_app(state)) as url:
        code, failed, output = run_contract(
            url, tmp_path, "--examples", QUICK_EXAMPLES, "--max-orders", "5", "--workers", "2", "--", *only_tests()
        )
    assert (code, failed) == (0, []), output[-3000:]
    assert "2 workers [" in output  # two xdist workers really ran
    # the plan keeps one order of the cap for a defect's unplanned order (conftest.HEADROOM): 4 or 5, never more
    assert 4 <= len(state.orders) <= 5
    assert f"orders created on the target: {len(state.orders)} (cap 5)" in output


def test_without_a_second_partner_cross_partner_tests_skip_and_say_why(tmp_path: Path) -> None:
    with serve(create_app()) as url:
        code, _, output = run_contract(url, tmp_path, "--", "-rs", "-k", "partner", other_api_key="")
    assert code == 0, output[-3000:]
    skips = [line for line in output.splitlines() if line.startswith("SKIPPED")]
    # another partner's order, one key used by two partners, a spelling of another partner's order id, and the model
    # phase's two (the concurrent workload of both partners, hypothesis' sequences of both partners)
    assert len(skips) == 5 and all("set JAFARSHOP_OTHER_API_KEY" in line for line in skips), skips
