"""Build hook: a wheel carries copies of the top-level openapi/, fixtures/ and the docs' text (docs/*.md) as
jafarshop_kit/_data."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# The checkout keeps them at the top, where a partner looks for them; an installed kit reads them through
# jafarshop_kit/resources.py, which prefers this packaged copy.
# The docs go too, so that a message of an installed kit ("format: .../docs/mock.md") names a file that is there.
DATA_FILES = {"openapi": ("*.yaml", "*.json"), "fixtures": ("*.yaml", "*.json"), "docs": ("*.md",)}
PACKAGED = Path("jafarshop_kit") / "_data"


class BuildPyWithData(build_py):
    """build_py, then the data folders copied into the built package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return  # an editable install reads the checkout's folders in place
        target = Path(self.build_lib) / PACKAGED
        shutil.rmtree(target, ignore_errors=True)  # build/ is reused between builds: no file removed upstream lingers
        for name, patterns in DATA_FILES.items():
            for source in sorted(path for pattern in patterns for path in (ROOT / name).rglob(pattern)):
                copy = target / source.relative_to(ROOT)
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, copy)
        if not (target / "openapi" / "partner-api.yaml").is_file():
            raise SystemExit(f"setup.py: no openapi/partner-api.yaml under {ROOT} (is MANIFEST.in complete?)")


setup(cmdclass={"build_py": BuildPyWithData})
