"""The partner's client as a process: started with the run's settings, its output passed on and watched for the
API key, stopped at the time limit."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

STOP_GRACE_SECONDS = 3.0
POLL_SECONDS = 0.2  # how often run_client asks `until` whether to stop the client


class CannotStart(Exception):
    """The command could not be started (not found, not executable)."""


@dataclass
class ClientRun:
    end: str  # how it ended, in words
    code: int | None = None  # its exit status; None when it was stopped at the time limit
    key_seen: list[str] = field(default_factory=list)  # where its output showed the API key ("stdout line 3")
    ended: float = 0.0  # time.monotonic() when it ended


def run_client(
    command: list[str],
    env: dict[str, str],
    limit: float,
    key: str,
    out: IO[bytes],
    err: IO[bytes],
    until: Callable[[], str | None] | None = None,
) -> ClientRun:
    """Run the client to its end or to the time limit (or, with `until`, to when it answers why to stop: asked
    every POLL_SECONDS); its stdout and stderr go to `out` and `err` as they come."""
    try:
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
        )
    except OSError as error:
        hint = ""
        if isinstance(error, PermissionError):
            hint = f"; make it executable (chmod +x {command[0]}) or put its interpreter first (python3, node, php ...)"
        raise CannotStart(f"cannot start `{shlex.join(command)}`: {error.strerror or error}{hint}") from None
    seen: list[str] = []
    pumps = [
        threading.Thread(target=_pump, args=(process.stdout, out, "stdout", key.encode(), seen), daemon=True),
        threading.Thread(target=_pump, args=(process.stderr, err, "stderr", key.encode(), seen), daemon=True),
    ]
    for pump in pumps:
        pump.start()
    code: int | None = None
    try:
        code, end = _wait(process, limit, until)
    finally:  # also on Ctrl-C; and what the client left running in the background goes too
        ended = time.monotonic()
        stop(process)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for pump in pumps:
        pump.join(timeout=max(0.0, deadline - time.monotonic()))
    return ClientRun(end, code, seen, ended)


def _wait(
    process: subprocess.Popen[bytes], limit: float, until: Callable[[], str | None] | None
) -> tuple[int | None, str]:
    """(exit code, how it ended): its exit, the time limit, or what `until` answered."""
    deadline = time.monotonic() + limit
    while (left := deadline - time.monotonic()) > 0:
        try:
            code = process.wait(timeout=left if until is None else min(left, POLL_SECONDS))
            return code, f"exited {code}"
        except subprocess.TimeoutExpired:
            if until is not None and (why := until()) is not None:
                return None, f"stopped {why}"
    return None, f"stopped at the time limit ({limit:g} s)"


def _pump(source: IO[bytes] | None, sink: IO[bytes], name: str, key: bytes, seen: list[str]) -> None:
    if source is None:
        return
    for number, line in enumerate(iter(source.readline, b""), start=1):
        if key in line:
            seen.append(f"{name} line {number}")
        with contextlib.suppress(OSError, ValueError):
            sink.write(line)
            sink.flush()


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the client's whole process group, then SIGKILL to what is left of it after a grace period."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=STOP_GRACE_SECONDS)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # children that ignored SIGTERM or outlived their parent
    process.wait()
