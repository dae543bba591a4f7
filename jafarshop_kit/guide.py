"""The integration guide's retry schedule, written once: the graders grade against it, the mock's scenario and the
contract suite's replay test read it, and a test checks that the docs and the specs print the same numbers."""

from __future__ import annotations

# The guide's Retry Strategy: "Max retries: 3", "Wait: 1s, 2s, 4s" (exponential backoff).
BACKOFF_SECONDS: tuple[float, ...] = (1.0, 2.0, 4.0)
MAX_RETRIES = len(BACKOFF_SECONDS)


def backoff_words(unit: str = " s") -> str:
    """The waits as the reports write them: "1 s, 2 s, 4 s"."""
    return ", ".join(f"{wait:g}{unit}" for wait in BACKOFF_SECONDS)
