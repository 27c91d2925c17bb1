"""A real browser (Debian chromium, headless, as tests/test_ui.py drives it) opens the Bangladesh
brief of the session's `make run`: every section is there, every plot is a PNG that decodes and
is not blank, nothing is referenced outside the page, it prints to PDF; a screenshot is taken
(UPDATE_SCREENSHOTS=1 also copies it to docs/country_brief_BGD.png for the README)."""
from __future__ import annotations

import base64
import io
import os
import re
import shutil
import subprocess
import tempfile

import pytest
from PIL import Image

from tests.briefs.test_brief_figures import SECTIONS
from tests.conftest import REPO_ROOT
from tests.test_ui import CHROMIUM_FLAGS, _chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _chromium_run(*args: str, window: str = "1200,900") -> subprocess.CompletedProcess:
    flags = [f if not f.startswith("--window-size=") else f"--window-size={window}" for f in CHROMIUM_FLAGS]
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([_chromium(), *flags, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=180)


def test_chromium_opens_the_bangladesh_brief(warehouse, tmp_path):
    url = (warehouse / "briefs" / "BGD.html").resolve().as_uri()
    dom = _chromium_run("--dump-dom", url).stdout
    assert "<h1>Bangladesh (BGD): trade and trade agreements</h1>" in dom, dom[:2000]
    shown = re.findall(r'data-section="([a-z_]+)"', dom)
    assert shown == SECTIONS
    images = re.findall(r'<img alt="([^"]*)" src="([^"]*)"', dom)
    assert len(images) >= 3  # trade, openness, group shares at least
    for alt, src in images:
        assert src.startswith("data:image/png;base64,"), alt
        picture = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
        picture.load()
        assert picture.format == "PNG" and picture.width >= 400 and picture.height >= 150, alt
        low, high = picture.convert("L").getextrema()
        assert high - low > 100, f"plot {alt!r} is blank"
    references = re.findall(r'\b(?:src|href)="([^"]*)"', dom)
    assert references and all(r.startswith(("data:", "#")) for r in references), \
        [r[:80] for r in references if not r.startswith(("data:", "#"))]
    assert not re.search(r"<(script|link|iframe|object)\b", dom) and "url(" not in dom and "@import" not in dom
    shot = tmp_path / "country_brief_BGD.png"
    _chromium_run(f"--screenshot={shot}", url, window="1200,2200")
    picture = Image.open(shot)
    assert picture.size == (1200, 2200) and len(set(picture.convert("L").getdata())) > 20
    pdf = tmp_path / "BGD.pdf"
    _chromium_run("--no-pdf-header-footer", f"--print-to-pdf={pdf}", url)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", data)) >= 3
    if os.environ.get("UPDATE_SCREENSHOTS"):
        (REPO_ROOT / "docs").mkdir(exist_ok=True)
        shutil.copy(shot, REPO_ROOT / "docs" / shot.name)
