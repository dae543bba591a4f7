"""The reports' Jinja2 templates (graders/render.py, graders/templates/): what a client sent is text in the HTML and
the SVG alike, and the templates ship in the sdist and the wheel."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ElementTree
import zipfile
from pathlib import Path

import pytest

from certify import html_report
from graders.record import Record
from graders.render import environment
from graders.report import RunSummary, outcome
from graders.rules import grade
from graders.timeline import timelines
from tests.helpers import ROOT
from tests.test_certify_rules import submit
from tests.test_certify_timeline import SVG, record

HOSTILE_ID = '<script>alert("pwned")</script>" onload="x'
HOSTILE_KEY = 'k"><script>alert(1)</script>'
TEMPLATES = sorted(path.name for path in (ROOT / "graders" / "templates").glob("*.j2"))


def hostile_record() -> Record:
    return record([submit(1, 1.0, HOSTILE_ID, key=HOSTILE_KEY, status=500, condition="500-once", attempt=1),
                   submit(2, 2.0, HOSTILE_ID, key=HOSTILE_KEY, condition="500-once", attempt=2)])  # fmt: skip


def test_every_template_escapes_what_it_is_given() -> None:
    assert TEMPLATES == ["report.html.j2", "timeline.svg.j2"]
    assert all(environment().get_template(name).environment.autoescape is True for name in TEMPLATES)


def test_a_hostile_partner_order_id_and_key_are_text_in_the_svg() -> None:
    [timeline] = timelines(hostile_record())
    assert "<script" not in timeline.svg and ' onload="x' not in timeline.svg
    assert "&lt;script&gt;" in timeline.svg and "&#34;" in timeline.svg
    drawing = ElementTree.fromstring(timeline.svg)  # well-formed, and reads back as the client sent it
    assert drawing.findtext(f"{SVG}title") == f"Order ?: {HOSTILE_ID}"
    assert HOSTILE_ID in (drawing.get("aria-label") or "")
    tips = [element.findtext(f"{SVG}title") or "" for element in drawing.iter(f"{SVG}g")]
    assert any(f"key {HOSTILE_KEY}" in tip for tip in tips), tips


def test_a_hostile_partner_order_id_is_text_in_the_html_report(tmp_path: Path) -> None:
    data = hostile_record()
    graded = grade(data)
    run = RunSummary(client='python "<b>client</b>".py', hints=['<img src=x onerror="y">'], orders=1)
    text = html_report.write(tmp_path, graded, outcome(graded), run, data).read_text(encoding="utf-8")
    assert "<script" not in text and "<img" not in text and "<b>" not in text
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;&#34; onload=&#34;x" in text
    assert "&lt;b&gt;client&lt;/b&gt;" in text and text.count("<svg") == 1  # the drawing itself is markup


@pytest.mark.wheel
def test_the_templates_ship_in_the_sdist_and_the_wheel(tmp_path: Path) -> None:
    """Built as tests/test_wheel.py builds the kit (the files git lists; the wheel from the sdist)."""
    from tests.test_wheel import _source_copy

    source = _source_copy(tmp_path / "source")
    built = subprocess.run([sys.executable, "-m", "build", "--outdir", str(tmp_path / "dist"), str(source)],
                           cwd=tmp_path, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    [sdist] = (tmp_path / "dist").glob("*.tar.gz")
    [wheel] = (tmp_path / "dist").glob("*.whl")
    with tarfile.open(sdist) as archive:
        in_sdist = sorted(Path(name).name for name in archive.getnames() if "/graders/templates/" in name)
    in_wheel = sorted(Path(name).name for name in zipfile.ZipFile(wheel).namelist() if "graders/templates/" in name)
    assert in_sdist == in_wheel == TEMPLATES
