"""`make bench`: the mock against Prism under wrk (`python -m bench --help`); the package's root and its error."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class BenchError(Exception):
    """A step of the bench that cannot go on; `python -m bench` prints it as one line and exits 1."""
