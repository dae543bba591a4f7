"""The HTTP server under the mock: granian's HTTP/1.1 engine (Rust), embedded in this process, on a bound socket.

Why granian and not uvicorn (measured in `make bench`, README "Serving stack"): uvicorn's httptools protocol drops
the body of any request that offers a cleartext HTTP/2 upgrade (`Connection: Upgrade, HTTP2-Settings`,
`Upgrade: h2c`), which every JDK `HttpClient` sends by default, so Java clients got a 400; granian
ignores an upgrade it does not take (RFC 9110 section 7.8) and reads the body. uvicorn's h11 protocol is correct too
but about half as fast. Granian runs *embedded*: its Rust threads parse HTTP and its callbacks run on this process's
asyncio loop, so the mock's state, GC settings, banner and signal handling stay in one process (its default
multi-process mode would run the app in a child). What this needs of granian's internals (its private socket API,
its runtime's threads) is in granian_adapter.py, which accepts only the granian versions it was written for.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import socket
import threading
from collections.abc import Iterator
from typing import Any

from mockserver.granian_adapter import BoundServer, check_version, runtime_threads_finished
from mockserver.http.body import declares_body

BACKLOG = 1024
DRAIN_BYTES = 64 * 1024 * 1024  # an unread body past this closes the connection, as nginx's lingering close does
DRAIN_SECONDS = 5
ACCESS_LOG_FORMAT = '%(addr)s - "%(method)s %(path)s %(protocol)s" %(status)d %(dt_ms).1f ms'  # path: no query


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


async def serve(app: Any, sock: socket.socket, *, log_level: str = "warning", stop: asyncio.Event) -> None:
    """Serve `app` on `sock` until `stop` is set; in-flight requests get at most about 1 s to finish."""
    server = BoundServer(adapted(app), sock, log_level=log_level, backlog=BACKLOG, access_log_format=ACCESS_LOG_FORMAT)
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
    with sock, runtime_threads_finished():
        uvloop.run(main())


@contextlib.contextmanager
def background(app: Any, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve `app` in a thread on `host` and a free port (or `port`); yield `http://host:port`. For tests and the
    pytest plugin: the same server as the command line, in the caller's process."""
    check_version()  # here, not only in the server's thread: the caller gets the error
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
    with runtime_threads_finished():
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
