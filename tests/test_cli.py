"""`python -m mockserver` (`jafarshop-mock`): help, bad fixtures, a real start and stop, no API key in any output,
and no start on an address other machines can reach with the public demo admin token."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from mockserver.cli import AdminToken, is_loopback, refusal
from mockserver.model.fixtures import ADMIN_TOKEN_RULE, FixtureError, parse_fixtures
from tests.helpers import KEY_A, KEY_B, ROOT, load_cart, spawn_mock

pytestmark = pytest.mark.live
# Every interface (0.0.0.0, ::, "") and 192.0.2.10 (TEST-NET-1: never this machine's, refused before any bind).
REFUSED_HOSTS = ["0.0.0.0", "::", "192.0.2.10", ""]


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without any JAFARSHOP_MOCK_* setting of the person running the tests, plus `extra`."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("JAFARSHOP_MOCK_")}, **extra}


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockserver", *args], capture_output=True, text=True, timeout=30, cwd=ROOT,
        env=env or clean_env(),
    )  # fmt: skip


def test_help_documents_every_option() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for option in ["--host", "--port", "--fixtures", "--log-level", "--admin-token", "--journal-size", "--max-orders",
                   "--max-idempotency-keys", "--idempotency-ttl", "--allow-demo-admin-token",
                   "JAFARSHOP_MOCK_ALLOW_DEMO_ADMIN_TOKEN", "127.0.0.1", "8080", "/v1/ui/", "/__admin",
                   "/__admin/health"]:  # fmt: skip
        assert option in result.stdout
    assert result.stdout.startswith("usage: jafarshop-mock ")


def test_bad_fixtures_stop_start_up_with_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("partners:\n  - {id: a, name: A}\ncatalogue: []\n")
    result = run_cli("--fixtures", str(bad))
    assert result.returncode == 2
    assert f"{bad}: partners[0].api_key: missing" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("variable", "option"), [("JAFARSHOP_MOCK_PORT", "--port"), ("JAFARSHOP_MOCK_MAX_ORDERS", "--max-orders")]
)
def test_a_bad_environment_variable_is_a_usage_error_not_a_traceback(variable: str, option: str) -> None:
    result = run_cli(env=clean_env(**{variable: "lots"}))
    assert result.returncode == 2
    assert f"{variable}='lots': must be a whole number" in result.stderr and "Traceback" not in result.stderr


# Each: one line on stderr naming the option or variable and what it allows, exit 2, nothing bound or printed.
BAD_SETTINGS = {
    "port too large": (["--port", "99999"], {}, "--port '99999'", "0 to 65535"),
    "port negative": (["--port", "-1"], {}, "--port '-1'", "0 to 65535"),
    "port env not a number": ([], {"JAFARSHOP_MOCK_PORT": "xyz"}, "JAFARSHOP_MOCK_PORT='xyz'", "0 to 65535"),
    "port env too large": ([], {"JAFARSHOP_MOCK_PORT": "70000"}, "JAFARSHOP_MOCK_PORT='70000'", "0 to 65535"),
    "log level env": ([], {"JAFARSHOP_MOCK_LOG_LEVEL": "loud"}, "JAFARSHOP_MOCK_LOG_LEVEL='loud'", "debug"),
    "log level flag": (["--log-level", "loud"], {}, "--log-level 'loud'", "critical, error, warning, info, debug"),
    "host not an address": (["--host", "999.1.1.1"], {}, "--host '999.1.1.1'", "an IP address or a host name"),
    "host env bad": ([], {"JAFARSHOP_MOCK_HOST": "a b"}, "JAFARSHOP_MOCK_HOST='a b'", "an IP address or a host name"),
    "ttl env not finite": ([], {"JAFARSHOP_MOCK_IDEMPOTENCY_TTL": "nan"}, "JAFARSHOP_MOCK_IDEMPOTENCY_TTL", "than 0"),
}


@pytest.mark.parametrize("name", list(BAD_SETTINGS))
def test_a_bad_setting_is_one_line_naming_it_and_what_is_allowed(name: str) -> None:
    args, env, named, allowed = BAD_SETTINGS[name]
    result = run_cli(*args, env=clean_env(**env))
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""  # no banner: nothing bound
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert named in lines[0] and allowed in lines[0]
    assert "Traceback" not in result.stderr and "choose another --port" not in result.stderr


def test_missing_fixtures_file_is_named(tmp_path: Path) -> None:
    result = run_cli("--fixtures", str(tmp_path / "absent.yaml"))
    assert result.returncode == 2 and "absent.yaml: no such file" in result.stderr


def test_an_admin_token_given_on_the_command_line_is_masked_in_the_banner() -> None:
    with spawn_mock("--admin-token", "s3cret-admin-token-42", env=clean_env()) as mock:
        banner = mock.banner
    assert "/__admin" in banner and "*n-42 (from --admin-token)" in banner and "s3cret-admin-token-42" not in banner
    assert "local only" in banner


# --- issue 13: safe when the mock leaves the laptop -------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LocalHost"])
def test_loopback_addresses(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", [*REFUSED_HOSTS, "[::]", "10.0.0.1", "fe80::1", "nosuchhost.invalid"])
def test_addresses_other_machines_can_reach(host: str) -> None:
    assert not is_loopback(host)


@pytest.mark.parametrize("host", REFUSED_HOSTS)
def test_a_reachable_address_with_the_demo_admin_token_stops_start_up_with_one_line_saying_how_to_go_on(
    host: str,
) -> None:
    started_at = time.monotonic()
    result = run_cli("--host", host, "--port", "0")
    assert result.returncode == 2
    assert result.stdout == ""  # no banner: no server started
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    for needed in ["demo admin token", "--admin-token", "JAFARSHOP_MOCK_ADMIN_TOKEN", "--allow-demo-admin-token"]:
        assert needed in lines[0]
    assert "Traceback" not in result.stderr
    assert time.monotonic() - started_at < 10


@pytest.mark.parametrize(
    "args",
    [
        ["--admin-token", "demo-admin-token"],  # given explicitly, it is still the public one
        [],  # a fixtures file without admin_token: the demo default
    ],
    ids=["explicit-demo-token", "fixtures-without-token"],
)
def test_the_demo_token_from_anywhere_is_refused_on_a_reachable_address(tmp_path: Path, args: list[str]) -> None:
    fixtures = tmp_path / "no-token.yaml"
    fixtures.write_text((ROOT / "fixtures" / "default.yaml").read_text().replace("admin_token:", "# admin_token:"))
    result = run_cli("--host", "0.0.0.0", "--port", "0", "--fixtures", str(fixtures), *args)
    assert result.returncode == 2 and result.stdout == "" and len(result.stderr.splitlines()) == 1


def test_the_allow_flag_starts_on_every_interface_and_the_banner_says_so() -> None:
    with spawn_mock("--host", "0.0.0.0", "--allow-demo-admin-token", env=clean_env()) as mock:
        banner = mock.banner
        match = re.search(r"reachable from other machines on 0\.0\.0\.0:(\d+)", banner)
        assert match, banner
        port = int(match.group(1))
        assert port != 0 and "public demo admin token" in match.string
        assert "token: demo-admin-token (the public demo default)" in banner
        assert "local only" not in banner
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/__admin/health", timeout=5) as answer:
            assert answer.status == 200
        assert mock.process.poll() is None


def test_the_allow_flag_can_come_from_the_environment() -> None:
    env = clean_env(JAFARSHOP_MOCK_ALLOW_DEMO_ADMIN_TOKEN="1", JAFARSHOP_MOCK_HOST="0.0.0.0")
    with spawn_mock(env=env) as mock:
        assert "reachable from other machines on 0.0.0.0:" in mock.banner


@pytest.mark.parametrize("source", ["option", "environment", "fixtures"])
def test_an_admin_token_of_ones_own_opens_a_reachable_address_and_the_banner_names_its_source(
    tmp_path: Path, source: str
) -> None:
    token = "not-the-demo-token-7"
    fixtures = tmp_path / "own-token.yaml"
    fixtures.write_text((ROOT / "fixtures" / "default.yaml").read_text().replace("demo-admin-token", token))
    args, env, shown = {
        "option": (["--admin-token", token], clean_env(), "*en-7 (from --admin-token)"),
        "environment": ([], clean_env(JAFARSHOP_MOCK_ADMIN_TOKEN=token), "*en-7 (from the environment, JAFARSHOP_"),
        "fixtures": (["--fixtures", str(fixtures)], clean_env(), f"token: {token} (from the fixtures file)"),
    }[source]
    with spawn_mock("--host", "0.0.0.0", *args, env=env) as mock:
        banner = mock.banner
        assert re.search(r"reachable from other machines on 0\.0\.0\.0:\d+\n", banner), banner
        assert shown in banner
        if source != "fixtures":
            assert token not in banner


def test_a_too_short_token_in_the_environment_is_named_as_such() -> None:
    result = run_cli("--port", "0", env=clean_env(JAFARSHOP_MOCK_ADMIN_TOKEN="short"))
    assert result.returncode == 2
    assert "JAFARSHOP_MOCK_ADMIN_TOKEN must be at least 8 printable ASCII characters without spaces" in result.stderr


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_serves_logs_nothing_secret_and_stops_cleanly(stop_signal: signal.Signals) -> None:
    with spawn_mock("--log-level", "debug", env=clean_env()) as mock:
        banner = mock.banner
        assert "/__admin" in banner and "token: demo-admin-token (the public demo default)" in banner
        assert "local only: 127.0.0.1:" in banner and "reachable" not in banner
        base = mock.base_url
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", base), banner
        cart = load_cart("guide-mixed-cart")
        for key in [KEY_A, KEY_B, "not-a-real-key-12345"]:
            for attempt in range(50):
                request = urllib.request.Request(
                    f"{base}/carts/submit",
                    data=json.dumps(cart).encode(),
                    method="POST",
                    headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
                )
                try:
                    urllib.request.urlopen(request, timeout=5).read()
                    break
                except urllib.error.HTTPError as error:
                    assert error.code == 401 and key.startswith("not-")
                    break
                except urllib.error.URLError:
                    time.sleep(0.1)  # not listening yet
                assert attempt < 49
        started = time.monotonic()
        output = mock.stop(stop_signal)
        stop_seconds = time.monotonic() - started
    everything = banner + output
    assert "POST /v1/carts/submit" in everything  # the access log is on: we did look at real log output
    for key in [KEY_A, KEY_B, "not-a-real-key-12345"]:
        assert key not in everything
    assert mock.process.returncode == 0
    assert "JafarShop mock: stopped" in output and "Traceback" not in output
    assert stop_seconds < 1.0  # issue 5: within a second (measured about 0.2 s)


@pytest.mark.parametrize("token", ["short", "has a space", "t\u00f6ken-not-ascii", "tab\there-too", "x" * 8])
@pytest.mark.parametrize("source", ["--admin-token", "JAFARSHOP_MOCK_ADMIN_TOKEN"])
def test_a_given_admin_token_follows_the_fixtures_rule(token: str, source: str) -> None:
    """One rule for an admin token, wherever it comes from: the command refuses what the fixtures file refuses."""
    data = {"partners": [{"id": "p", "name": "P", "api_key": "key-p"}], "catalogue": [], "admin_token": token}
    try:
        parse_fixtures(data)
        fixtures_refuse = False
    except FixtureError as error:
        fixtures_refuse = ADMIN_TOKEN_RULE in str(error)
    said = refusal(AdminToken(token, source), "127.0.0.1", local=True, allow_demo=False)
    assert (said == f"{source} {ADMIN_TOKEN_RULE}") is fixtures_refuse
    assert fixtures_refuse is (token != "x" * 8)
