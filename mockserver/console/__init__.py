"""The console: a page served by the mock at /__admin/console/ (static files, no build step) that shows the journal,
moves orders, edits SKUs, faults and partners, and follows a certification run, through the admin API only. The page
holds no data and no secret: it asks for the admin token, keeps it in the browser session and sends it on every
admin call, so the admin API's rules (its token, the refusal of the demo token off loopback) are the console's."""

from __future__ import annotations

from importlib import resources

from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.http.spec import ADMIN_BASE

CONSOLE_PATH = f"{ADMIN_BASE}/console/"
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
# The page loads only its own files and talks only to its own origin; no inline script or style, no framing.
_HEADERS = [
    (b"content-security-policy", b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     b"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-cache"),
]  # fmt: skip


def console_files() -> dict[str, bytes]:
    """The page's files by name (index.html, style.css and its script modules), as shipped in the package."""
    static = resources.files(__name__).joinpath("static")
    return {item.name: item.read_bytes() for item in static.iterdir() if item.name.endswith(tuple(_TYPES))}


class ConsolePages:
    """Serves the console's files under /__admin/console/ (GET and HEAD); every other path goes on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._files: dict[str, bytes] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path == CONSOLE_PATH.rstrip("/"):
            await _answer(send, 308, b"", [(b"location", CONSOLE_PATH.encode())])  # a path, never a Host-built URL
            return
        if not path.startswith(CONSOLE_PATH):
            await self.app(scope, receive, send)
            return
        if self._files is None:
            self._files = console_files()
        name = path.removeprefix(CONSOLE_PATH) or "index.html"
        content = self._files.get(name)
        if content is None:
            await _answer(send, 404, b"Not found: not one of the console's files\n")
        elif scope["method"] not in ("GET", "HEAD"):
            await _answer(send, 405, b"Method not allowed\n", [(b"allow", b"GET, HEAD")])
        else:
            kind = _TYPES["." + name.rsplit(".", 1)[-1]].encode()
            await _answer(send, 200, content, [(b"content-type", kind)], head=scope["method"] == "HEAD")


async def _answer(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None, head: bool = False
) -> None:
    given = headers or [(b"content-type", b"text/plain; charset=utf-8")]
    length = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": given + length + _HEADERS})
    await send({"type": "http.response.body", "body": b"" if head else body})
