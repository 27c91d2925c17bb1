"""Every number of a brief is the warehouse cell it names, read back here from the Parquet files
with pandas (not through pipeline.briefs); three figures of the Bangladesh brief are checked
against the raw shared files (WDI, the Atlas sectors file); the page shows no empty value."""
from __future__ import annotations

import gzip
import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.conftest import REPO_ROOT, SHARED_DATASETS

pytestmark = pytest.mark.slow  # reads the session's `make run`

SECTIONS = ["trade", "groups", "commodities", "end_use", "strategic", "value_chains", "services", "scenarios",
            "methods"]
EMPTY_WORDS = re.compile(r"\b(nan|NaN|NaT|undefined|inf)\b")  # anywhere on the page
VALUE_CELL = re.compile(r'<(dd|td class="n")>(.*?)</(dd|td)>', re.S)  # where figures are shown
EU27_2020 = set("AUT BEL BGR HRV CYP CZE DNK EST FIN FRA DEU GRC HUN IRL ITA LVA LTU LUX MLT NLD POL PRT ROU SVK "
                "SVN ESP SWE".split())  # the EU on 1 July 2020 (the UK left on 31 January 2020)


def figures_of(node):
    """Every dict with table, column, key and value in a companion, walked here independently."""
    if isinstance(node, dict):
        if {"table", "column", "key", "value"} <= node.keys():
            yield node
        for value in node.values():
            yield from figures_of(value)
    elif isinstance(node, list):
        for value in node:
            yield from figures_of(value)


def primary_key(table: str) -> set[str]:
    spec = yaml.safe_load((REPO_ROOT / "data_contracts" / f"{table}.yaml").read_text())
    return {p["name"] for p in spec["schema"][0]["properties"] if p.get("primaryKey")}


def cell(warehouse: Path, figure: dict):
    filters = [(k, "==", v) for k, v in figure["key"].items()]
    rows = pd.read_parquet(warehouse / figure["table"], filters=filters, columns=[figure["column"]])
    assert len(rows) == 1, f"{figure['table']} {figure['key']} selects {len(rows)} rows"
    return rows.iloc[0, 0]


def companion(warehouse: Path, iso3: str) -> dict:
    return json.loads((warehouse / "briefs" / f"{iso3}.json").read_text())


@pytest.mark.parametrize("iso3", ["BGD", "IND", "ZAF"])
def test_every_figure_equals_the_warehouse_cell_it_names(warehouse, iso3):
    data = companion(warehouse, iso3)
    found = list(figures_of(data["sections"]))
    assert len(found) > 40, f"{iso3}: only {len(found)} figures"
    for f in found:
        assert set(f["key"]) == primary_key(f["table"]), f  # the key picks one row by the table's key
        expected = cell(warehouse, f)
        assert not pd.isna(expected), f
        if isinstance(f["value"], float):
            assert f["value"] == float(expected), f
        else:
            assert f["value"] == (expected.item() if hasattr(expected, "item") else expected), f
        assert f["definition"] and f["display"] and "nan" not in f["display"].lower(), f
    headline = data["headline"]
    assert [h["label"] for h in headline][:2] == ["Goods exports", "Trade openness, % of GDP"]


def _wdi(indicator: str, iso3: str, year: int) -> float:
    with gzip.open(SHARED_DATASETS / "wdi_datahub_extract" / "wdi_extract_long.csv.gz", "rt") as handle:
        wdi = pd.read_csv(handle)
    row = wdi[(wdi["indicator"] == indicator) & (wdi["country_code"] == iso3) & (wdi["year"] == year)]
    return float(row["value"].iloc[0])


def test_bangladesh_figures_match_the_raw_files_and_wdi(warehouse):
    """Goods exports 2020 against WDI merchandise exports (TX.VAL.MRCH.CD.WT, a published
    figure: within 1%), openness against WDI NE.EXP + NE.IMP, the EU's share of exports and the
    largest market computed here from the Atlas sectors file (the definition: exports to the 27
    members of 1 July 2020 over all exports)."""
    by = {(f["table"], f["column"], json.dumps(f["key"], sort_keys=True)): f
          for f in figures_of(companion(warehouse, "BGD")["sections"])}

    def get(table, column, **key):
        return by[(table, column, json.dumps(key, sort_keys=True))]["value"]

    exports = get("country_trade_profile", "exports_usd", iso3="BGD", year=2020)
    assert exports == pytest.approx(_wdi("TX.VAL.MRCH.CD.WT", "BGD", 2020), rel=0.01)  # 33.53bn vs WDI 33.61bn
    openness = get("country_trade_profile", "trade_openness_pct", iso3="BGD", year=2020)
    assert openness == pytest.approx(_wdi("NE.EXP.GNFS.ZS", "BGD", 2020) + _wdi("NE.IMP.GNFS.ZS", "BGD", 2020))
    atlas = pd.read_csv(SHARED_DATASETS / "atlas_bilateral_sections_2010_2020" / "atlas_bilateral_sections_2010_2020.csv.gz",
                        dtype={"exporter": str, "importer": str})
    bgd = atlas[(atlas["exporter"] == "BGD") & (atlas["year"] == 2020)]
    total = bgd["export_value_usd"].sum()
    assert exports == pytest.approx(total, rel=1e-12)
    eu = bgd.loc[bgd["importer"].isin(EU27_2020), "export_value_usd"].sum() / total
    assert get("country_group_exposure", "share", iso3="BGD", year=2020, group_id="EU", direction="exports") \
        == pytest.approx(eu, rel=1e-9)
    by_market = bgd.groupby("importer")["export_value_usd"].sum()
    assert get("country_trade_profile", "top_export_partner_iso3", iso3="BGD", year=2020) == by_market.idxmax() == "DEU"


def page_text(html: str) -> str:
    """The page without its embedded images (base64 may spell anything)."""
    return re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "data:", html)


@pytest.mark.parametrize("iso3", ["BGD", "IND", "ZAF"])
def test_page_has_every_section_and_no_empty_value(warehouse, iso3):
    html = (warehouse / "briefs" / f"{iso3}.html").read_text()
    for sid in SECTIONS:
        assert f'id="{sid}"' in html, (iso3, sid)
    text = page_text(html)
    assert not EMPTY_WORDS.search(text), EMPTY_WORDS.search(text).group(0) + " in " + \
        text[max(0, EMPTY_WORDS.search(text).start() - 200):EMPTY_WORDS.search(text).end() + 50]
    values = [re.sub(r"<sup>.*?</sup>", "", m.group(2)).strip() for m in VALUE_CELL.finditer(html)]
    assert len(values) > 40
    for value in values:  # a figure's display, or the dash of a cell the table leaves empty
        assert value and value not in ("None", "null", "nan", "NaN", "") and "None" not in value, (iso3, value)
    assert not re.search(r'(src|href)="(?!data:|#)', html), iso3


def test_bangladesh_says_what_it_lacks_and_why(warehouse):
    html = page_text((warehouse / "briefs" / "BGD.html").read_text())
    # Not in WIOD 2013 (40 economies): value chains name the release and the coverage
    assert re.search(r"Value-chain participation: value_chain_exposure, from the WIOD 2013 release(?:'|&#39;)s input-output "
                     r"tables, covers 40 economies; Bangladesh is not among them", html)
    assert "Bangladesh is not among them" in html.split('id="scenarios"')[1]
    index = (warehouse / "briefs" / "index.html").read_text()
    for iso3 in ("BGD", "IND", "ZAF"):
        assert f'href="{iso3}.html"' in index
    assert not EMPTY_WORDS.search(page_text(index))


def test_every_number_is_finite(warehouse):
    for path in (warehouse / "briefs").glob("*.json"):
        for f in figures_of(json.loads(path.read_text())):
            if isinstance(f["value"], float):
                assert math.isfinite(f["value"]), (path.name, f)
