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
from enum import StrEnum
from typing import IO

STOP_GRACE_SECONDS = 3.0
POLL_SECONDS = 0.2  # how often run_client asks `until` whether to stop the client


class CannotStart(Exception):
    """The command could not be started (not found, not executable)."""


class Ending(StrEnum):
    """How the client's run ended."""

    EXITED = "exited"  # by itself, with an exit status
    TIME_LIMIT = "time limit"  # stopped at the time limit
    STOPPED = "stopped"  # stopped when `until` said why


@dataclass
class ClientRun:
    ending: Ending
    code: int | None = None  # its exit status; None when it was stopped
    key_seen: list[str] = field(default_factory=list)  # where its output showed the API key ("stdout line 3")
    ended: float = 0.0  # time.monotonic() when it ended
    limit: float = 0.0  # the time limit it ran under (seconds)
    why: str = ""  # what `until` answered, when that stopped it

    @property
    def end(self) -> str:
        """How it ended, in words: "exited 1", "stopped at the time limit (60 s)", "stopped once its retries ..."."""
        if self.ending is Ending.EXITED:
            return f"exited {self.code}"
        if self.ending is Ending.TIME_LIMIT:
            return f"stopped at the time limit ({self.limit:g} s)"
        return f"stopped {self.why}"

    @property
    def exited_cleanly(self) -> bool:
        return self.ending is Ending.EXITED and self.code == 0


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
    try:
        ending, code, why = _wait(process, limit, until)
    finally:  # also on Ctrl-C; and what the client left running in the background goes too
        ended = time.monotonic()
        stop(process)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for pump in pumps:
        pump.join(timeout=max(0.0, deadline - time.monotonic()))
    return ClientRun(ending, code, seen, ended, limit, why)


def _wait(
    process: subprocess.Popen[bytes], limit: float, until: Callable[[], str | None] | None
) -> tuple[Ending, int | None, str]:
    """(how it ended, exit code, why `until` stopped it): its exit, the time limit, or what `until` answered."""
    deadline = time.monotonic() + limit
    while (left := deadline - time.monotonic()) > 0:
        try:
            return Ending.EXITED, process.wait(timeout=left if until is None else min(left, POLL_SECONDS)), ""
        except subprocess.TimeoutExpired:
            if until is not None and (why := until()) is not None:
                return Ending.STOPPED, None, why
    return Ending.TIME_LIMIT, None, ""


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
