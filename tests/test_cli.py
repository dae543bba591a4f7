"""`python -m mockserver`: help, bad fixtures, a real start and stop, and no API key in any output."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import KEY_A, KEY_B, ROOT

pytestmark = pytest.mark.live


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockserver", *args], capture_output=True, text=True, timeout=30, cwd=ROOT
    )


def test_help_documents_every_option() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for option in ["--host", "--port", "--fixtures", "--log-level", "--admin-token", "--journal-size", "--max-orders",
                   "--max-idempotency-keys", "--idempotency-ttl", "127.0.0.1",
                   "8080", "/v1/ui/", "/__admin"]:  # fmt: skip
        assert option in result.stdout


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
    import os

    result = subprocess.run(
        [sys.executable, "-m", "mockserver"], capture_output=True, text=True, timeout=30, cwd=ROOT,
        env={**os.environ, variable: "lots"},
    )  # fmt: skip
    assert result.returncode == 2
    assert f"argument {option}: invalid int value: 'lots'" in result.stderr and "Traceback" not in result.stderr


def test_missing_fixtures_file_is_named(tmp_path: Path) -> None:
    result = run_cli("--fixtures", str(tmp_path / "absent.yaml"))
    assert result.returncode == 2 and "absent.yaml: no such file" in result.stderr


def test_an_admin_token_given_on_the_command_line_is_masked_in_the_banner() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "--port", "0", "--admin-token", "s3cret-admin-token-42"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        banner = "".join(process.stdout.readline() for _ in range(5))
    finally:
        process.terminate()
        process.communicate(timeout=5)
    assert "/__admin" in banner and "*n-42" in banner and "s3cret-admin-token-42" not in banner


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_serves_logs_nothing_secret_and_stops_cleanly(stop_signal: signal.Signals) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "--port", "0", "--log-level", "debug"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        banner += "".join(process.stdout.readline() for _ in range(4))
        assert "/__admin" in banner and "token: demo-admin-token" in banner
        match = re.search(r"(http://127\.0\.0\.1:\d+/v1)", banner)
        assert match, banner
        base = match.group(1)
        cart = json.loads((ROOT / "fixtures" / "carts" / "guide-mixed-cart.json").read_text())
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
        process.send_signal(stop_signal)
        output, _ = process.communicate(timeout=10)
        stop_seconds = time.monotonic() - started
    finally:
        process.kill()
    everything = banner + output
    assert "POST /v1/carts/submit" in everything  # the access log is on: we did look at real log output
    for key in [KEY_A, KEY_B, "not-a-real-key-12345"]:
        assert key not in everything
    assert process.returncode == 0
    assert "JafarShop mock: stopped" in output and "Traceback" not in output
    assert stop_seconds < 1.0  # issue 5: within a second (measured about 0.2 s)
