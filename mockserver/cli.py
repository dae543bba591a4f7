"""`python -m mockserver` (`jafarshop-mock`): serve the mock (granian embedded; see mockserver/server.py)."""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import socket
import sys
from collections.abc import Sequence
from datetime import timedelta

from mockserver.fixtures import DEFAULT_FIXTURES, FixtureError, load_fixtures
from mockserver.state import (
    DEFAULT_ADMIN_TOKEN,
    DEFAULT_IDEMPOTENCY_TTL,
    DEFAULT_MAX_IDEMPOTENCY_RECORDS,
    DEFAULT_MAX_ORDERS,
    MockState,
)

LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
SERVERS = ("granian", "uvicorn")


def build_parser() -> argparse.ArgumentParser:
    """The command line, with environment variables as fallbacks (string defaults go through each option's
    `type`, so a bad variable is reported by argparse like a bad flag)."""
    parser = argparse.ArgumentParser(
        prog="python -m mockserver",
        description=(
            "A stateful mock of the JafarShop B2B partner API, for building and testing a partner integration. "
            "Orders, idempotency records and SKU mappings live in memory and start from the fixtures file."
        ),
        epilog=(
            "The partner API is served under /v1 (POST /v1/carts/submit, GET /v1/orders/{id}); "
            "Swagger UI at /v1/ui/ and the spec at /v1/openapi.json. "
            "Demo keys are in the fixtures file (default: demo-key-partner-a, demo-key-partner-b). "
            "The admin API (lifecycle, SKUs, partners, faults, journal, reset) is under /__admin."
        ),
    )
    parser.add_argument(
        "--host",
        default=os.environ.get("JAFARSHOP_MOCK_HOST", "127.0.0.1"),
        help="address to listen on (env JAFARSHOP_MOCK_HOST; default %(default)s)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=os.environ.get("JAFARSHOP_MOCK_PORT", "8080"),
        help="port to listen on, 0 for any free port (env JAFARSHOP_MOCK_PORT; default %(default)s)",
    )
    parser.add_argument(
        "--fixtures",
        default=os.environ.get("JAFARSHOP_MOCK_FIXTURES", str(DEFAULT_FIXTURES)),
        help="YAML file of partners and SKU catalogue (env JAFARSHOP_MOCK_FIXTURES; default fixtures/default.yaml)",
    )
    parser.add_argument(
        "--admin-token",
        default=os.environ.get("JAFARSHOP_MOCK_ADMIN_TOKEN"),
        help="Bearer token of the admin API under /__admin (env JAFARSHOP_MOCK_ADMIN_TOKEN; default: the fixtures' "
        "admin_token, else demo-admin-token)",
    )
    parser.add_argument(
        "--journal-size",
        type=int,
        default=os.environ.get("JAFARSHOP_MOCK_JOURNAL_SIZE", "1000"),
        help="how many partner requests the journal keeps, 0 to turn it off (env JAFARSHOP_MOCK_JOURNAL_SIZE; "
        "default %(default)s)",
    )
    parser.add_argument(
        "--max-orders",
        type=int,
        default=os.environ.get("JAFARSHOP_MOCK_MAX_ORDERS", str(DEFAULT_MAX_ORDERS)),
        help="orders kept in memory; a new order past it is 503 'order store full' until a reset "
        "(env JAFARSHOP_MOCK_MAX_ORDERS; default %(default)s)",
    )
    parser.add_argument(
        "--max-idempotency-keys",
        type=int,
        default=os.environ.get("JAFARSHOP_MOCK_MAX_IDEMPOTENCY_KEYS", str(DEFAULT_MAX_IDEMPOTENCY_RECORDS)),
        help="idempotency records kept, oldest dropped first (env JAFARSHOP_MOCK_MAX_IDEMPOTENCY_KEYS; "
        "default %(default)s)",
    )
    parser.add_argument(
        "--idempotency-ttl",
        type=float,
        default=os.environ.get("JAFARSHOP_MOCK_IDEMPOTENCY_TTL", str(DEFAULT_IDEMPOTENCY_TTL.total_seconds())),
        help="seconds an idempotency record is kept (env JAFARSHOP_MOCK_IDEMPOTENCY_TTL; default %(default)s)",
    )
    parser.add_argument(
        "--no-fast-path",
        action="store_true",
        default=os.environ.get("JAFARSHOP_MOCK_NO_FAST_PATH", "") not in ("", "0"),
        help="let connexion answer every request, also the accepted submits and reads that the fast path answers "
        "with the same bytes several times quicker (env JAFARSHOP_MOCK_NO_FAST_PATH=1; for comparisons)",
    )
    parser.add_argument(
        "--server",
        choices=SERVERS,
        default=os.environ.get("JAFARSHOP_MOCK_SERVER", "granian"),
        help="HTTP server: granian (default) or uvicorn, the stack before 0.2 kept for `make bench` comparisons; "
        "uvicorn drops the body of requests that offer an h2c upgrade, as Java's HttpClient does "
        "(env JAFARSHOP_MOCK_SERVER)",
    )
    parser.add_argument(
        "--log-level",
        choices=LOG_LEVELS,
        default=os.environ.get("JAFARSHOP_MOCK_LOG_LEVEL", "info"),
        help="server log level (env JAFARSHOP_MOCK_LOG_LEVEL; default %(default)s); API keys are never logged",
    )
    return parser


def _mask(secret: str) -> str:
    return "*" * max(len(secret) - 4, 4) + secret[-4:]


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, load fixtures (exit 2 with a clear message when they are bad), serve until stopped."""
    args = build_parser().parse_args(argv)
    try:
        fixtures = load_fixtures(args.fixtures)
    except FixtureError as exc:
        print(f"mockserver: bad fixtures: {exc}", file=sys.stderr)
        return 2

    from mockserver.app import create_app

    limits = [
        ("--journal-size", args.journal_size >= 0, "0 or more"),
        ("--max-orders", args.max_orders >= 1, "at least 1"),
        ("--max-idempotency-keys", args.max_idempotency_keys >= 1, "at least 1"),
        ("--idempotency-ttl", args.idempotency_ttl > 0, "more than 0 seconds"),
    ]
    for name, ok, rule in limits:
        if not ok:
            print(f"mockserver: {name} must be {rule}", file=sys.stderr)
            return 2
    if args.admin_token is not None and (len(args.admin_token) < 8 or " " in args.admin_token):
        print("mockserver: --admin-token must be at least 8 characters without spaces", file=sys.stderr)
        return 2
    state = MockState(
        fixtures,
        admin_token=args.admin_token,
        journal_size=args.journal_size,
        max_orders=args.max_orders,
        max_idempotency_records=args.max_idempotency_keys,
        idempotency_ttl=timedelta(seconds=args.idempotency_ttl),
    )
    app = create_app(state, fast_path=not args.no_fast_path)
    # Bind first so that the banner shows the real port, also for --port 0.
    try:
        sock = socket.create_server((args.host, args.port), backlog=1024)
    except OSError as exc:
        print(
            f"mockserver: cannot listen on {args.host}:{args.port}: {exc.strerror} (choose another --port)",
            file=sys.stderr,
        )
        return 2
    host, port = sock.getsockname()[:2]
    base = f"http://{host}:{port}"
    print(f"JafarShop mock: partner API {base}/v1  (Swagger UI {base}/v1/ui/)", flush=True)
    print(f"  fixtures {fixtures.source}: {len(fixtures.catalogue)} mapped SKUs, partners:", flush=True)
    for partner in fixtures.partners:
        print(f"    {partner.id:<12} key {_mask(partner.api_key)}  ({partner.name})", flush=True)
    # A token from the fixtures file (or the demo default) is shown: it is in a file anyone here can read. One given
    # on the command line or in the environment is a real secret: masked, like the partner keys.
    admin_token = _mask(args.admin_token) if args.admin_token else fixtures.admin_token or DEFAULT_ADMIN_TOKEN
    print(f"  admin API {base}/__admin  (Swagger UI {base}/__admin/ui/)  token: {admin_token}", flush=True)
    # Orders and idempotency records are long-lived and free of cycles, yet each full collection of the cyclic
    # GC walks them all: with tens of thousands of orders that was a pause of tens of ms (submit p99 37 ms at 16
    # connections, 6 ms with these settings; `make bench`). Fewer young collections, and start-up objects frozen.
    gc.set_threshold(50_000, 20, 100)
    gc.freeze()
    if args.server == "uvicorn":
        import uvicorn

        config = uvicorn.Config(app, log_level=args.log_level, timeout_graceful_shutdown=1)
        # uvicorn re-raises Ctrl-C after its clean shutdown; the user asked to stop, so no traceback.
        with contextlib.suppress(KeyboardInterrupt):
            uvicorn.Server(config).run(sockets=[sock])
        return 0
    from mockserver.server import run

    run(app, sock, log_level=args.log_level)
    print("JafarShop mock: stopped", flush=True)
    return 0
