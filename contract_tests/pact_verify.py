"""Verify a target against each consumer's pact with pact-python's Verifier (Pact's Rust verifier), one consumer at a
time: its API key as the Authorization header, provider states through the relay (pact_states.py), a verdict per
interaction. Imports pact-python only when called: the `pact` extra is optional."""

from __future__ import annotations

import contextlib
import os
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from contract_tests.pact_files import InteractionVerdict, Pact, Verdict
from contract_tests.pact_states import StateRelay

# pact-python's distribution and the extra that installs it: the one line a missing pact-python gets.
PACT_EXTRA_LINE = "pip install 'jafarshop-contract-kit[pact]' (in a checkout: make venv)"


@dataclass(frozen=True)
class Transport:
    """Where the verifier sends the pacts' requests: their paths (/v1/...) go under `url`."""

    url: str
    host: str


def transport(base_url: str) -> Transport:
    """The target's origin and any prefix before /v1 (pacts hold the paths a client requests, /v1 included)."""
    parts = urllib.parse.urlsplit(base_url.rstrip("/"))
    prefix = parts.path.removesuffix("/v1")
    url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, prefix, "", ""))
    return Transport(url, parts.hostname or "localhost")


def verify_pact(
    pact: Pact, target: Transport, api_key: str, relay: StateRelay, timeout_s: int = 30
) -> list[InteractionVerdict]:
    """Each interaction of `pact` against `target`: passed, or failed with the verifier's mismatches."""
    from pact import Verifier

    _quiet()
    verifier = Verifier(pact.provider, host=target.host).add_transport(url=target.url)
    verifier.add_source(pact.path).state_handler(relay.url, body=True).set_request_timeout(timeout_s * 1000)
    verifier.add_custom_header("Authorization", f"Bearer {api_key}").set_coloured_output(enabled=False)
    return _verdicts(verifier, pact.consumer, relay)


def verify_broker(
    url: str, token: str | None, target: Transport, api_key: str, relay: StateRelay, consumer: str | None = None
) -> list[InteractionVerdict]:
    """The pacts a Pact Broker holds for the provider (one consumer's with `consumer`)."""
    from pact import Verifier

    _quiet()
    verifier = Verifier("jafarshop", host=target.host).add_transport(url=target.url)
    verifier.broker_source(url, token=token) if token else verifier.broker_source(url)
    if consumer:
        verifier.filter_consumers(consumer)
    verifier.state_handler(relay.url, body=True).add_custom_header("Authorization", f"Bearer {api_key}")
    verifier.set_coloured_output(enabled=False)
    return _verdicts(verifier, consumer or "(broker)", relay)


def _quiet() -> None:
    # A deploy gate does not report usage statistics to pact.io: the verifier's tracking is off unless asked for.
    os.environ.setdefault("PACT_DO_NOT_TRACK", "true")


def _verdicts(verifier: Any, consumer: str, relay: StateRelay) -> list[InteractionVerdict]:
    with contextlib.suppress(RuntimeError):  # a failed interaction: the results say which
        verifier.verify()
    results: Mapping[str, Any] = verifier.results
    output = verifier.output(strip_ansi=True)
    failures = _failure_lines(output)
    found = []
    for result in results.get("interactionResults", []):
        description = str(result.get("description", ""))
        who = str(result.get("consumer") or consumer)
        if result.get("result") == "OK":
            found.append(InteractionVerdict(who, description, Verdict.PASSED))
            continue
        refused = [
            f"provider state {state!r}: {relay.refused[state]}"
            for state in result.get("providerStates", [])
            if state in relay.refused
        ]
        why = "; ".join(refused + failures.get(description, [])) or _short(str(result.get("result")))
        found.append(InteractionVerdict(who, description, Verdict.FAILED, why))
    for error in results.get("errors", []):
        name = str(error.get("interaction", "")) if isinstance(error, dict) else ""
        if isinstance(error, dict) and not any(name.endswith(v.description) for v in found):
            found.append(
                InteractionVerdict(
                    consumer,
                    str(error.get("interaction", "(pact)")),
                    Verdict.FAILED,
                    _short(str(error.get("mismatch", error))),
                )
            )
    if not found:  # nothing verified is no verdict: fail closed
        found.append(InteractionVerdict(consumer, "(the pact)", Verdict.FAILED, _short(output) or "nothing verified"))
    return found


def _failure_lines(output: str) -> dict[str, list[str]]:
    """The verifier's "Failures:" section, by interaction description: each mismatch on one line."""
    section = output.split("\nFailures:", 1)[-1] if "\nFailures:" in output else ""
    found: dict[str, list[str]] = {}
    current: str | None = None
    for line in section.splitlines():
        head = re.match(r"^\d+\) Verifying a pact between .+? - (.+?)(?: \(\d+s? loading.*)?$", line.strip())
        if head:
            current = head.group(1).strip()
            current = re.sub(r"^(Given .+? - )", "", current)
            found.setdefault(current, [])
            continue
        text = line.strip()
        if current is not None and re.match(r"^\d+\.\d+\)", text):
            found[current].append(_short(re.sub(r"^\d+\.\d+\)\s*", "", text)))
        elif current is not None and found[current] and text and not text.startswith("There were"):
            found[current][-1] = _short(f"{found[current][-1]} {text}")
    return {key: value for key, value in found.items() if value}


def _short(text: str, limit: int = 400) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
