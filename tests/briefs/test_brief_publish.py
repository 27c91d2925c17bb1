"""Briefs are published like the tables (issue 14): `make brief` adds a country in one switch and
keeps the others; briefs staged by a run that fails are never visible. A country with little data
(South Sudan: outside WIOD, the HS product files, end use, the STRI and every GE panel) gets a
brief that says what is missing and why."""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from pipeline.briefs import WarehouseView, write_briefs
from pipeline.briefs.publish import stage_briefs
from pipeline.warehouse import Warehouse, lock, read_catalog
from tests.briefs.test_brief_figures import EMPTY_WORDS, figures_of, page_text
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow  # reads the session's `make run`


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_make_brief_publishes_in_one_switch_and_a_failed_run_publishes_nothing(warehouse, tmp_path):
    root = tmp_path / "warehouse"
    shutil.copytree(warehouse, root, symlinks=True)  # a plain copy (the root link followed), 60 MB
    before = read_catalog(root)["snapshot"]  # adopted by the brief's run, its catalog kept
    bgd = _digest(root / "briefs" / "BGD.html")
    env = {**os.environ, "TRADE_WAREHOUSE_DIR": str(root)}
    proc = subprocess.run([sys.executable, "-m", "assets.brief", "SSD"], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)  # what `make brief C=SSD` runs
    assert proc.returncode == 0, proc.stderr
    assert f"{root}/briefs/SSD.html (South Sudan: Goods exports $" in proc.stdout
    after = Warehouse(root).current()
    assert after is not None and after.name != before and (after / "briefs" / "SSD.html").is_file()  # switched
    assert f"from warehouse snapshot {before}." in (root / "briefs" / "SSD.html").read_text()  # the one read
    assert "from warehouse snapshot of run " in (root / "briefs" / "BGD.html").read_text()  # written by the run
    assert _digest(root / "briefs" / "BGD.html") == bgd  # the other briefs kept as they were
    index = (root / "briefs" / "index.html").read_text()
    assert 'href="SSD.html"' in index and 'href="BGD.html"' in index
    assert json.loads((root / "catalog.json").read_text())["tables"].keys() == \
        json.loads((warehouse / "catalog.json").read_text())["tables"].keys()
    # A run stages the briefs of KEN only, then fails: its teardown discards the staging directory
    run_id = "failing-run"
    lock.acquire(root, run_id)
    try:
        staged, made = stage_briefs(root, run_id, ["KEN"])
        assert (staged / "KEN.html").is_file() and not (staged / "BGD.html").exists()
        assert (root / "briefs" / "SSD.html").is_file()  # nothing of the run is visible yet
        Warehouse(root).discard(run_id)  # what ParquetWarehouseIOManager does when a step failed
    finally:
        lock.release(root, run_id)
    assert Warehouse(root).current() == after and (root / "briefs" / "SSD.html").is_file()
    assert _digest(root / "briefs" / "BGD.html") == bgd


def test_a_country_with_little_data_says_what_is_missing_and_why(warehouse, tmp_path):
    briefs = write_briefs(WarehouseView(warehouse), ["SSD"], tmp_path)
    brief = briefs["SSD"]
    html = (tmp_path / "SSD.html").read_text()
    text = page_text(html)
    by_id = {s["id"]: s for s in brief["sections"]}
    assert by_id["trade"]["blocks"] and not by_id["trade"]["missing"]  # the Atlas sectors cover the world
    for sid, expected in {
        "end_use": "end_use_trade, from HS product flows complete against world trade, covers 33 economies; "
                   "South Sudan is not among them",
        "value_chains": "covers 40 economies; South Sudan is not among them",
        "scenarios": "covers 80 economies; South Sudan is not among them",
    }.items():
        assert not by_id[sid]["blocks"], sid  # no table, no plot: one line
        assert [line for line in by_id[sid]["missing"] if expected in line], (sid, by_id[sid]["missing"])
    services = " ".join(by_id["services"]["missing"])
    assert "services_restrictiveness_profile" in services and "South Sudan is not among them" in services
    assert "OECD BaTIS" in services  # the source that would cover it
    commodity = " ".join(by_id["commodities"]["missing"])
    assert "UNCTAD commodity share: not available for South Sudan" in commodity
    assert not EMPTY_WORDS.search(text)
    # plots only where a section has data: every <img> sits in a section with figures
    for sid, section in by_id.items():
        chunk = html.split(f'id="{sid}"')[1].split("</section>")[0]
        plotted = len(re.findall(r"<img ", chunk))
        assert plotted == sum(1 for b in section["blocks"] if b["kind"] == "plot"), sid
    assert all(f["table"] for f in figures_of(brief["sections"]))
