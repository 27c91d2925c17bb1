"""Which countries get a brief: an unknown ISO3 is named before anything runs; a brief of an
unpublished warehouse says to publish it first. Fast: no run needed."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from assets.preflight import setting_problems
from assets.settings import default
from pipeline.briefs import UnknownCountry, WarehouseNotPublished, WarehouseView, parse_countries
from tests.conftest import REPO_ROOT


def test_country_codes_are_checked_and_named():
    assert parse_countries("bgd, IND ZAF,BGD") == ["BGD", "IND", "ZAF"]
    assert len(parse_countries(default("TRADE_BRIEF_COUNTRIES"))) == 12
    with pytest.raises(UnknownCountry, match=r"TRADE_BRIEF_COUNTRIES: XYZ is no ISO 3166-1 alpha-3 code"):
        parse_countries("BGD,XYZ")
    with pytest.raises(UnknownCountry, match=r"ROM \(did you mean ROU\?\)"):
        parse_countries("ROM")
    for aggregate in ("WLD", "EUU", "UNS"):  # aggregates and areas n.e.s. are no country
        with pytest.raises(UnknownCountry, match=aggregate):
            parse_countries(aggregate)


def test_make_run_refuses_an_unknown_country_before_the_run(tmp_path):
    env = {"TRADE_BRIEF_COUNTRIES": "BGD,QQQ", "TRADE_WAREHOUSE_DIR": str(tmp_path / "w"),
           "DAGSTER_HOME": str(tmp_path / "home"), "TRADE_SOURCES": "auto", "TRADE_BULK_DIR": "",
           "COMTRADE_YEARS": "2019-2022", "COMTRADE_REPORTERS": "BGD", "TRADE_COVERAGE_TOLERANCE": "0.01"}
    assert any(p.startswith("TRADE_BRIEF_COUNTRIES: QQQ is no ISO 3166-1") for p in setting_problems(env))
    proc = subprocess.run([sys.executable, "-m", "assets.run"], cwd=REPO_ROOT, capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120)
    assert proc.returncode == 2 and "TRADE_BRIEF_COUNTRIES: QQQ is no ISO 3166-1" in proc.stderr, proc.stderr
    assert "nothing was run" in proc.stderr and not (tmp_path / "home").exists()


def test_brief_cli_names_an_unknown_country_and_an_unpublished_warehouse(tmp_path):
    env = {**os.environ, "TRADE_WAREHOUSE_DIR": str(tmp_path / "empty")}
    proc = subprocess.run([sys.executable, "-m", "assets.brief", "BGD", "XYZ"], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "country: XYZ is no ISO 3166-1 alpha-3 code" in proc.stderr, proc.stderr
    proc = subprocess.run([sys.executable, "-m", "assets.brief", "BGD"], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "has not been published yet" in proc.stderr and "make run" in proc.stderr
    assert "Traceback" not in proc.stderr
    with pytest.raises(WarehouseNotPublished, match="TRADE_WAREHOUSE_DIR"):
        WarehouseView(tmp_path / "empty")
