"""The HTTP server under the mock: granian's HTTP/1.1 engine (Rust), embedded in this process, on a bound socket.

Why granian and not uvicorn (measured in `make bench`, README "Serving stack"): uvicorn's httptools protocol drops
the body of any request that offers a cleartext HTTP/2 upgrade (`Connection: Upgrade, HTTP2-Settings`,
`Upgrade: h2c`), which every JDK `HttpClient` sends by default, so Java clients got a 400; granian
ignores an upgrade it does not take (RFC 9110 section 7.8) and reads the body. uvicorn's h11 protocol is correct too
but about half as fast. Granian runs *embedded*: its Rust threads parse HTTP and its callbacks run on this process's
asyncio loop, so the mock's state, GC settings, banner and signal handling stay in one process (its default
multi-process mode would run the app in a child).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

from granian._granian import SocketHolder
from granian.constants import HTTPModes, Interfaces
from granian.log import LogLevels, logger
from granian.server.embed import Server

from mockserver.http.body import declares_body

BACKLOG = 1024
DRAIN_BYTES = 64 * 1024 * 1024  # an unread body past this closes the connection, as nginx's lingering close does
DRAIN_SECONDS = 5
ACCESS_LOG_FORMAT = '%(addr)s - "%(method)s %(path)s %(protocol)s" %(status)d %(dt_ms).1f ms'  # path: no query


class _QuietGranian(logging.Filter):
    """granian's own start and stop lines below WARNING, and its "Embedded server is experimental!" (the kit pins
    the version it tested), say nothing a mock user needs; its errors still show."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR or (
            record.levelno >= logging.WARNING and "experimental" not in record.getMessage()
        )


def tune_gc() -> None:
    """Process-wide GC settings for a long-lived mock; call once the app is built, before serving."""
    # Orders and idempotency records are long-lived and free of cycles, yet each full collection of the cyclic GC
    # walks them all: with tens of thousands of orders that was a pause of tens of ms (submit p99 37 ms at 16
    # connections, 6 ms with these settings; `make bench`). Fewer young collections, and start-up objects frozen.
    gc.set_threshold(50_000, 20, 100)
    gc.freeze()


def adapted(app: Any) -> Any:
    """`app` as granian needs it served:
    - each request gets its own `scope["extensions"]`: granian 2.8 hands every request the *same* dict, and connexion
      keeps its routing result there, so concurrent requests overwrote each other's (reads answered 403 to their
      owner, handlers got another operation's arguments; tests/test_load.py caught it);
    - a body the app did not read (a 413 answered from Content-Length, a 401) is read and dropped before the answer,
      up to DRAIN_BYTES: granian would otherwise close the connection while the client is still sending, and a client
      that reads the answer only once it has sent everything (Python's http.client) sees a broken pipe, not the 413."""

    async def app_for_granian(scope: Any, receive: Any, send: Any) -> None:
        scope["extensions"] = dict(scope.get("extensions") or ())
        body_done = False

        async def tracked() -> Any:
            nonlocal body_done
            message = await receive()
            body_done = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def send_once_body_read(message: Any) -> None:
            if message["type"] == "http.response.start" and not body_done and declares_body(scope["headers"]):
                drained = 0
                with contextlib.suppress(TimeoutError):
                    while not body_done and drained <= DRAIN_BYTES:
                        drained += len((await asyncio.wait_for(tracked(), DRAIN_SECONDS)).get("body", b""))
            await send(message)

        await app(scope, tracked, send_once_body_read)

    return app_for_granian


class _BoundServer(Server):
    """granian's embedded server on a socket the caller already bound (so `--port 0` and bind errors are ours)."""

    def __init__(self, app: Any, sock: socket.socket, log_level: str) -> None:
        host, port = sock.getsockname()[:2]
        self._bound = sock
        super().__init__(
            adapted(app),
            address=host,
            port=port,
            interface=Interfaces.ASGINL,  # the mock has no lifespan work
            http=HTTPModes.http1,
            websockets=False,
            backlog=BACKLOG,
            log_level=LogLevels(log_level),
            # The access log at info and debug, as uvicorn had it; path without the query string.
            log_access=log_level in ("info", "debug"),
            log_access_format=ACCESS_LOG_FORMAT,
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
def _runtime_threads_finished(timeout: float = 2.0) -> Iterator[None]:
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


async def serve(app: Any, sock: socket.socket, *, log_level: str = "warning", stop: asyncio.Event) -> None:
    """Serve `app` on `sock` until `stop` is set; in-flight requests get at most about 1 s to finish."""
    server = _BoundServer(app, sock, log_level)
    task = asyncio.create_task(server.serve())
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    server.stop()  # type: ignore[no-untyped-call]
    stopping.cancel()
    await task


def run(app: Any, sock: socket.socket, *, log_level: str = "info") -> None:
    """Serve in the foreground until Ctrl-C or SIGTERM (the command line's way)."""
    import uvloop

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await serve(app, sock, log_level=log_level, stop=stop)

    sock.setblocking(False)
    with sock, _runtime_threads_finished():
        uvloop.run(main())


@contextlib.contextmanager
def background(app: Any, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve `app` in a thread on `host` and a free port (or `port`); yield `http://host:port`. For tests and the
    pytest plugin: the same server as the command line, in the caller's process."""
    sock = socket.create_server((host, port), backlog=BACKLOG)
    sock.setblocking(False)
    bound_host, bound_port = sock.getsockname()[:2]
    ready = threading.Event()
    box: dict[str, Any] = {}

    def target() -> None:
        async def main() -> None:
            box["loop"] = asyncio.get_running_loop()
            box["stop"] = asyncio.Event()
            ready.set()
            await serve(app, sock, stop=box["stop"])

        try:
            asyncio.run(main())
        except BaseException as exc:  # reported to the caller below
            box["error"] = exc
            ready.set()

    thread = threading.Thread(target=target, name=f"jafarshop-mock-{bound_port}", daemon=True)
    with _runtime_threads_finished():
        thread.start()
        ready.wait(10)
        if "error" in box:
            raise RuntimeError(f"the mock could not start: {box['error']}")
        try:
            yield f"http://{bound_host}:{bound_port}"
        finally:
            box["loop"].call_soon_threadsafe(box["stop"].set)
            thread.join(timeout=5)
            sock.close()
