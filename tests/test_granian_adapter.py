"""The one module that uses granian's internals accepts only the granian versions it was written for, and says what
to install when another one is there."""

from __future__ import annotations

import tomllib

import granian
import pytest
from packaging.requirements import Requirement

from mockserver import create_app
from mockserver.cli import main
from mockserver.granian_adapter import BELOW, LOWEST, REQUIREMENT, GranianVersionError, check_version, version_tuple
from mockserver.server import background
from tests.helpers import ROOT


@pytest.mark.parametrize(
    ("version", "accepted"),
    [
        ("2.8.9", True),
        ("2.8.12", True),
        ("2.8.8", False),
        ("2.7.9", False),
        ("2.9.0", False),
        ("2.9.0rc1", False),
        ("3.0.0", False),
    ],
)
def test_check_version_accepts_only_the_range_it_was_written_for(version: str, accepted: bool) -> None:
    if accepted:
        check_version(version)
    else:
        with pytest.raises(GranianVersionError, match=rf"granian {version} is installed.*pip install 'granian"):
            check_version(version)


def test_the_installed_granian_is_accepted() -> None:
    check_version()


def test_pyproject_requires_the_range_the_adapter_accepts() -> None:
    """Two copies of one range (the adapter refuses at run time what pip should not install), tied here."""
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (declared,) = [Requirement(line) for line in dependencies if Requirement(line).name == "granian"]
    assert declared == Requirement(REQUIREMENT)
    written_for = {spec.operator: version_tuple(spec.version) for spec in declared.specifier}
    assert written_for == {">=": LOWEST, "<": BELOW}


@pytest.mark.live
def test_another_granian_stops_the_mock_before_it_serves(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(granian, "__version__", "2.9.0")
    with pytest.raises(GranianVersionError, match=r"granian 2\.9\.0 is installed"), background(create_app()):
        pass
    assert main(["--port", "0"]) == 2
    out, err = capsys.readouterr()
    assert out == "", "no banner for a mock that cannot serve"
    assert err.startswith("mockserver: granian 2.9.0 is installed") and REQUIREMENT in err
