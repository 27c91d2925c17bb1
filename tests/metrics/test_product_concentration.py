"""Product HHI and Theil on hand-computed cases, edge cases, and on the real Atlas data."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pipeline.metrics.product_concentration import export_product_concentration, hhi, theil_index


def test_hhi_by_hand():
    # shares 0.5, 0.3, 0.2 -> 0.25 + 0.09 + 0.04 = 0.38
    assert hhi([50, 30, 20]) == pytest.approx(0.38)
    assert hhi([7.0]) == pytest.approx(1.0)            # single product
    assert hhi([10, 0, 10]) == pytest.approx(0.5)      # zeros add nothing
    assert math.isnan(hhi([0.0, 0.0]))                 # nothing exported: undefined, not 0


def test_theil_by_hand():
    # x = (3, 1), N = 2: mu = 2, T = 1/2 (1.5 ln 1.5 + 0.5 ln 0.5) = 0.1308120...
    expected = 0.5 * (1.5 * math.log(1.5) + 0.5 * math.log(0.5))
    assert theil_index([3, 1]) == pytest.approx(expected)
    assert expected == pytest.approx(0.130812, abs=1e-6)
    # Even spread: 0. One product out of N = 10: ln 10 (the maximum).
    assert theil_index([5, 5, 5, 5]) == pytest.approx(0.0)
    assert theil_index([42.0], universe=10) == pytest.approx(math.log(10))
    # Single product in a one-product universe: no concentration to measure.
    assert theil_index([42.0], universe=1) == pytest.approx(0.0)
    # Zeros among the values are products not exported (0 ln 0 = 0): same as a larger universe.
    assert theil_index([3, 1, 0, 0]) == pytest.approx(theil_index([3, 1], universe=4))
    assert math.isnan(theil_index([0, 0]))
    with pytest.raises(ValueError, match="smaller"):
        theil_index([1, 2, 3], universe=2)


def test_table_per_exporter_and_year():
    exports = pd.DataFrame({
        "iso3": ["AGO", "AGO", "AGO", "MUS"], "year": [2019, 2019, 2019, 2019],
        "product_code": ["3", "4", "9", "0"], "value_usd": [90.0, 5.0, 5.0, 10.0],
    })
    table = export_product_concentration(exports, universe=10).set_index("iso3")
    assert table.loc["AGO", "product_hhi"] == pytest.approx(0.81 + 0.0025 + 0.0025)
    assert table.loc["AGO", "n_products"] == 3 and table.loc["AGO", "exports_usd"] == pytest.approx(100.0)
    ratio = np.array([9.0, 0.5, 0.5])  # x / mu with mu = 100 / 10
    assert table.loc["AGO", "product_theil"] == pytest.approx((ratio * np.log(ratio)).sum() / 10)
    assert table.loc["MUS", "product_hhi"] == pytest.approx(1.0)
    assert table.loc["MUS", "product_theil"] == pytest.approx(math.log(10))


SUBSET = {"AGO", "BWA", "COD", "COM", "LSO", "MDG", "MWI", "MUS", "MOZ", "NAM", "SYC", "SWZ", "ZMB", "ZWE",
          "BEN", "BFA", "CPV", "CIV", "GMB", "GIN", "GNB", "LBR", "MLI", "NER", "SEN", "SLE", "TGO",
          "ARM", "KGZ", "GEO", "MDA"}  # the Atlas HS subset's MANIFEST


@pytest.fixture(scope="module")
def sitc_map(shared_datasets):
    from pipeline.metrics.commodity import FLAG_FILE, load_sitc_map
    return load_sitc_map(shared_datasets / FLAG_FILE)


@pytest.fixture(scope="module")
def macro(shared_datasets):
    from pipeline.sources.files import FilesSource, read_file_input
    from pipeline.transform.canonical import finalize_macro_indicators
    return finalize_macro_indicators([read_file_input(i) for i in FilesSource(shared_datasets).discover("macro_indicators")])


@pytest.fixture(scope="module")
def table(product_bilateral, sitc_map, macro):
    from pipeline.metrics.dependency import product_concentration_table
    return product_concentration_table(product_bilateral, sitc_map, macro)


def test_real_atlas_sector_indices_within_bounds(table):
    sectors = table[table["product_classification"] == "ATLAS_SECTION"]
    assert sectors["product_hhi"].between(1 / 10 - 1e-12, 1).all()
    assert sectors["product_theil"].between(0, math.log(10) + 1e-12).all()
    # HHI >= 1/n and Theil <= ln N hold for every classification.
    assert (table["product_hhi"] >= 1 / table["n_products"] - 1e-12).all()
    # Angola exports crude oil: Minerals dominate, its sector HHI is far above Germany's.
    ago = sectors.set_index(["iso3", "year"]).loc[("AGO", 2019)]
    deu = sectors.set_index(["iso3", "year"]).loc[("DEU", 2019)]
    assert ago["product_hhi"] > 0.8 > 0.3 > deu["product_hhi"]
    # The HS subset covers its 31 countries in full; other exporters only when (nearly) all their
    # exports go to those 31 (the Netherlands Antilles in 2011, a few thousand dollars).
    hs = table[table["product_classification"] == "HS92_2_4"]
    others = hs[~hs["iso3"].isin(SUBSET)]
    assert len(others) <= 2 and (others["exports_usd"] < 1e8).all()
    assert set(hs.loc[hs["year"] == 2019, "iso3"]) == SUBSET
    assert table["commodity_export_share"].dropna().between(0, 1).all()
    assert table["unctad_concentration_index"].dropna().between(0, 1).all()


def test_unctad_concentration_index_by_hand():
    """UNCTADstat concentration index: H = (sqrt(sum s^2) - sqrt(1/N)) / (1 - sqrt(1/N))."""
    from pipeline.metrics.product_concentration import SITC3_GROUPS, unctad_concentration_index
    assert unctad_concentration_index([5.0]) == pytest.approx(1.0)                 # one product
    assert unctad_concentration_index(np.ones(261)) == pytest.approx(0.0, abs=1e-12)  # even over N
    # Two equal products, N = 261: (sqrt(0.5) - sqrt(1/261)) / (1 - sqrt(1/261)) = 0.645209 / 0.938102 = 0.687781
    assert unctad_concentration_index([1.0, 1.0]) == pytest.approx((0.5 ** 0.5 - 261 ** -0.5) / (1 - 261 ** -0.5))
    assert unctad_concentration_index([1.0, 1.0]) == pytest.approx(0.687781, abs=1e-6)
    assert math.isnan(unctad_concentration_index([0.0]))
    assert SITC3_GROUPS == 261


def test_sitc3_group_count_from_the_classification(shared_datasets):
    """N: SITC Rev.3 3-digit groups in the UN code list (division titles padded with a 0 left out)."""
    from pipeline.metrics.product_concentration import SITC3_GROUPS
    titles = pd.read_csv(shared_datasets / "concordances/code_descriptions_hs_sitc_bec.csv.gz", dtype=str)
    codes = titles.loc[titles["classification"] == "SITC Rev.3", "code"]
    groups = codes[(codes.str.len() == 3) & ~codes.str.endswith("0")]
    assert groups.nunique() == SITC3_GROUPS


def test_unctad_index_of_south_africa_2021_by_hand(table, shared_datasets):
    """Independent: the raw BACI HS6 rows regrouped on SITC Rev.3 with plain pandas."""
    baci = pd.read_csv(shared_datasets / "baci_hs6_bilateral_zaf_afg/baci_hs92_2021_v202301_exports_zaf_afg.csv.gz",
                       dtype={"hs6": str})
    baci = baci[(baci["exporter_iso3"] == "ZAF") & (baci["importer_iso3"] != "ZAF")]
    flags = pd.read_csv(shared_datasets / "concordances/hs6_unctad_primary_commodity_flag_via_sitc3.csv.gz", dtype=str)
    sitc = flags[flags["hs_version"] == "HS1992"].set_index("hs6")["sitc3"]
    by_group = baci.groupby(baci["hs6"].map(sitc))["value_kusd"].sum()
    s = by_group / by_group.sum()
    expected = (math.sqrt((s ** 2).sum()) - math.sqrt(1 / 261)) / (1 - math.sqrt(1 / 261))
    row = table.set_index(["iso3", "year", "product_classification"]).loc[("ZAF", 2021, "HS92_6")]
    assert row["unctad_concentration_index"] == pytest.approx(expected, rel=1e-9)
    assert row["sitc3_equal_split_share"] == 0.0


def test_the_56_percent_extract_is_not_south_africas_figure(table, shared_datasets):
    """Issue 12: the BACI extract holds about 56 % of South Africa's 2021 merchandise exports
    (WDI TX.VAL.MRCH.CD.WT); the row stays, with its reason, but is not the country's figure."""
    wdi = pd.read_csv(shared_datasets / "wdi_datahub_extract/wdi_extract_long.csv.gz")
    reference = wdi[(wdi["indicator"] == "TX.VAL.MRCH.CD.WT") & (wdi["country_code"] == "ZAF")
                    & (wdi["year"] == 2021)]["value"].iloc[0]
    baci = pd.read_csv(shared_datasets / "baci_hs6_bilateral_zaf_afg/baci_hs92_2021_v202301_exports_zaf_afg.csv.gz")
    own = baci.loc[(baci["exporter_iso3"] == "ZAF") & (baci["importer_iso3"] != "ZAF"), "value_kusd"].sum() * 1000
    row = table.set_index(["iso3", "year", "product_classification"]).loc[("ZAF", 2021, "HS92_6")]
    assert row["coverage_share"] == pytest.approx(own / reference) and 0.5 < row["coverage_share"] < 0.6
    assert row["coverage_reference"] == "WDI TX.VAL.MRCH.CD.WT"
    assert not row["is_country_figure"] and "covers 56% of merchandise exports" in row["coverage_note"]
    # Angola 2019 in the Atlas HS subset: mirror-reconciled, 86 % of WDI's total, is its figure.
    ago = table.set_index(["iso3", "year", "product_classification"]).loc[("AGO", 2019, "HS92_2_4")]
    assert ago["is_country_figure"] and ago["coverage_note"] == ""


def test_product_source_without_reference_total_is_not_published(sitc_map):
    """Hand-built: HS6 exports of a year with neither bilateral TOTAL nor WDI (2031)."""
    from pipeline.metrics.dependency import product_concentration_table
    bilateral = pd.DataFrame({
        "reporter_iso3": "ZAF", "partner_iso3": ["CHN", "DEU"], "year": 2031, "flow": "export",
        "product_classification": "HS92_6", "product_code": ["710812", "870323"], "value_usd": [6e9, 4e9],
        "source": "hand-built",
    })
    row = product_concentration_table(bilateral, sitc_map, macro=None).iloc[0]
    assert row["coverage_reference"] == "none" and not row["is_country_figure"]
    assert "no reference total" in row["coverage_note"]
    assert row["commodity_export_share"] == pytest.approx(0.6) and not row["commodity_dependent"]
