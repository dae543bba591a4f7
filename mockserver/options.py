"""The mock's command line: each option with its environment variable as the fallback, each bad value one line
naming the option (or the variable) and what is allowed."""

from __future__ import annotations

import argparse
import ipaddress
import math
import os
import re
from collections.abc import Callable
from typing import Any, NoReturn

from jafarshop_kit.flags import FlagError, env_flag
from mockserver.http.spec import ADMIN_BASE, PARTNER_BASE
from mockserver.model.fixtures import ADMIN_TOKEN_RULE, DEFAULT_FIXTURES
from mockserver.model.state import DEFAULT_ADMIN_TOKEN, DEFAULT_MAX_ORDERS
from mockserver.model.stores import DEFAULT_IDEMPOTENCY_TTL, DEFAULT_MAX_IDEMPOTENCY_RECORDS

LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
ADMIN_TOKEN_ENV = "JAFARSHOP_MOCK_ADMIN_TOKEN"
ALLOW_DEMO_ENV = "JAFARSHOP_MOCK_ALLOW_DEMO_ADMIN_TOKEN"


class _FromEnv(str):
    """A default read from an environment variable: its option's `type` then names the variable in its message."""

    variable: str


def _env(variable: str, default: str) -> str:
    value = os.environ.get(variable)
    if value is None:
        return default
    marked = _FromEnv(value)
    marked.variable = variable
    return marked


def _checked(option: str, convert: Callable[[str], Any], allowed: str) -> Callable[[str], Any]:
    """An argparse `type`: `convert`, whose ValueError becomes one message naming the option (or the environment
    variable the value came from) and what is allowed."""

    def check(text: str) -> Any:
        try:
            return convert(text)
        except ValueError:
            source = f"{text.variable}={text!r}" if isinstance(text, _FromEnv) else f"{option} {text!r}"
            raise argparse.ArgumentTypeError(f"{source}: must be {allowed}") from None

    check.__name__ = option  # argparse's fallback message names the type
    return check


def _port(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise ValueError(text)
    return port


def _int_at_least(minimum: int) -> Callable[[str], int]:
    def convert(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise ValueError(text)
        return value

    return convert


def _positive_seconds(text: str) -> float:
    value = float(text)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(text)
    return value


def _log_level(text: str) -> str:
    if text.lower() not in LOG_LEVELS:
        raise ValueError(text)
    return text.lower()


_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def _host(text: str) -> str:
    """An IP address (IPv6 also in brackets), a host name, or "" for every interface; checked before any bind."""
    name = text.strip()
    bare = name[1:-1] if name.startswith("[") and name.endswith("]") else name
    if not bare:
        return text
    try:
        ipaddress.ip_address(bare.split("%", 1)[0])
        return text
    except ValueError:
        pass
    labels = bare.removesuffix(".").split(".")
    numeric = all(label.isdigit() for label in labels)
    if numeric or ":" in bare or len(bare) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        raise ValueError(text)
    return text


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line on stderr and exit 2 (no usage block): the message names the option and what it allows."""
        message = re.sub(r"^argument [^:]+: (?=--|JAFARSHOP_MOCK_)", "", message)  # ours name the option already
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def _flag(parser: argparse.ArgumentParser, variable: str) -> bool:
    """A yes/no environment variable; another value is one line naming it and exit 2."""
    try:
        return env_flag(variable)
    except FlagError as exc:
        parser.error(str(exc))


def build_parser() -> argparse.ArgumentParser:
    """The command line, with environment variables as fallbacks (string defaults go through each option's
    `type`, which names the variable when a bad value came from it)."""
    parser = _Parser(
        prog="jafarshop-mock",
        description=(
            "A stateful mock of the JafarShop B2B partner API, for building and testing a partner integration. "
            "Orders, idempotency records and SKU mappings live in memory and start from the fixtures file."
        ),
        epilog=(
            f"The partner API is served under {PARTNER_BASE}; "
            f"Swagger UI at {PARTNER_BASE}/ui/ and the spec at {PARTNER_BASE}/openapi.json. "
            "Demo keys are in the fixtures file (default: demo-key-partner-a, demo-key-partner-b). "
            f"The admin API (lifecycle, SKUs, partners, faults, journal, reset) is under {ADMIN_BASE}; "
            f"GET {ADMIN_BASE}/health needs no token. "
            "On an address other machines can reach (anything but 127.0.0.0/8, ::1 and localhost; 0.0.0.0 too) "
            "the mock refuses to start with the public demo admin token: give --admin-token or "
            f"{ADMIN_TOKEN_ENV} (or --allow-demo-admin-token). Same as `python -m mockserver`."
        ),
    )
    _where_options(parser)
    _admin_options(parser)
    _limit_options(parser)
    _serving_options(parser)
    return parser


def _where_options(parser: argparse.ArgumentParser) -> None:
    """Where the mock listens and what it serves."""
    parser.add_argument(
        "--host",
        type=_checked("--host", _host, "an IP address or a host name"),
        default=_env("JAFARSHOP_MOCK_HOST", "127.0.0.1"),
        help="address to listen on (env JAFARSHOP_MOCK_HOST; default %(default)s, this machine only); 0.0.0.0 or "
        "another non-loopback address makes the mock reachable from other machines and needs an admin token of "
        "your own",
    )
    parser.add_argument(
        "--port",
        type=_checked("--port", _port, "a whole number from 0 to 65535"),
        default=_env("JAFARSHOP_MOCK_PORT", "8080"),
        help="port to listen on, 0 for any free port (env JAFARSHOP_MOCK_PORT; default %(default)s)",
    )
    parser.add_argument(
        "--fixtures",
        default=os.environ.get("JAFARSHOP_MOCK_FIXTURES", str(DEFAULT_FIXTURES)),
        help="YAML file of partners and SKU catalogue (env JAFARSHOP_MOCK_FIXTURES; default fixtures/default.yaml)",
    )


def _admin_options(parser: argparse.ArgumentParser) -> None:
    """The admin token and the demo token's rule."""
    parser.add_argument(
        "--admin-token",
        default=None,  # the environment is read in main(), so that the banner can say where the token came from
        help=f"Bearer token of the admin API under {ADMIN_BASE}, {ADMIN_TOKEN_RULE.removeprefix('must be ')} "
        f"(env {ADMIN_TOKEN_ENV}; "
        f"default: the fixtures' admin_token, else {DEFAULT_ADMIN_TOKEN}). Required when --host is not a loopback "
        "address and the token would otherwise be the public demo one (or pass --allow-demo-admin-token)",
    )
    parser.add_argument(
        "--allow-demo-admin-token",
        action="store_true",
        default=_flag(parser, ALLOW_DEMO_ENV),
        help=f"start on a non-loopback --host (such as 0.0.0.0) even with the public demo admin token "
        f"{DEFAULT_ADMIN_TOKEN}, which anyone who can reach the mock could then use; only for a throwaway "
        f"container or a private network (env {ALLOW_DEMO_ENV}=1)",
    )


def _limit_options(parser: argparse.ArgumentParser) -> None:
    """What the mock keeps in memory, and for how long."""
    parser.add_argument(
        "--journal-size",
        type=_checked("--journal-size", _int_at_least(0), "a whole number, 0 or more"),
        default=_env("JAFARSHOP_MOCK_JOURNAL_SIZE", "1000"),
        help="how many partner requests the journal keeps, 0 to turn it off (env JAFARSHOP_MOCK_JOURNAL_SIZE; "
        "default %(default)s)",
    )
    parser.add_argument(
        "--max-orders",
        type=_checked("--max-orders", _int_at_least(1), "a whole number, at least 1"),
        default=_env("JAFARSHOP_MOCK_MAX_ORDERS", str(DEFAULT_MAX_ORDERS)),
        help="orders kept in memory; a new order past it is 503 'order store full' until a reset "
        "(env JAFARSHOP_MOCK_MAX_ORDERS; default %(default)s)",
    )
    parser.add_argument(
        "--max-idempotency-keys",
        type=_checked("--max-idempotency-keys", _int_at_least(1), "a whole number, at least 1"),
        default=_env("JAFARSHOP_MOCK_MAX_IDEMPOTENCY_KEYS", str(DEFAULT_MAX_IDEMPOTENCY_RECORDS)),
        help="idempotency records kept, oldest dropped first (env JAFARSHOP_MOCK_MAX_IDEMPOTENCY_KEYS; "
        "default %(default)s)",
    )
    parser.add_argument(
        "--idempotency-ttl",
        type=_checked("--idempotency-ttl", _positive_seconds, "a number of seconds, more than 0"),
        default=_env("JAFARSHOP_MOCK_IDEMPOTENCY_TTL", str(DEFAULT_IDEMPOTENCY_TTL.total_seconds())),
        help="seconds an idempotency record is kept (env JAFARSHOP_MOCK_IDEMPOTENCY_TTL; default %(default)s)",
    )


def _serving_options(parser: argparse.ArgumentParser) -> None:
    """How the mock answers and logs."""
    parser.add_argument(
        "--no-fast-path",
        action="store_true",
        default=_flag(parser, "JAFARSHOP_MOCK_NO_FAST_PATH"),
        help="let connexion answer every request, also the accepted submits and reads that the fast path answers "
        "with the same bytes several times quicker (env JAFARSHOP_MOCK_NO_FAST_PATH=1; for comparisons)",
    )
    parser.add_argument(
        "--log-level",
        type=_checked("--log-level", _log_level, "one of " + ", ".join(LOG_LEVELS)),
        default=_env("JAFARSHOP_MOCK_LOG_LEVEL", "info"),
        help="server log level (env JAFARSHOP_MOCK_LOG_LEVEL; default %(default)s); API keys are never logged",
    )
