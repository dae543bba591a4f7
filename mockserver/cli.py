"""`python -m mockserver` (`jafarshop-mock`): serve the mock (granian embedded; see mockserver/server.py)."""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from mockserver.dependency_warnings import without_dependency_warnings
from mockserver.http.spec import ADMIN_BASE, PARTNER_BASE
from mockserver.model.fixtures import ADMIN_TOKEN_RULE, FixtureError, Fixtures, is_admin_token, load_fixtures
from mockserver.model.state import DEFAULT_ADMIN_TOKEN, MockState
from mockserver.options import ADMIN_TOKEN_ENV, ALLOW_DEMO_ENV, build_parser


def _mask(secret: str) -> str:
    return "*" * max(len(secret) - 4, 4) + secret[-4:]


@dataclass(frozen=True)
class AdminToken:
    """The admin token in use and where it came from, decided as MockState would: --admin-token, then the
    environment, then the fixtures' admin_token, then the demo default."""

    value: str
    source: str  # "--admin-token", ADMIN_TOKEN_ENV, "fixtures" or "demo"

    @classmethod
    def choose(cls, option: str | None, fixtures_token: str | None) -> AdminToken:
        if option is not None:
            return cls(option, "--admin-token")
        from_env = os.environ.get(ADMIN_TOKEN_ENV)
        if from_env is not None:
            return cls(from_env, ADMIN_TOKEN_ENV)
        if fixtures_token is not None and fixtures_token != DEFAULT_ADMIN_TOKEN:
            return cls(fixtures_token, "fixtures")
        return cls(DEFAULT_ADMIN_TOKEN, "demo")

    @property
    def is_demo(self) -> bool:
        """The public demo token, wherever it came from (it is in this repository for anyone to read)."""
        return self.value == DEFAULT_ADMIN_TOKEN

    def banner(self) -> str:
        """For the banner: a token from the fixtures file (or the demo default) is shown, it is in a file anyone here
        can read; one given on the command line or in the environment is a real secret, masked like the partner keys."""
        if self.source == "demo":
            return f"{self.value} (the public demo default)"
        if self.source == "fixtures":
            return f"{self.value} (from the fixtures file)"
        if self.source == ADMIN_TOKEN_ENV:
            return f"{_mask(self.value)} (from the environment, {ADMIN_TOKEN_ENV})"
        return f"{_mask(self.value)} (from --admin-token)"


def is_loopback(host: str) -> bool:
    """Whether listening on `host` keeps the mock on this machine: 127.0.0.0/8, ::1 (also as ::ffff:127.x) or
    localhost. 0.0.0.0, ::, "" (every interface) and any other address or name are not; a name counts as loopback
    only when every address it resolves to is."""
    name = host.strip().strip("[]")
    if name.lower() in ("localhost", "localhost."):
        return True
    try:
        return _is_loopback_ip(name)
    except ValueError:
        pass  # a host name
    if not name:
        return False
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)}
    except OSError:
        return False
    return bool(addresses) and all(_is_loopback_ip(str(address)) for address in addresses)


def _where(host: str) -> str:
    everywhere = host.strip("[]") in ("", "0.0.0.0", "::")
    return (host or '""') + " (every interface)" if everywhere else host


def _is_loopback_ip(text: str) -> bool:
    address = ipaddress.ip_address(text.split("%", 1)[0])  # no IPv6 zone
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, load fixtures (exit 2 with a clear message when they are bad), serve until stopped."""
    args = build_parser().parse_args(argv)
    try:
        fixtures = load_fixtures(args.fixtures)
    except FixtureError as exc:
        print(f"mockserver: bad fixtures: {exc}", file=sys.stderr)
        return 2

    with without_dependency_warnings():
        from mockserver.app import create_app

    token = AdminToken.choose(args.admin_token, fixtures.admin_token)
    local = is_loopback(args.host)
    if (refused := refusal(token, args.host, local, args.allow_demo_admin_token)) is not None:
        print(f"mockserver: {refused}", file=sys.stderr)
        return 2
    state = MockState(
        fixtures,
        admin_token=token.value,
        journal_size=args.journal_size,
        max_orders=args.max_orders,
        max_idempotency_records=args.max_idempotency_keys,
        idempotency_ttl=timedelta(seconds=args.idempotency_ttl),
    )
    app = create_app(state, fast_path=not args.no_fast_path)
    from mockserver.granian_adapter import GranianVersionError, check_version

    try:  # before the banner: no address printed for a mock that cannot serve
        check_version()
        sock = bind(args.host, args.port)  # first, so that the banner shows the real port, also for --port 0
    except (GranianVersionError, BindError) as exc:
        print(f"mockserver: {exc}", file=sys.stderr)
        return 2
    print_banner(sock, local, token, fixtures)
    from mockserver.server import run, tune_gc

    tune_gc()
    run(app, sock, log_level=args.log_level)
    print("JafarShop mock: stopped", flush=True)
    return 0


def refusal(token: AdminToken, host: str, local: bool, allow_demo: bool) -> str | None:
    """Why the mock will not start with this admin token on this host, or None."""
    if token.source in ("--admin-token", ADMIN_TOKEN_ENV) and not is_admin_token(token.value):
        return f"{token.source} {ADMIN_TOKEN_RULE}"
    if not local and token.is_demo and not allow_demo:
        return (
            f"refusing to listen on {_where(host)}, which other machines can reach, with the public "
            f"demo admin token {DEFAULT_ADMIN_TOKEN}: give a secret one with --admin-token or {ADMIN_TOKEN_ENV}, "
            f"or pass --allow-demo-admin-token ({ALLOW_DEMO_ENV}=1) for a throwaway container"
        )
    return None


class BindError(Exception):
    """The mock cannot listen where it was asked to: the message says why and what to change."""


def bind(host: str, port: int) -> socket.socket:
    """The listening socket on `host` (IPv4 or IPv6) and `port` (0: any free one)."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET  # --host :: or ::1 as well as IPv4
        return socket.create_server((host.strip("[]"), port), family=family, backlog=1024)
    except OSError as exc:
        hint = "choose another --port" if exc.errno in (errno.EADDRINUSE, errno.EACCES) else "check --host"
        raise BindError(f"cannot listen on {host}:{port}: {exc.strerror} ({hint})") from None


def print_banner(sock: socket.socket, local: bool, token: AdminToken, fixtures: Fixtures) -> None:
    """Where the mock listens, who can reach it, its fixtures and partners, the console and the admin API."""
    host, port = sock.getsockname()[:2]
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    base = f"http://{address}"
    print(f"JafarShop mock: partner API {base}{PARTNER_BASE}  (Swagger UI {base}{PARTNER_BASE}/ui/)", flush=True)
    if local and is_loopback(host):
        print(f"  local only: {address} is a loopback address; other machines cannot reach the mock", flush=True)
    else:
        demo = ", with the public demo admin token (--allow-demo-admin-token)" if token.is_demo else ""
        print(f"  reachable from other machines on {address}{demo}", flush=True)
    print(f"  fixtures {fixtures.source}: {len(fixtures.catalogue)} mapped SKUs, partners:", flush=True)
    for partner in fixtures.partners:
        print(f"    {partner.id:<12} key {_mask(partner.api_key)}  ({partner.name})", flush=True)
    print(f"  console {base}{ADMIN_BASE}/console/  (asks for the admin token)", flush=True)
    print(f"  admin API {base}{ADMIN_BASE}  (Swagger UI {base}{ADMIN_BASE}/ui/)  token: {token.banner()}", flush=True)
