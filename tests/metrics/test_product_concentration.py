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
def table(product_table):
    return product_table


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
    assert not row["is_country_figure"] and "covers 55.6% of merchandise exports" in row["coverage_note"]
    # Angola 2019 in the Atlas HS subset: mirror-reconciled, 86 % of WDI's total, is its figure.
    ago = table.set_index(["iso3", "year", "product_classification"]).loc[("AGO", 2019, "HS92_2_4")]
    assert ago["is_country_figure"] and ago["coverage_note"] == ""


def test_product_source_without_reference_total_is_not_published(sitc_map):
    """Hand-built: HS6 exports of a year with neither WDI nor a declared goods-totals source (2031)."""
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


# UNCTADstat, "Merchandise: product concentration and diversification indices of exports",
# Botswana 2017 (the reviewer's reading; a current republication of UNCTAD's series shows 0.900).
UNCTADSTAT_BWA_2017 = 0.891


def _equal_split_index(shared_datasets, iso3: str) -> tuple[float, float]:
    """From the raw OTS 2017 HS4 file and the raw HS6 -> SITC Rev.3 table: the UNCTAD index when
    each heading is split over its HS6 subheadings' SITC groups in equal parts, and the share of
    exports in headings whose subheadings fall in more than one SITC group."""
    ots = pd.read_csv(shared_datasets / "economiccomplexity_country_product_exports/world_trade_2017.csv.gz",
                      dtype={"product_code": str}).dropna()
    own = ots[ots["reporter_iso"] == iso3].groupby("product_code")["export_value_usd"].sum()
    flags = pd.read_csv(shared_datasets / "concordances/hs6_unctad_primary_commodity_flag_via_sitc3.csv.gz", dtype=str)
    hs = flags.loc[flags["hs_version"] == "HS2007", ["hs6", "sitc3"]].drop_duplicates()
    hs = hs.assign(h4=hs["hs6"].str[:4])
    hs = hs[hs["h4"].isin(own.index)]
    value = hs["h4"].map(own) / hs["h4"].map(hs["h4"].value_counts())
    s = value.groupby(hs["sitc3"]).sum()
    s = s / s.sum()
    index = (math.sqrt((s ** 2).sum()) - math.sqrt(1 / 261)) / (1 - math.sqrt(1 / 261))
    spans = hs.groupby("h4")["sitc3"].nunique()
    covered = own[own.index.isin(spans.index)]
    return index, covered[covered.index.map(spans) > 1].sum() / covered.sum()


def test_unctad_index_left_empty_where_codes_are_split_by_equal_parts(table, shared_datasets):
    """Defect (d): UNCTAD's N is "the number of products at the three-digit level of SITC Rev.3"
    (UNCTAD/STAT/IE/2019/2); HS4 headings spanning several SITC groups have no finer weights in
    OTS and were split by equal parts. Botswana 2017 (diamonds, 7102: SITC 277 and 667) came out
    0.633 where UNCTADstat publishes 0.891: now the index is empty and the note says why."""
    from pipeline.metrics.product_concentration import MAX_EQUAL_SPLIT
    equal_index, split_share = _equal_split_index(shared_datasets, "bwa")
    assert equal_index == pytest.approx(0.633, abs=5e-4)         # what the old code published
    assert UNCTADSTAT_BWA_2017 - equal_index > 0.25
    row = table.set_index(["iso3", "year", "product_classification"]).loc[("BWA", 2017, "HS07_4")]
    assert row["sitc3_equal_split_share"] == pytest.approx(split_share, rel=1e-9) and split_share > MAX_EQUAL_SPLIT
    assert math.isnan(row["unctad_concentration_index"])
    note = row["unctad_concentration_note"]
    assert f"{split_share:.0%} of exports are in codes split over several SITC Rev.3 groups by equal parts" in note
    assert "0.891" in note
    # Where (almost) nothing is split the index stays: Syria 2017 (crude oil), from the same raw files.
    syr_index, syr_share = _equal_split_index(shared_datasets, "syr")
    syr = table.set_index(["iso3", "year", "product_classification"]).loc[("SYR", 2017, "HS07_4")]
    assert syr_share < MAX_EQUAL_SPLIT and syr["unctad_concentration_index"] == pytest.approx(syr_index, rel=1e-9)
    assert syr["unctad_concentration_note"] == ""
    # No row anywhere publishes an index built mostly from equal parts.
    assert table.loc[table["sitc3_equal_split_share"] > MAX_EQUAL_SPLIT, "unctad_concentration_index"].isna().all()


def test_atlas_rows_always_keep_hhi_and_theil(table, product_bilateral):
    """Defect (c): world-complete Atlas rows are never gated by coverage (on main 686 of 2,566
    lost their indices in the scorecard). Every exporter-year of the raw Atlas rows has a row,
    and the indices of countries below the coverage band equal a plain computation."""
    from pipeline.reference.codes import country_codes
    codes = country_codes()
    raw = product_bilateral[(product_bilateral["product_classification"] == "ATLAS_SECTION")
                            & (product_bilateral["flow"] == "export")]
    # A country's whole basket: every partner but aggregates (ANS and areas n.e.s. included).
    raw = raw[codes.is_economy(raw["reporter_iso3"]) & ~codes.is_aggregate(raw["partner_iso3"])
              & (raw["reporter_iso3"] != raw["partner_iso3"]) & (raw["value_usd"] > 0)]
    # Netherlands Antilles 2011 and 2018, reported beside Curacao, is no row (tests/metrics/test_composites.py).
    raw = raw[~((raw["reporter_iso3"] == "ANT") & raw["year"].isin([2011, 2018]))]
    sectors = table[table["product_classification"] == "ATLAS_SECTION"]
    assert len(sectors) == len(raw[["reporter_iso3", "year"]].drop_duplicates()) == 2564
    assert sectors["product_hhi"].notna().all() and sectors["product_theil"].notna().all()
    by_key = sectors.set_index(["iso3", "year"])
    for iso3, year in [("ARE", 2016), ("SGP", 2017), ("TWN", 2016), ("HKG", 2012)]:
        x = raw[(raw["reporter_iso3"] == iso3) & (raw["year"] == year)].groupby("product_code")["value_usd"].sum()
        s, ratio = x / x.sum(), x / (x.sum() / 10)
        assert by_key.loc[(iso3, year), "product_hhi"] == pytest.approx((s ** 2).sum(), rel=1e-12)
        assert by_key.loc[(iso3, year), "product_theil"] == pytest.approx((ratio * np.log(ratio)).sum() / 10, rel=1e-12)
    for iso3, year in [("ARE", 2016), ("SGP", 2017), ("HKG", 2012)]:   # below 80% of WDI
        assert not by_key.loc[(iso3, year), "is_country_figure"]
        assert "product_hhi and product_theil kept" in by_key.loc[(iso3, year), "coverage_note"]
