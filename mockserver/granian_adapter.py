"""What the mock uses of granian beyond its public API, in one place, for the granian versions it was written for.

- `BoundServer`: granian's embedded server on a socket the caller bound, through granian's private `SocketHolder`
  and `Server._init_shared_socket` (granian binds its own socket otherwise, so `--port 0` and bind errors would be
  granian's).
- `runtime_threads_finished`: waits for the OS threads of granian's Rust runtime, counted in /proc (Linux).

Both depend on granian's internals: `check_version` refuses any other granian with a message that says what to
install, rather than a server that fails in some odd way. pyproject.toml gives the same range (a test ties them).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import granian
from granian._granian import SocketHolder
from granian.constants import HTTPModes, Interfaces
from granian.log import LogLevels, logger
from granian.server.embed import Server

# The granian releases this module was written and tested for: [lowest, below) as version tuples.
LOWEST = (2, 8, 9)
BELOW = (2, 9)
REQUIREMENT = "granian[uvloop]>=2.8.9,<2.9"


class GranianVersionError(RuntimeError):
    """The installed granian is not one this adapter was written for."""


def version_tuple(version: str) -> tuple[int, ...]:
    """`2.8.9` as (2, 8, 9): its first three numbers (`2.9.0rc1` is (2, 9, 0))."""
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def check_version(installed: str | None = None) -> None:
    """Raise GranianVersionError unless granian (or `installed`, a version string) is one this module was written
    for."""
    found = granian.__version__ if installed is None else installed
    if not LOWEST <= version_tuple(found) < BELOW:
        raise GranianVersionError(
            f"granian {found} is installed; the mock uses granian's private socket API as it is in the versions "
            f"mockserver/granian_adapter.py was written for: pip install '{REQUIREMENT}'"
        )


class _QuietGranian(logging.Filter):
    """granian's own start and stop lines below WARNING, and its "Embedded server is experimental!" (the kit
    accepts only the versions it tested), say nothing a mock user needs; its errors still show."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR or (
            record.levelno >= logging.WARNING and "experimental" not in record.getMessage()
        )


class BoundServer(Server):
    """granian's embedded HTTP/1.1 server for the ASGI `app`, on a socket the caller already bound."""

    def __init__(self, app: Any, sock: socket.socket, *, log_level: str, backlog: int, access_log_format: str) -> None:
        check_version()
        host, port = sock.getsockname()[:2]
        self._bound = sock
        super().__init__(
            app,
            address=host,
            port=port,
            interface=Interfaces.ASGINL,  # the mock has no lifespan work
            http=HTTPModes.http1,
            websockets=False,
            backlog=backlog,
            log_level=LogLevels(log_level),
            # The access log at info and debug, as uvicorn had it.
            log_access=log_level in ("info", "debug"),
            log_access_format=access_log_format,
        )
        for handler in logger.handlers:  # granian configured them just now; records of its Rust side reach only these
            handler.addFilter(_QuietGranian())
        self.workers_kill_timeout = 1

    def _init_shared_socket(self) -> None:
        # granian closes the descriptor it is given when it stops: give it its own, the caller closes the socket.
        self._ssp = None
        self._sfd = os.dup(self._bound.fileno())  # type: ignore[assignment]
        self._shd = SocketHolder(self._sfd, False, self.backlog)  # type: ignore[call-arg,assignment]  # stub is short


def native_threads() -> set[int]:
    """This process's OS threads (Linux); empty where /proc is not there."""
    try:
        return {int(tid) for tid in os.listdir("/proc/self/task")}
    except OSError:
        return set()


def threads_started_since(before: set[int]) -> set[int]:
    """The OS threads that did not exist at `before` (a `native_threads()`) and that Python does not run itself."""
    return native_threads() - before - {thread.native_id for thread in threading.enumerate()}


@contextlib.contextmanager
def runtime_threads_finished(timeout: float = 2.0) -> Iterator[None]:
    """On leaving, wait (at most `timeout`) for the OS threads granian's Rust runtime started to end.

    granian's runtime threads outlive its `serve()` by a moment while they drop what they held of Python's; if the
    interpreter is finalizing by then, one of them blocks on the GIL, Python ends it with pthread_exit, and the
    unwind through Rust frames aborts the process ("panic in a function that cannot unwind", exit -6/134) after a
    clean run. Seen at the end of a partner's pytest session that used the fixture (1 run in 7), and possible for
    `jafarshop-mock` stopped by a signal. Threads Python itself runs are not waited for."""
    before = native_threads()
    try:
        yield
    finally:
        deadline = time.monotonic() + timeout
        while threads_started_since(before) and time.monotonic() < deadline:
            time.sleep(0.005)
