"""The kit as a partner installs it: the wheel (built from the sdist) in a new venv, run from outside the checkout."""

from __future__ import annotations

import json
import os
import re
import shutil
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
from packaging.requirements import Requirement
from packaging.version import Version

from tests.helpers import KEY_A, KEY_B, ROOT, MockProcess, spawn_mock

pytestmark = pytest.mark.wheel

DATA = [
    "openapi/partner-api.yaml",
    "openapi/admin-api.yaml",
    "fixtures/default.yaml",
    "fixtures/carts/guide-mixed-cart.json",
    "fixtures/carts/unmapped-cart.json",
    "docs/mock.md",
    "docs/certification.md",
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
        drop = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTEST_ADDOPTS", "PYTHONWARNINGS")
        env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith(("JAFARSHOP_", "PYTEST_"))}
        return {**env, **extra}


def _run(command: list[str], *, cwd: Path, timeout: float, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{' '.join(command)} exited {result.returncode}:\n{result.stdout[-4000:]}"
    return result.stdout


def _source_copy(target: Path) -> Path:
    """The checkout's files as git sees them (committed or not, less what .gitignore keeps out) copied to `target`:
    building there leaves no build/ or egg-info in the checkout, and no stale build/ of the checkout leaks in."""
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip(
            f"the wheel is built from the files git lists, and {ROOT} is not a git checkout (or git is missing)"
        )
    listed = _run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, timeout=60)
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the work tree is listed too
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def _new_venv(path: Path, *requirements: str, cwd: Path) -> Path:
    """A venv at `path` with `requirements` installed at the newest versions their ranges allow (what a partner's
    `pip install` gets today), by this interpreter's pip."""
    # No pip inside the venv (ensurepip costs seconds): this pip installs into it with --python.
    _run([sys.executable, "-m", "venv", "--without-pip", str(path)], cwd=cwd, timeout=120)
    # --no-compile: byte-compiling all of ~80 packages up front costs more than the modules the commands import.
    pip = [sys.executable, "-m", "pip", "--python", str(path / "bin" / "python"), "install", "--quiet", "--no-compile"]
    _run([*pip, "--upgrade", "--upgrade-strategy", "eager", *requirements], cwd=cwd, timeout=900)
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sdist and, from it, the wheel (`python -m build`), built from a copy of the checkout in a temporary
    folder; (sdist, wheel)."""
    work = tmp_path_factory.mktemp("build")
    source, dist = _source_copy(work / "source"), work / "dist"
    # build's own isolated environments fetch setuptools; the wheel is built from the unpacked sdist, so a file
    # MANIFEST.in forgets fails here rather than on a partner's machine.
    _run([sys.executable, "-m", "build", "--outdir", str(dist), str(source)], cwd=work, timeout=600)
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    return sdist, wheel


@pytest.fixture(scope="module")
def installed(built: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel with the `contract` extra, pip-installed into a venv of its own: the newest version of each
    requirement its range allows (test_a_partner_project_with_pytest_8_... installs the lowest)."""
    sdist, wheel = built
    work = tmp_path_factory.mktemp("wheel")
    outside = work / "outside"
    outside.mkdir()
    venv = _new_venv(work / "venv", f"{wheel}[contract]", cwd=work)
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


# A partner's own project: its client, its tests using the fixture, its pytest config with `filterwarnings = error`.
PARTNER_CONFIG = """\
[tool.pytest.ini_options]
filterwarnings = ["error"]
"""
PARTNER_TESTS = """\
import json
import time
import urllib.error
import urllib.request
import uuid

CART = {
    "partner_order_id": "ORDER-1",
    "items": [{"sku": "JDTQ1834", "title": "JafarShop Product", "price": 29.99, "quantity": 2}],
    "customer": {"name": "John Doe"},
    "shipping": {"street": "123 Main Street", "city": "Amman", "postal_code": "11118", "country": "JO"},
    "totals": {"subtotal": 59.98, "tax": 4.80, "shipping": 5.00, "total": 69.78},
}


def call(url, api_key, body=None, key=None):
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    data = None if body is None else json.dumps(body).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=10) as answer:
        return json.loads(answer.read())


def submit(base_url, api_key, cart):
    key = str(uuid.uuid4())
    for attempt in range(3):
        try:
            return call(f"{base_url}/carts/submit", api_key, cart, key)["supplier_order_id"]
        except urllib.error.HTTPError as error:
            error.close()
            if error.code not in (500, 503) or attempt == 2:
                raise
            time.sleep(0.01 * 2**attempt)


def test_a_503_is_retried_and_the_order_is_shipped(jafarshop_mock):
    jafarshop_mock.add_fault(count=1, status=503, operation="submitCart")
    order_id = submit(jafarshop_mock.base_url, jafarshop_mock.api_key, CART)
    assert [entry["status"] for entry in reversed(jafarshop_mock.journal())] == [503, 200]
    jafarshop_mock.confirm(order_id)
    jafarshop_mock.ship(order_id, carrier="Aramex", tracking_number="34567890123")
    order = call(f"{jafarshop_mock.base_url}/orders/{order_id}", jafarshop_mock.api_key)
    assert order["status"] == "SHIPPED" and order["tracking"]["tracking_number"] == "34567890123"


def test_the_next_test_starts_from_the_fixtures(jafarshop_mock):
    assert jafarshop_mock.orders() == [] and jafarshop_mock.journal() == []
"""


VERSIONS = (
    "import importlib.metadata as m; print(', '.join(f'{d} {m.version(d)}' for d in "
    "('connexion', 'starlette', 'jsonschema', 'httpx', 'granian', 'PyYAML', 'pytest')))"
)


# The oldest pytest the README promises the fixture runs on.
OLDEST_PYTEST = "7.0.1"


def _lowest_allowed(wheel: Path, into: Path, extra: str = "") -> Path:
    """A pip constraints file pinning each base requirement of the wheel (and each of `extra`) to the lowest version
    its range allows."""
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [name for name in archive.namelist() if name.endswith(".dist-info/METADATA")]
        metadata = archive.read(name).decode()
    pins = []
    for line in metadata.splitlines():
        if line.startswith("Requires-Dist: "):
            requirement = Requirement(line.removeprefix("Requires-Dist: "))
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": extra}):
                continue
            floors = [spec.version for spec in requirement.specifier if spec.operator in (">=", "==", "~=")]
            assert len(floors) == 1, f"{requirement}: give it one lower bound, so that the test can install it"
            pins.append(f"{requirement.name}=={floors[0]}")
    into.write_text("\n".join(pins) + "\n")
    return into


@pytest.mark.parametrize("bounds", ["newest", "lowest"])
def test_a_partner_project_with_filterwarnings_error_uses_the_fixture_from_the_base_install(
    bounds: str, built: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The base install (no extra) at the newest versions its ranges allow, or the lowest of its own requirements,
    then the one command the README gives a project without pytest (or the oldest pytest it promises); the project's
    tests pass under `-W error` and its own `filterwarnings = error`."""
    work = tmp_path_factory.mktemp(f"partner-{bounds}")
    sdist, wheel = built
    if bounds == "newest":
        venv, pytest_requirement = _new_venv(work / "venv", str(wheel), cwd=work), "pytest"
    else:
        constraints = _lowest_allowed(wheel, work / "constraints.txt")
        venv = _new_venv(work / "venv", str(wheel), "-c", str(constraints), cwd=work)
        pytest_requirement = f"pytest=={OLDEST_PYTEST}"
    project = work / "project"
    (project / "tests").mkdir(parents=True)
    (project / "pyproject.toml").write_text(PARTNER_CONFIG)
    (project / "tests" / "test_client.py").write_text(PARTNER_TESTS)
    python = str(venv / "bin" / "python")
    env = Installed(sdist, wheel, venv, project).environment()

    # The base install brings the plugin but not pytest, and says so to whoever imports it without pytest.
    no_pytest = subprocess.run([python, "-c", "import mockserver.pytest_plugin"], cwd=project, env=env,
                               capture_output=True, text=True, timeout=60)  # fmt: skip
    assert no_pytest.returncode == 1 and "pip install pytest" in no_pytest.stderr, no_pytest.stderr
    pip = [sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-compile", "--upgrade"]
    _run([*pip, pytest_requirement], cwd=work, timeout=300)  # the README's `pip install pytest`

    versions = _run([python, "-c", VERSIONS], cwd=project, env=env, timeout=60)  # what this run tested, for its report
    output = _run([python, "-m", "pytest", "-p", "no:cacheprovider", "-W", "error", "-rA"],
                  cwd=project, env=env, timeout=300)  # fmt: skip
    assert re.search(r"\b2 passed in ", output) and "warning" not in output.lower(), versions + output[-3000:]
    print(f"{bounds}: {versions}")

    wrong = subprocess.run([python, "-m", "pytest", "-p", "no:cacheprovider", "--jafarshop-fixtures", "nope.yaml"],
                           cwd=project, env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert wrong.returncode == 4, wrong.stdout + wrong.stderr
    message = wrong.stderr.strip()
    assert message.startswith("ERROR: --jafarshop-fixtures nope.yaml: no such file; give the path of a fixtures file")
    # The doc it names is the installed kit's own copy, there to read.
    pointer = re.search(r"\(format: (/\S+/mock\.md)#the-fixtures-file\)$", message)
    assert pointer is not None, message
    assert Path(pointer[1]).is_file() and Path(pointer[1]).is_relative_to(venv), message
    assert "## The fixtures file" in Path(pointer[1]).read_text(encoding="utf-8")


# The lowest pytest the `contract` extra allows (schemathesis 4.32 needs 8.4), as a partner's project may have it.
PARTNER_PYTEST = "8.4.0"


def _versions(python: str, names: list[str], cwd: Path) -> dict[str, str]:
    """The installed version of each distribution in `names`, by the venv's own Python."""
    script = "import importlib.metadata as m, json, sys; print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))"
    return dict(json.loads(_run([python, "-c", script, *names], cwd=cwd, timeout=60)))


@pytest.mark.parametrize("bounds", ["newest", "lowest"])
def test_a_partner_project_with_pytest_8_takes_the_contract_extra_and_keeps_its_pytest(
    bounds: str, built: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A project that already has pytest 8.4 runs the README's `pip install '<wheel>[contract]'`: its pytest stays as
    it was, and the suite runs on it. The rest at the newest versions the ranges allow (what pip picks), or at the
    lowest of each (the base's and the extra's ranges, pinned by a constraints file)."""
    work = tmp_path_factory.mktemp(f"partner-pytest8-{bounds}")
    sdist, wheel = built
    venv = _new_venv(work / "venv", f"pytest=={PARTNER_PYTEST}", cwd=work)
    project = work / "project"
    project.mkdir()
    python = str(venv / "bin" / "python")
    installed = Installed(sdist, wheel, venv, project)
    env = installed.environment()
    pip = [sys.executable, "-m", "pip", "--python", python]
    constraints: list[str] = []
    if bounds == "lowest":
        constraints = ["-c", str(_lowest_allowed(wheel, work / "constraints.txt", extra="contract"))]
    # No --upgrade: what a partner types; pip keeps what already satisfies the kit's ranges.
    _run([*pip, "install", "--quiet", "--no-compile", f"{wheel}[contract]", *constraints], cwd=work, timeout=900)
    _run([*pip, "check"], cwd=work, timeout=120)

    versions = _versions(
        python, ["pytest", "pytest-xdist", "httpx", "schemathesis", "hypothesis", "starlette"], project
    )
    assert versions["pytest"] == PARTNER_PYTEST, f"the kit changed the project's pytest: {versions}"
    if bounds == "lowest":
        floors = dict(line.split("==") for line in Path(constraints[1]).read_text().split())
        assert {name: Version(versions[name]) for name in versions} == {
            name: Version(floors[name]) for name in versions
        }
    print(f"{bounds}: {versions}")

    help_text = _run([installed.command("jafarshop-contract"), "--help"], cwd=project, env=env, timeout=60)
    assert help_text.startswith("usage: jafarshop-contract")
    output = _run([installed.command("jafarshop-contract"), "--examples", "2", "--", "-k", "auth"],
                  cwd=project, env=env, timeout=600)  # fmt: skip
    assert "No JAFARSHOP_BASE_URL: started the mock at http://127.0.0.1:" in output
    assert f", pytest-{PARTNER_PYTEST}, " in output, output[:2000]  # the suite ran on the project's pytest
    assert re.search(r"=+ \d+ passed, \d+ deselected in ", output), output[-2000:]
    assert "exit 0 (no contract violation found)" in output, output[-2000:]
