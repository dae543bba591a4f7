"""jafarshop-certify's command line (certify/cli.py): its subcommands, their help and its usage errors; no run"""

from __future__ import annotations

import subprocess
import sys

import pytest

from certify.cli import SUBCOMMANDS, main, parser
from graders.report import USAGE
from tests.helpers import ROOT

ATTACH = ["--attach", "http://127.0.0.1:9"]


@pytest.mark.parametrize("name", list(SUBCOMMANDS))
def test_each_subcommand_has_its_own_help(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([name, "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith(f"usage: jafarshop-certify {name} --attach URL")
    assert SUBCOMMANDS[name].split()[0] in text and "--admin-token T" in text
    assert ("--reports DIR" in text) == (name == "report") and "--time-scale" not in text  # only what it reads


def test_the_main_help_lists_the_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert all(f"{name} {' '.join(summary.split())}" in text for name, summary in SUBCOMMANDS.items())
    assert "-- COMMAND [ARGS...]" in text and "--time-scale N" in text


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["frobnicate"], "no such subcommand: 'frobnicate'"),
        (["python", "my_client.py"], "a client command goes after --"),
        (["report", "--time-scale", "3", *ATTACH], "unrecognized arguments: --time-scale 3"),
        (["--time-scale", "fast", "--", "true"], "argument --time-scale: invalid float value: 'fast'"),
    ],
)
def test_a_command_line_argparse_refuses_is_one_line_and_exit_2(
    args: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith("jafarshop-certify: ") and says in line and line.endswith("--help)")


def test_an_unknown_subcommand_is_one_line_and_exit_2_from_the_command() -> None:
    ran = subprocess.run([sys.executable, "-m", "certify", "frobnicate"], capture_output=True, text=True, cwd=ROOT,
                         timeout=60)  # fmt: skip
    assert ran.returncode == USAGE and ran.stdout == ""
    assert len(ran.stderr.splitlines()) == 1 and "no such subcommand: 'frobnicate'" in ran.stderr


@pytest.mark.parametrize("args", [["report", *ATTACH], [*ATTACH, "report"]])
def test_a_subcommands_options_may_come_before_or_after_it(args: list[str]) -> None:
    options = parser().parse_args(args)
    assert (options.action, options.attach, options.reports, options.lenient) == ("report", ATTACH[1], "reports", False)
    assert options.time_scale == 60  # the run's own options keep their defaults


def test_a_run_has_no_subcommand() -> None:
    options = parser().parse_args(["--lenient", *ATTACH])
    assert options.action is None and options.lenient and options.attach == ATTACH[1]
