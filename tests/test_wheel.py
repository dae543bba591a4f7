"""The kit as a partner installs it: the wheel (built from the sdist) in a new venv, run from outside the checkout."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import KEY_A, KEY_B, ROOT, MockProcess, spawn_mock

pytestmark = pytest.mark.wheel

DATA = [
    "openapi/partner-api.yaml",
    "openapi/admin-api.yaml",
    "fixtures/default.yaml",
    "fixtures/carts/guide-mixed-cart.json",
    "fixtures/carts/unmapped-cart.json",
]


@dataclass(frozen=True)
class Installed:
    sdist: Path
    wheel: Path
    venv: Path
    outside: Path  # an empty working folder, not under the checkout

    def command(self, name: str) -> str:
        return str(self.venv / "bin" / name)

    def environment(self, **extra: str) -> dict[str, str]:
        """The caller's environment without anything that would point back at the checkout or at a target."""
        drop = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTEST_ADDOPTS")
        env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("JAFARSHOP_")}
        return {**env, **extra}


def _run(command: list[str], *, cwd: Path, timeout: float, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{' '.join(command)} exited {result.returncode}:\n{result.stdout[-4000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """Build the sdist and, from it, the wheel (`python -m build`), then pip-install the wheel with the `contract`
    extra from PyPI into a venv of its own."""
    work = tmp_path_factory.mktemp("wheel")
    dist, venv, outside = work / "dist", work / "venv", work / "outside"
    outside.mkdir()
    # build's own isolated environments fetch setuptools; the wheel is built from the unpacked sdist, so a file
    # MANIFEST.in forgets fails here rather than on a partner's machine.
    _run([sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)], cwd=work, timeout=600)
    # No pip inside the venv (ensurepip costs seconds): this pip installs into it with --python.
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=work, timeout=120)
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    # --no-compile: byte-compiling all of ~80 packages up front costs more than the modules the commands import.
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet", "--no-compile"]
    _run([*pip, f"{wheel}[contract]"], cwd=work, timeout=900)
    return Installed(sdist, wheel, venv, outside)


def test_the_wheel_carries_the_specs_fixtures_carts_and_the_suites_pytest_ini(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
        for path in DATA:
            packaged = f"jafarshop_kit/_data/{path}"
            assert packaged in names
            assert wheel.read(packaged) == (ROOT / path).read_bytes(), f"{packaged} is not a copy of {path}"
        assert "contract_tests/pytest.ini" in names
        # The console's files, served by the installed mock.
        for page in ("index.html", "style.css", "app.js", "api.js", "journal.js", "views.js"):
            packaged = f"mockserver/console/static/{page}"
            assert wheel.read(packaged) == (ROOT / packaged).read_bytes(), f"{packaged} is not in the wheel"
        (entry_points,) = [name for name in names if name.endswith(".dist-info/entry_points.txt")]
        scripts = wheel.read(entry_points).decode()
    assert "jafarshop-mock = mockserver.cli:main" in scripts
    assert "jafarshop-contract = contract_tests.runner:main" in scripts
    assert "jafarshop-certify = certify.cli:run" in scripts
    with tarfile.open(installed.sdist) as sdist:
        members = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {*DATA, "setup.py", "MANIFEST.in", "contract_tests/pytest.ini"} <= members


def test_the_commands_answer_help_from_any_folder(installed: Installed) -> None:
    for name in ("jafarshop-mock", "jafarshop-certify", "jafarshop-contract"):
        text = _run([installed.command(name), "--help"], cwd=installed.outside, env=installed.environment(), timeout=60)
        assert text.startswith("usage: ")
    assert "usage: jafarshop-contract" in text


@pytest.fixture
def installed_mock(installed: Installed) -> Iterator[MockProcess]:
    """`jafarshop-mock --port 0` started from the outside folder; the URL read from its banner."""
    command = [installed.command("jafarshop-mock")]
    with spawn_mock(
        "--log-level", "warning", command=command, cwd=installed.outside, env=installed.environment()
    ) as mock:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", mock.base_url), mock.banner
        yield mock


def test_the_installed_mock_serves_the_guides_cart_and_passes_the_installed_suite(
    installed: Installed, installed_mock: MockProcess
) -> None:
    # The cart as the package ships it, found the way an installed user's code would find it.
    where = _run(
        [installed.command("python"), "-c", "from jafarshop_kit.resources import CARTS_DIR; print(CARTS_DIR)"],
        cwd=installed.outside,
        env=installed.environment(),
        timeout=60,
    ).strip()
    carts = Path(where)
    assert carts.is_relative_to(installed.venv), f"the installed kit reads {carts}, not its own copy"
    request = urllib.request.Request(
        f"{installed_mock.base_url}/carts/submit",
        data=(carts / "guide-mixed-cart.json").read_bytes(),
        method="POST",
        headers={
            "Authorization": f"Bearer {KEY_A}",
            "Content-Type": "application/json",
            "Idempotency-Key": str(uuid.uuid4()),
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert json.load(response)["supplier_order_id"]
    assert f"fixtures {installed.venv}" in installed_mock.banner, installed_mock.banner
    environment = installed.environment(
        JAFARSHOP_BASE_URL=installed_mock.base_url,
        JAFARSHOP_API_KEY=KEY_A,
        JAFARSHOP_OTHER_API_KEY=KEY_B,
        JAFARSHOP_MAPPED_SKUS="JDTQ1834,JDTQ2001",
        JAFARSHOP_EXAMPLES="3",
    )
    output = _run([installed.command("jafarshop-contract")], cwd=installed.outside, env=environment, timeout=600)
    assert re.search(r"\d+ passed", output), output[-2000:]
    assert (installed.outside / "reports" / "contract-junit.xml").is_file()


def test_the_installed_suite_starts_its_own_mock_without_a_target(installed: Installed) -> None:
    output = _run(
        [installed.command("jafarshop-contract"), "--examples", "2", "--", "-k", "auth"],
        cwd=installed.outside,
        env=installed.environment(),
        timeout=600,
    )
    assert "No JAFARSHOP_BASE_URL: started the mock at http://127.0.0.1:" in output
    assert f"with {installed.venv}" in output  # the packaged default fixtures
    assert re.search(r"\d+ passed", output), output[-2000:]


def test_the_installed_certify_runs_a_client_from_any_folder(installed: Installed) -> None:
    """A one-order scenario on a fast clock: it runs, grades, writes its reports, and says what is not exercised."""
    client = [sys.executable, str(ROOT / "tests" / "certify_clients" / "guide_client.py")]
    command = [installed.command("jafarshop-certify"), "--time-scale", "3600", "--scenario", "ok", "--", *client]
    result = subprocess.run(command, cwd=installed.outside, env=installed.environment(), capture_output=True,
                            text=True, timeout=120)  # fmt: skip
    assert result.returncode == 3, result.stdout + result.stderr  # one order: idempotency-key-unique not exercised
    assert "idempotency-key-unique" in result.stdout and "not exercised" in result.stdout
    scorecard = json.loads((installed.outside / "reports" / "certification.json").read_text())
    assert scorecard["result"]["exit_code"] == 3
