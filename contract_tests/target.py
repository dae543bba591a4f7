"""Which API the suite verifies: environment variables (or the same names as pytest options), checked up front."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from jafarshop_kit.flags import FlagError, parse_flag
from jafarshop_kit.resources import OPENAPI_DIR

if TYPE_CHECKING:  # hypothesis is the `contract` extra's: the runner imports this module before it checks for it
    from hypothesis import Phase

SPEC_PATH = OPENAPI_DIR / "partner-api.yaml"
DEFAULT_EXAMPLES = 50
# How long one request may take, and the whole run: a target that hangs on some requests fails them and ends, not
# after minutes. A run against the mock takes about 30 s; a staging 30 ms away without keep-alive about 3 minutes.
DEFAULT_REQUEST_TIMEOUT = 10.0
DEFAULT_TIME_BUDGET = 600.0
# A target that does not answer the pre-flight's first request is asked again after 1, 2 and 4 s (7 s in all) before
# the run calls it unreachable: a staging that restarts as the job starts is not a red job.
DEFAULT_CONNECT_WAIT = 7.0
# Every partner_order_id the suite's own carts send starts with it, so that a staging finds the run's orders (the
# reports list them by id too). Upper case letters and a dash: no system's order id shape refuses them.
ORDER_PREFIX = "JSCT-"
# A SKU no real catalogue is likely to map; override with JAFARSHOP_UNMAPPED_SKU if yours does.
DEFAULT_UNMAPPED_SKU = "CONTRACT-SUITE-UNMAPPED-SKU-0001"


class TargetError(Exception):
    """A setting that is missing or wrong; the message names the variable and the fix."""


@dataclass(frozen=True)
class Setting:
    env: str
    option: str
    help: str


SETTINGS = {
    "base_url": Setting(
        "JAFARSHOP_BASE_URL", "--jafarshop-base-url", "base URL of the API, e.g. http://127.0.0.1:8080/v1"
    ),
    "api_key": Setting("JAFARSHOP_API_KEY", "--jafarshop-api-key", "a partner's API key"),
    "other_api_key": Setting(
        "JAFARSHOP_OTHER_API_KEY",
        "--jafarshop-other-api-key",
        "a second partner's API key (enables cross-partner tests)",
    ),
    "mapped_skus": Setting(
        "JAFARSHOP_MAPPED_SKUS", "--jafarshop-mapped-skus", "comma-separated SKUs that the target maps"
    ),
    "unmapped_sku": Setting(
        "JAFARSHOP_UNMAPPED_SKU",
        "--jafarshop-unmapped-sku",
        f"a SKU the target does not map (default {DEFAULT_UNMAPPED_SKU})",
    ),
    "examples": Setting(
        "JAFARSHOP_EXAMPLES",
        "--jafarshop-examples",
        f"examples per generated test: the run's budget (default {DEFAULT_EXAMPLES})",
    ),
    "shrink": Setting(
        "JAFARSHOP_SHRINK",
        "--jafarshop-shrink",
        "1 to minimise failing examples (more requests and orders on the target; default off)",
    ),
    "admin_token": Setting(
        "JAFARSHOP_ADMIN_TOKEN",
        "--jafarshop-admin-token",
        "optional: the admin token of a target that offers the kit mock's admin API (/__admin); enables the "
        "lifecycle tests that drive orders through every documented transition",
    ),
    "request_timeout": Setting(
        "JAFARSHOP_REQUEST_TIMEOUT",
        "--jafarshop-request-timeout",
        f"seconds one request may take before it fails as unanswered (default {DEFAULT_REQUEST_TIMEOUT:g})",
    ),
    "time_budget": Setting(
        "JAFARSHOP_TIME_BUDGET",
        "--jafarshop-time-budget",
        f"seconds the whole run may take; past it the run stops, exit 7 (default {DEFAULT_TIME_BUDGET:g})",
    ),
    "connect_wait": Setting(
        "JAFARSHOP_CONNECT_WAIT",
        "--jafarshop-connect-wait",
        f"seconds to keep asking a target that does not answer before calling it unreachable, exit 3 (default "
        f"{DEFAULT_CONNECT_WAIT:g}: again after 1, 2 and 4 s; 0 asks once)",
    ),
    "seed": Setting(
        "JAFARSHOP_SEED",
        "--jafarshop-seed",
        "seed of the model phase's workload and sequences (default: a new one each run, named in any failure)",
    ),
    "max_orders": Setting(
        "JAFARSHOP_MAX_ORDERS",
        "--jafarshop-max-orders",
        "cap on orders the run may create on the target; tests that would pass it are skipped (default: no cap)",
    ),
}


@dataclass(frozen=True)
class Target:
    base_url: str
    api_key: str
    other_api_key: str | None
    mapped_skus: tuple[str, ...]
    unmapped_sku: str
    examples: int = DEFAULT_EXAMPLES
    max_orders: int | None = None
    shrink: bool = False
    admin_token: str | None = None
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    time_budget: float = DEFAULT_TIME_BUDGET
    connect_wait: float = DEFAULT_CONNECT_WAIT
    seed: int | None = None

    def __repr__(self) -> str:
        # pytest prints test arguments in failure reports: keys must never appear there in full.
        other = mask(self.other_api_key) if self.other_api_key else None
        return (
            f"Target(base_url={self.base_url!r}, api_key={mask(self.api_key)!r}, other_api_key={other!r}, "
            f"mapped_skus={self.mapped_skus!r}, unmapped_sku={self.unmapped_sku!r}, examples={self.examples}, "
            f"max_orders={self.max_orders}, shrink={self.shrink}, admin_token={mask(self.admin_token or '')!r})"
        )

    @property
    def secrets(self) -> dict[str, str]:
        """Each key the run holds -> the environment variable it comes from (reproductions name the variable)."""
        keys = {self.api_key: "JAFARSHOP_API_KEY", self.other_api_key: "JAFARSHOP_OTHER_API_KEY"}
        keys[self.admin_token] = "JAFARSHOP_ADMIN_TOKEN"
        return {key: variable for key, variable in keys.items() if key}

    @property
    def admin_url(self) -> str:
        """Where the mock's admin API would be: beside the partner API's /v1."""
        return self.base_url.removesuffix("/v1") + "/__admin"

    @property
    def hypothesis_phases(self) -> tuple[Phase, ...]:
        """Shrinking a failure against a live target sends many more requests (and creates orders): opt-in."""
        from hypothesis import Phase

        phases = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target)
        return (*phases, Phase.shrink) if self.shrink else phases

    @property
    def property_examples(self) -> int:
        """Examples for each hand-written domain property: they create real orders, so fewer than fuzzing."""
        return max(3, self.examples // 2)


def _positive_int(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise TargetError(f"{name}={raw!r}: must be a whole number") from None
    if value < 1:
        raise TargetError(f"{name}={raw!r}: must be at least 1")
    return value


def resolve_target(values: Mapping[str, str | None]) -> Target:
    """Build the Target from raw values keyed like SETTINGS (options win over the environment upstream)."""

    def get(key: str) -> str | None:
        value = values.get(key)
        return value.strip() if value and value.strip() else None

    base_url = get("base_url")
    if base_url is None:
        raise TargetError(
            "JAFARSHOP_BASE_URL is not set: point it at the API (e.g. http://127.0.0.1:8080/v1), "
            "or run `jafarshop-contract` (`make contract` in a checkout), which starts the mock when it is unset"
        )
    parsed = urlparse(base_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise TargetError(f"JAFARSHOP_BASE_URL={base_url!r}: must be an http(s) URL such as http://127.0.0.1:8080/v1")
    api_key = get("api_key")
    if api_key is None:
        raise TargetError("JAFARSHOP_API_KEY is not set: give the API key of a partner on the target")
    raw_skus = get("mapped_skus")
    if raw_skus is None:
        raise TargetError(
            "JAFARSHOP_MAPPED_SKUS is not set: list SKUs the target maps, comma-separated (e.g. JDTQ1834,JDTQ2001); "
            "without them no test can create an order"
        )
    mapped = tuple(dict.fromkeys(sku.strip() for sku in raw_skus.split(",") if sku.strip()))
    if not mapped:
        raise TargetError(f"JAFARSHOP_MAPPED_SKUS={raw_skus!r}: lists no SKU")
    unmapped = get("unmapped_sku") or DEFAULT_UNMAPPED_SKU
    if unmapped in mapped:
        raise TargetError(f"JAFARSHOP_UNMAPPED_SKU={unmapped!r} is also in JAFARSHOP_MAPPED_SKUS")
    other = get("other_api_key")
    if other is not None and other == api_key:
        raise TargetError("JAFARSHOP_OTHER_API_KEY must belong to a different partner than JAFARSHOP_API_KEY")
    examples = get("examples")
    max_orders = get("max_orders")
    return Target(
        base_url=base_url.rstrip("/"),
        api_key=api_key,
        other_api_key=other,
        mapped_skus=mapped,
        unmapped_sku=unmapped,
        examples=_positive_int("JAFARSHOP_EXAMPLES", examples) if examples else DEFAULT_EXAMPLES,
        max_orders=_positive_int("JAFARSHOP_MAX_ORDERS", max_orders) if max_orders else None,
        shrink=_flag("JAFARSHOP_SHRINK", values.get("shrink")),
        admin_token=get("admin_token"),
        request_timeout=_seconds("JAFARSHOP_REQUEST_TIMEOUT", get("request_timeout"), DEFAULT_REQUEST_TIMEOUT),
        time_budget=_seconds("JAFARSHOP_TIME_BUDGET", get("time_budget"), DEFAULT_TIME_BUDGET),
        seed=_whole("JAFARSHOP_SEED", get("seed")),
        connect_wait=_seconds("JAFARSHOP_CONNECT_WAIT", get("connect_wait"), DEFAULT_CONNECT_WAIT, zero=True),
    )


def _whole(name: str, raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise TargetError(f"{name}={raw!r}: must be a whole number") from None


def _seconds(name: str, raw: str | None, default: float, *, zero: bool = False) -> float:
    """A number of seconds (a fraction allowed), above 0 (or 0 too with `zero`); `default` when unset."""
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise TargetError(f"{name}={raw!r}: must be a number of seconds, e.g. {default:g}") from None
    if value != value or value in (float("inf"), float("-inf")) or value < 0 or (value == 0 and not zero):
        least = "0 or more" if zero else "more than 0"
        raise TargetError(f"{name}={raw!r}: must be {least} seconds, e.g. {default:g}")
    return value


def _flag(name: str, raw: str | None) -> bool:
    try:
        return parse_flag(name, raw)
    except FlagError as exc:
        raise TargetError(str(exc)) from None


# What --require-full-coverage asks for: the rules the partner API alone can check, or every rule (the supplier's
# side too: moving orders, rotating keys, through the kit mock's admin API).
COVERAGE_SCOPES = ("partner", "all")


def required_coverage(name: str, raw: str | None) -> str | None:
    """JAFARSHOP_REQUIRE_FULL_COVERAGE: partner, all, or yes/no (yes is all); None when nothing is required."""
    if raw is not None and raw.strip().lower() in COVERAGE_SCOPES:
        return raw.strip().lower()
    try:
        return "all" if parse_flag(name, raw) else None
    except FlagError:
        raise TargetError(f"{name}={raw!r}: must be partner, all, or 1/0 (1 is all)") from None


def values_from_environment(environ: Mapping[str, str] = os.environ) -> dict[str, str | None]:
    """The raw settings found in the environment."""
    return {key: environ.get(setting.env) for key, setting in SETTINGS.items()}


_bound: Target | None = None


def bind_target(target: Target) -> None:
    """Make `target` this process's run target (conftest.pytest_configure, before any test module imports)."""
    global _bound
    _bound = target


def bound_target() -> Target:
    """The run target conftest bound, for what must know it at import: test_spec_conformance's schemathesis schemas."""
    if _bound is None:
        raise TargetError(
            "no target bound: run the suite with its conftest (jafarshop-contract, or pytest -c "
            "contract_tests/pytest.ini contract_tests)"
        )
    return _bound


def mask(secret: str) -> str:
    """A key as it may appear in output: its last four characters only."""
    return "****" + secret[-4:] if len(secret) > 8 else "****"
