"""The one reading of a yes/no environment variable, for every command of the kit."""

from __future__ import annotations

import os
from collections.abc import Mapping

YES = ("1", "true", "yes", "on")
NO = ("0", "false", "no", "off")
ALLOWED = "1/0, true/false, yes/no or on/off"


class FlagError(ValueError):
    """A yes/no variable with another value; the message names the variable and what it allows."""


def parse_flag(name: str, raw: str | None, default: bool = False) -> bool:
    """`raw` as yes or no (case and surrounding spaces ignored); unset or empty is `default`; anything else raises."""
    if raw is None or not raw.strip():
        return default
    value = raw.strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise FlagError(f"{name}={raw!r}: must be {ALLOWED}")


def env_flag(name: str, environ: Mapping[str, str] | None = None, default: bool = False) -> bool:
    """The yes/no environment variable `name` (see parse_flag)."""
    return parse_flag(name, (os.environ if environ is None else environ).get(name), default)
