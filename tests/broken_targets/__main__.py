"""`python -m tests.broken_targets NAME [PORT]`: serve one broken or alternative target on 127.0.0.1 (port 8080)."""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable

from starlette.types import ASGIApp

from mockserver.server import run
from tests.broken_targets import BY_NAME, BY_NAME_ALTERNATIVE, DEFECTS


def main(argv: list[str]) -> int:
    """Serve the target named in `argv` until stopped; 2 and a list of the targets when the name is unknown."""
    targets: dict[str, Callable[[], ASGIApp]] = {
        **{name: defect.build for name, defect in BY_NAME.items()},
        **{name: alternative.build for name, alternative in BY_NAME_ALTERNATIVE.items()},
    }
    if len(argv) < 1 or argv[0] not in targets:
        print(
            "usage: python -m tests.broken_targets NAME [PORT]\n"
            + "\n".join(f"  {d.name}: {d.breaks}" for d in DEFECTS)
            + "\nalternative but correct:\n"
            + "\n".join(f"  {a.name}: {a.decides}" for a in BY_NAME_ALTERNATIVE.values())
        )
        return 2
    run(targets[argv[0]](), socket.create_server(("127.0.0.1", int(argv[1]) if len(argv) > 1 else 8080)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
