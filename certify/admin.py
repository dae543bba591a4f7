"""The mock being certified against, over its admin API: arming a run, reading its record, the client's settings."""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import Any

from graders.record import Record, Settings, partner_orders
from mockserver.admin_client import AdminHTTPError, admin_request
from mockserver.http.spec import ADMIN_BASE, PARTNER_BASE

PROG = "jafarshop-certify"


class UsageError(Exception):
    """A wrong option or setting: one line naming it and the fix, exit 2."""


class Admin:
    """The admin API of the mock being used, over HTTP."""

    def __init__(self, url: str, token: str) -> None:
        root = url.rstrip("/")
        for suffix in (PARTNER_BASE, ADMIN_BASE):
            root = root.removesuffix(suffix)
        if not root.startswith(("http://", "https://")):
            raise UsageError(f"--attach {url!r}: must be an http(s) URL such as http://127.0.0.1:8080")
        self.root, self.token = root, token

    @property
    def partner_url(self) -> str:
        """The partner API's base URL on that mock (http://127.0.0.1:8080/v1)."""
        return f"{self.root}{PARTNER_BASE}"

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            return admin_request(f"{self.root}{ADMIN_BASE}", self.token, method, path, body)
        except AdminHTTPError as error:
            if error.status == 401:
                raise UsageError(f"{self.root}: the admin token was refused; pass the mock's with --admin-token "
                                 "or JAFARSHOP_ADMIN_TOKEN") from None  # fmt: skip
            if error.status == 404 and method == "GET" and path == "/certification":
                raise UsageError(f"{self.root}: no certification run is armed; arm one with "
                                 f"`{PROG} --attach {self.root}`, drive your client, then grade") from None  # fmt: skip
            if error.status == 404:
                raise UsageError(f"{self.root}: no JafarShop mock with certification answers there ({error})") from None
            raise UsageError(f"{self.root}{ADMIN_BASE}{path}: {error}") from None
        except OSError as error:  # urllib's URLError is one
            reason = getattr(error, "reason", error)
            raise UsageError(f"--attach {self.root}: cannot reach it ({reason}); is the mock running there?") from None

    def record(self) -> Record:
        """The armed run's record so far."""
        found: Record = self.call("GET", "/certification")
        return found

    def arm(self, options: argparse.Namespace) -> Settings:
        with contextlib.suppress(UsageError):  # none armed: a 404
            armed_before = self.call("GET", "/certification")
            recorded = len(armed_before["entries"])
            print(f"{PROG}: replacing the run armed {armed_before['elapsed']:.0f} s ago on {self.root} "
                  f"({recorded} requests recorded); its key stops working", file=sys.stderr)  # fmt: skip
        body: dict[str, Any] = {"time_scale": options.time_scale, "slow_seconds": options.slow_seconds}
        if options.scenario:
            body["scenario"] = options.scenario
        armed: Settings = self.call("POST", "/certification", body)
        return armed

    def stop(self) -> str:
        """End the armed run; what was stopped, in words (or that none was armed)."""
        try:
            armed = self.call("GET", "/certification")
        except UsageError:  # a 404: none armed; a refused token or no mock is raised again by the DELETE
            armed = None
        self.call("DELETE", "/certification")
        if armed is None:
            return f"no certification run was armed on {self.root}: nothing to stop"
        orders = partner_orders(armed)
        return (f"stopped the certification run armed {armed['elapsed']:.0f} s ago on {self.root} (partner "
                f"{armed['partner_id']}, {len(armed['entries'])} requests recorded, {orders} partner orders); its "
                "record is gone and its requests are no longer shaped by the scenario")  # fmt: skip


def client_environment(admin: Admin, armed: Settings) -> dict[str, str]:
    """The client's environment for the run `armed`."""
    return {
        "JAFARSHOP_BASE_URL": admin.partner_url,
        "JAFARSHOP_API_KEY": armed["api_key"],
        "JAFARSHOP_MAPPED_SKUS": ",".join(armed["mapped_skus"]),
        "JAFARSHOP_UNMAPPED_SKU": armed["unmapped_sku"],
        "JAFARSHOP_TIME_SCALE": f"{armed['time_scale']:g}",
        "JAFARSHOP_CERTIFY_ORDERS": str(len(armed["scenario"])),
    }
