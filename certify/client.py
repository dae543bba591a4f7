"""The partner's client as a process: started with the run's settings, its output passed on and watched for the
API key, stopped at the time limit."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import threading
from dataclasses import dataclass, field
from typing import IO

STOP_GRACE_SECONDS = 3.0


class CannotStart(Exception):
    """The command could not be started (not found, not executable)."""


@dataclass
class ClientRun:
    end: str  # how it ended, in words
    key_seen: list[str] = field(default_factory=list)  # where its output showed the API key ("stdout line 3")


def run_client(
    command: list[str], env: dict[str, str], limit: float, key: str, out: IO[bytes], err: IO[bytes]
) -> ClientRun:
    """Run the client to its end or to the time limit; its stdout and stderr go to `out` and `err` as they come."""
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
        end = f"exited {process.wait(timeout=limit)}"
    except subprocess.TimeoutExpired:
        stop(process)
        end = f"stopped at the time limit ({limit:g} s)"
    except KeyboardInterrupt:
        stop(process)
        raise
    for pump in pumps:
        pump.join(timeout=STOP_GRACE_SECONDS)
    return ClientRun(end, seen)


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
    """SIGTERM to the client's process group, SIGKILL if it is still there after a grace period."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=STOP_GRACE_SECONDS)
            return
        except subprocess.TimeoutExpired:
            continue
