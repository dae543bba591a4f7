"""The pacts `jafarshop-contract --pacts` reads: pact files (a file, or a folder's *.json) or a Pact Broker URL, and
the verdict of one interaction. Stdlib only: the breaking-change check (--spec) runs without pact-python."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any


class PactFileError(Exception):
    """A pact source that cannot be read: the message names the file and why."""


class Verdict(StrEnum):
    PASSED = "passed"
    FAILED = "failed"


@dataclass(frozen=True)
class Pact:
    """One pact file: its consumer, the partner id it was written for, its interactions."""

    path: str
    consumer: str
    provider: str
    partner_id: str
    interactions: list[dict[str, Any]]
    document: dict[str, Any]


@dataclass(frozen=True)
class InteractionVerdict:
    """What one interaction of one consumer's pact came to, and why (one line or more)."""

    consumer: str
    description: str
    verdict: Verdict
    why: str = ""


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def load_pacts(source: str) -> list[Pact]:
    """The pact files at `source` (a file or a folder's *.json, sorted); PactFileError for none or a bad one."""
    path = Path(source)
    if path.is_dir():
        files = sorted(path.glob("*.json"))
        if not files:
            raise PactFileError(f"--pacts {source}: no pact file (*.json) in this folder")
    elif path.is_file():
        files = [path]
    else:
        raise PactFileError(f"--pacts {source}: no such file or folder (or give a Pact Broker's http(s) URL)")
    return [load_pact(file) for file in files]


def load_pact(path: Path) -> Pact:
    """One pact file, checked for what verification needs; PactFileError naming the file otherwise."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise PactFileError(f"pact file {path}: not JSON ({exc})") from None
    if not isinstance(document, dict):
        raise PactFileError(f"pact file {path}: not a pact (a JSON object with consumer, provider, interactions)")
    try:
        consumer = str(document["consumer"]["name"])
        provider = str(document["provider"]["name"])
        interactions = list(document["interactions"])
    except (KeyError, TypeError) as exc:
        raise PactFileError(f"pact file {path}: not a pact (missing {exc})") from None
    if not all(isinstance(i, dict) and isinstance(i.get("request"), dict) for i in interactions):
        raise PactFileError(f"pact file {path}: an interaction without a request (only HTTP interactions are verified)")
    meta = document.get("metadata")
    kit = meta.get("jafarshop") if isinstance(meta, dict) else None
    partner_id = str((kit.get("partner_id") if isinstance(kit, dict) else None) or consumer)
    return Pact(str(path), consumer, provider, partner_id, interactions, document)
