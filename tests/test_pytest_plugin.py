"""The `jafarshop_mock` pytest plugin, run in a partner's test session (pytester)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers import ROOT, pip_target

pytest_plugins = ["pytester"]
EXAMPLE = ROOT / "examples" / "test_partner_client.py"
ASYNCIO_EXAMPLE = ROOT / "examples" / "test_partner_client_asyncio.py"
ANYIO_EXAMPLE = ROOT / "examples" / "test_partner_client_anyio.py"
pytestmark = pytest.mark.live


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    # A subprocess, as a partner's own `pytest` would run: the plugin comes from the installed kit's entry point.
    # `-W error`, as many partner projects have it (`filterwarnings = error`): the fixture must not warn.
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error", *args, timeout=120)


def test_readme_example_client_passes_with_the_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_partner_client=EXAMPLE.read_text(encoding="utf-8"))
    result = _run(pytester)
    result.assert_outcomes(passed=3)


@pytest.fixture(scope="module")
def pytest_asyncio_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pytest-asyncio in a folder of its own, for the async example's run only (the kit's own tests do not load it)."""
    return pip_target(tmp_path_factory.mktemp("pytest-asyncio"), "pytest-asyncio")


def test_the_pytest_asyncio_example_passes_in_strict_mode_with_warnings_as_errors(
    pytester: pytest.Pytester, pytest_asyncio_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = ASYNCIO_EXAMPLE.read_text(encoding="utf-8")
    ini = example.split("[pytest]", 1)[1].split("\n\n", 1)[0]  # the configuration its docstring gives
    pytester.makeini("[pytest]" + textwrap.dedent(ini))
    pytester.makepyfile(test_async_client=example)
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(pytest_asyncio_folder), os.environ.get("PYTHONPATH")]))
    )
    result = _run(pytester, "-p", "no:anyio")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["asyncio: mode=Mode.STRICT, *asyncio_default_fixture_loop_scope=function*"])


def test_the_anyio_example_passes_with_warnings_as_errors(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    pytester.makepyfile(test_anyio_client=ANYIO_EXAMPLE.read_text(encoding="utf-8"))
    _run(pytester).assert_outcomes(passed=1)


def test_readme_shows_the_example_as_it_is_tested() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    body = EXAMPLE.read_text(encoding="utf-8").split('"""', 2)[2].strip()
    assert body in readme


def test_each_test_starts_from_the_fixtures_and_the_handle_drives_the_admin_api(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import json, urllib.request, uuid

        def submit(mock, cart_sku="JDTQ1834"):
            cart = {"partner_order_id": "P-1", "items": [{"sku": cart_sku, "title": "T", "price": 1, "quantity": 1}],
                    "customer": {"name": "N"}, "totals": {"subtotal": 1, "tax": 0, "shipping": 0, "total": 1},
                    "shipping": {"street": "S", "city": "C", "postal_code": "1", "country": "JO"}}
            request = urllib.request.Request(f"{mock.base_url}/carts/submit", data=json.dumps(cart).encode(),
                method="POST", headers={"Authorization": f"Bearer {mock.api_key}",
                "Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())})
            with urllib.request.urlopen(request) as answer:
                return answer.status, answer.read()

        def test_first(jafarshop_mock):
            status, body = submit(jafarshop_mock)
            order_id = json.loads(body)["supplier_order_id"]
            assert jafarshop_mock.confirm(order_id)["status"] == "CONFIRMED"
            assert jafarshop_mock.ship(order_id)["status"] == "SHIPPED"
            jafarshop_mock.map_sku("MY-OWN-1")
            assert submit(jafarshop_mock, "MY-OWN-1")[0] == 200

        def test_second_starts_clean(jafarshop_mock):
            assert jafarshop_mock.orders() == [] and jafarshop_mock.journal() == []
            assert submit(jafarshop_mock, "MY-OWN-1")[0] == 204  # the mapping of test_first is gone
            assert jafarshop_mock.other_api_key != jafarshop_mock.api_key
            assert "JDTQ1834" in jafarshop_mock.mapped_skus
        """
    )
    result = _run(pytester, "-v")
    result.assert_outcomes(passed=2)


TWO_TESTS = "def test_one(jafarshop_mock):\n    pass\n\ndef test_two(jafarshop_mock):\n    pass\n"


def _stopped_once(result: pytest.RunResult, *, exit_code: int, line: str) -> None:
    """The run stopped before any test, with `line` said once and no ERROR per test."""
    assert result.ret == exit_code, result.stdout.str() + result.stderr.str()
    output = result.stdout.lines + result.stderr.lines
    assert [text for text in output if line in text] == [next(text for text in output if line in text)], output
    assert not any("ERROR at setup" in text or "Traceback" in text for text in output), output
    assert not re.search(r"\d+ (passed|failed|errors?)\b", "\n".join(output)), output  # no test ran


def test_a_missing_fixtures_file_stops_the_run_once_naming_the_option(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(TWO_TESTS)
    result = _run(pytester, "--jafarshop-fixtures", "nope.yaml")
    line = "ERROR: --jafarshop-fixtures nope.yaml: no such file"
    _stopped_once(result, exit_code=pytest.ExitCode.USAGE_ERROR, line=line)
    pointer = re.search(r"\(format: (/\S+/mock\.md)#the-fixtures-file\)", result.stderr.str())
    assert pointer is not None and Path(pointer[1]).is_file()  # a path to read, installed or in a checkout
    assert " --fixtures" not in result.stderr.str()  # the mock command's option, not this plugin's


def test_a_bad_fixtures_file_stops_the_run_once_naming_the_field(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(TWO_TESTS)
    (pytester.path / "bad.yaml").write_text("partners: 3\n")
    result = _run(pytester, "--jafarshop-fixtures", "bad.yaml")
    line = "ERROR: --jafarshop-fixtures: bad fixtures: "
    _stopped_once(result, exit_code=pytest.ExitCode.USAGE_ERROR, line=line)
    result.stderr.fnmatch_lines(["*bad fixtures: *bad.yaml: partners: must be a list, not int"])


def test_the_ini_option_is_read_relative_to_the_ini_file(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini("[pytest]\njafarshop_fixtures = data/mine.yaml\n")
    (pytester.path / "data").mkdir()
    (pytester.path / "data" / "mine.yaml").write_text(
        "partners:\n  - {id: p1, name: Mine, api_key: my-key-123}\n"
        "catalogue:\n  - {sku: MINE-1, shopify_variant_id: 7}\n"
    )
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "test_mine.py").write_text(
        "def test_mine(jafarshop_mock):\n"
        "    assert jafarshop_mock.api_keys == {'p1': 'my-key-123'} and jafarshop_mock.mapped_skus == ['MINE-1']\n"
    )
    monkeypatch.chdir(pytester.path / "tests")  # run from a subfolder: the path is the ini file's, not the folder's
    _run(pytester).assert_outcomes(passed=1)
    (pytester.path / "data" / "mine.yaml").unlink()
    result = _run(pytester)
    _stopped_once(result, exit_code=pytest.ExitCode.USAGE_ERROR, line="ERROR: jafarshop_fixtures (in ")
    result.stderr.fnmatch_lines(["*.ini) data/mine.yaml: no such file*"])


def test_a_dependency_missing_stops_the_run_once_with_the_command_to_run(pytester: pytest.Pytester) -> None:
    # As if the kit had been installed with `pip install --no-deps`: granian cannot be imported.
    pytester.makeconftest("import sys\n\nsys.modules['granian'] = None\n")
    pytester.makepyfile(TWO_TESTS)
    result = _run(pytester)
    line = "jafarshop_mock: granian is missing: pip install jafarshop-contract-kit"
    _stopped_once(result, exit_code=pytest.ExitCode.USAGE_ERROR, line=line)


def test_the_plugin_imported_without_pytest_says_what_to_install() -> None:
    # A partner's module importing JafarShopMock for a type hint, in a project that has no pytest.
    code = "import sys; sys.modules['pytest'] = None; import mockserver.pytest_plugin"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "ModuleNotFoundError: the jafarshop_mock fixture runs under pytest: pip install pytest"
    )


def test_a_project_with_filterwarnings_error_gets_no_warning_from_the_fixture(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    pytester.makepyfile(
        """
        import warnings

        def test_the_mock_starts_and_resets_without_a_warning(jafarshop_mock, recwarn):
            jafarshop_mock.add_fault(count=1, status=503)
            jafarshop_mock.reset()

        def test_connexion_is_loaded_and_warnings_are_still_errors(jafarshop_mock):
            import sys
            assert "connexion" in sys.modules
            try:
                warnings.warn("the partner's own warning", DeprecationWarning)
            except DeprecationWarning:
                return
            raise AssertionError("the plugin left a filter that hides the partner's own warnings")
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rw", timeout=120)
    result.assert_outcomes(passed=2)
    assert "warnings summary" not in result.stdout.str()


def test_a_run_with_pytests_default_filters_shows_no_warning_of_the_kits_dependencies(
    pytester: pytest.Pytester,
) -> None:
    # connexion's imports raise 4 (starlette's httpx one, jsonschema's RefResolver and RefResolutionError): none
    # reaches a partner's warnings summary.
    pytester.makepyfile("def test_uses_the_mock(jafarshop_mock):\n    assert jafarshop_mock.orders() == []\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(passed=1, warnings=0)
    assert "warnings summary" not in result.stdout.str()


def test_admin_errors_carry_their_status_and_a_fault_with_a_status_and_a_drop_is_refused(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest
        from mockserver.pytest_plugin import AdminError

        def test_refusals(jafarshop_mock):
            with pytest.raises(AdminError) as refused:
                jafarshop_mock.add_fault(status=503, drop_connection="after-create")
            assert refused.value.status == 422 and refused.value.error == "validation failed"
            assert "either answers a status or drops the connection" in refused.value.details
            assert jafarshop_mock.admin("GET", "/faults") == []
            with pytest.raises(AdminError) as unknown:
                jafarshop_mock.confirm("no-such-order")
            assert unknown.value.status == 404 and "404" in str(unknown.value)

        def test_defaults(jafarshop_mock):
            assert jafarshop_mock.add_fault()["status"] == 500
            assert jafarshop_mock.add_fault(drop_connection="after-create")["drop_connection"] == "after-create"
            assert jafarshop_mock.add_fault(drop_connection=True)["drop_connection"] == "before-create"
        """
    )
    _run(pytester).assert_outcomes(passed=2)
