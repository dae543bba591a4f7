"""Where the kit's data files are (specs, fixtures, the docs' text): the copies an installed wheel carries, else the
checkout's top-level folders."""

from __future__ import annotations

from pathlib import Path

# A package of its own, importing nothing: the contract suite reads the spec from here without importing the mock
# (mockserver/__init__.py brings in connexion). Real paths, not importlib.resources: connexion, schemathesis and
# `pytest -c` want files on disk, and a wheel is always installed unzipped.
_PACKAGE = Path(__file__).resolve().parent
# setup.py copies openapi/ and fixtures/ here when it builds a wheel. A checkout or an editable install has no such
# folder and reads the top-level ones, which stay the single source of truth.
PACKAGED_DATA = _PACKAGE / "_data"
CHECKOUT = _PACKAGE.parent


def data_dir(name: str) -> Path:
    """The kit's folder `name` ("openapi", "fixtures" or "docs"): the packaged copy when installed, else the
    checkout's."""
    packaged = PACKAGED_DATA / name
    return packaged if packaged.is_dir() else CHECKOUT / name


OPENAPI_DIR = data_dir("openapi")
FIXTURES_DIR = data_dir("fixtures")
CARTS_DIR = FIXTURES_DIR / "carts"
DOCS_DIR = data_dir("docs")  # the docs' Markdown (the wheel carries no screenshot)


def doc(name: str, anchor: str = "") -> str:
    """Where a message sends its reader: the doc's path on this machine (installed or checkout), and its section."""
    return f"{DOCS_DIR / name}{'#' + anchor if anchor else ''}"
