"""The warnings connexion's imports raise, silenced where the kit's entry points import it: the CLI, the pytest
plugin, jafarshop-certify. Never at `import mockserver`: importing a package changes no process-wide setting."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator


@contextlib.contextmanager
def without_dependency_warnings() -> Iterator[None]:
    """Silence, while connexion is imported, the warnings its imports raise: they are addressed to connexion's authors
    (connexion 3.3 imports starlette's test client, which starlette 1.10 deprecates with httpx, and jsonschema's
    RefResolver; starlette before 1.0 reads anyio's deprecated `anyio.abc.BlockingPortal` there). On every launch
    they would read as the mock's fault, and a partner's `filterwarnings = error` would turn them into
    an ERROR of each test. The filters are restored on leaving."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"connexion\.")
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"starlette\.")
        warnings.filterwarnings(
            "ignore", r"Using `httpx` with `starlette\.testclient` is deprecated", module=r"connexion\."
        )
        yield
