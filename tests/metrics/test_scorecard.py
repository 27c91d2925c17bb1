"""The scorecard joins headline indicators without changing them, one row per country-year."""
from __future__ import annotations

import pandas as pd
import pytest

from pipeline.contracts import load_contract
from pipeline.metrics.scorecard import HEADLINE_GROUPS, country_scorecard

PROFILE = pd.DataFrame({
    "iso3": ["GBR", "GBR"], "year": [2016, 2020], "exports_usd": [4e11, 3.9e11], "imports_usd": [6e11, 6.3e11],
    "exports_gdp_pct": [28.0, 27.0], "imports_gdp_pct": [30.0, 29.0], "trade_openness_pct": [58.0, 56.0],
    "export_partner_hhi": [0.08, 0.09], "import_partner_hhi": [0.07, 0.07],
    "top3_export_partner_share": [0.35, 0.36], "top3_import_partner_share": [0.33, 0.34],
})
EXPOSURE = pd.DataFrame({
    "iso3": "GBR", "year": [2016, 2016, 2020, 2020], "group_id": "EU",
    "direction": ["exports", "imports", "exports", "imports"],
    "is_member": [True, True, False, False], "share": [0.47, 0.52, 0.43, 0.49],
})
PRODUCTS = pd.DataFrame({
    "iso3": ["GBR", "AGO", "AGO"], "year": [2020, 2020, 2020],
    "product_classification": ["ATLAS_SECTION", "ATLAS_SECTION", "HS92_2_4"],
    "exports_usd": [3.9e11, 2e10, 2e10], "n_products": [10, 8, 60], "product_hhi": [0.13, 0.87, 0.8],
    "product_theil": [0.15, 2.0, 3.1], "commodity_export_share": [float("nan"), float("nan"), 0.99],
    "coverage_share": [0.99, 0.9, 0.9], "is_country_figure": True,
})
FLAGGED = pd.DataFrame({"iso3": ["AGO", "AGO", "AGO"], "year": 2020,
                        "product_classification": ["HS92_2_4", "HS92_2_4", "ATLAS_SECTION"],
                        "product_code": ["8507", "30", "8"], "is_dependency": True})


def test_scorecard_joins_by_country_and_year():
    card = country_scorecard(PROFILE, EXPOSURE, PRODUCTS, FLAGGED).set_index(["iso3", "year"])
    assert not card.index.duplicated().any() and len(card) == 3
    # Membership of the year: GBR in the EU in 2016, not in 2020 (left 31 January 2020).
    assert card.loc[("GBR", 2016), "eu_member"] and not card.loc[("GBR", 2020), "eu_member"]
    assert card.loc[("GBR", 2020), "exports_to_eu_share"] == pytest.approx(0.43)
    assert card.loc[("GBR", 2020), "top3_export_partner_share"] == pytest.approx(0.36)
    assert card.loc[("GBR", 2020), "export_product_hhi"] == pytest.approx(0.13)
    # AGO: commodity share from the HS classification, strategic count from the finest one (2).
    assert card.loc[("AGO", 2020), "commodity_export_share"] == pytest.approx(0.99)
    assert card.loc[("AGO", 2020), "commodity_share_classification"] == "HS92_2_4"
    assert card.loc[("AGO", 2020), "strategic_dependency_count"] == 2
    assert card.loc[("AGO", 2020), "strategic_dependency_classification"] == "HS92_2_4"
    assert pd.isna(card.loc[("AGO", 2020), "exports_to_eu_share"])


def test_scorecard_never_takes_a_product_source_short_of_the_country_exports():
    """Issue 12 part 5 (hand-built after the real case): South Africa 2021 in a BACI HS6 extract
    holding 56 % of its merchandise exports, beside a complete HS4 source. The old scorecard
    took the HS6 row because it is finer."""
    products = pd.DataFrame({
        "iso3": "ZAF", "year": 2021, "product_classification": ["HS92_6", "HS07_4", "ATLAS_SECTION"],
        "exports_usd": [6.9e10, 1.2e11, 6.9e10], "n_products": [4419, 1200, 10], "product_hhi": [0.04, 0.04, 0.3],
        "product_theil": [3.5, 2.7, 1.0], "commodity_export_share": [0.66, 0.62, float("nan")],
        "commodity_dependent": [True, True, pd.NA], "agricultural_export_share": [0.11, 0.10, float("nan")],
        "fuels_export_share": [0.08, 0.10, float("nan")], "ores_metals_export_share": [0.47, 0.42, float("nan")],
        "coverage_share": [0.56, 0.97, 0.56], "is_country_figure": [False, True, False],
    })
    card = country_scorecard(PROFILE.iloc[:0], EXPOSURE.iloc[:0], products, FLAGGED.iloc[:0]).set_index(["iso3", "year"])
    row = card.loc[("ZAF", 2021)]
    assert row["commodity_share_classification"] == "HS07_4"
    assert row["commodity_export_share"] == pytest.approx(0.62) and row["ores_metals_export_share"] == pytest.approx(0.42)
    assert bool(row["commodity_dependent"])
    # Atlas sectors short of the total too, but world-complete: their indices are never gated
    # (the review of issue 12, defect (c): the old scorecard dropped them).
    assert row["export_product_hhi"] == pytest.approx(0.3) and row["export_product_theil"] == pytest.approx(1.0)


def test_scorecard_on_the_real_product_table(product_table):
    """Every Atlas row gives its HHI and Theil to the scorecard, country figure or not (ARE 2016
    at 65% of WDI, SGP 2017, HKG 2012); a product source above twice its reference (Syria 2017 in
    Open Trade Statistics, 15.2x) or short of it (South Africa's BACI extracts) never gives the
    commodity share, and a share or flag the table left empty (equal splits) stays empty."""
    card = country_scorecard(PROFILE.iloc[:0], EXPOSURE.iloc[:0], product_table, FLAGGED.iloc[:0])
    card = card.set_index(["iso3", "year"])
    sectors = product_table[product_table["product_classification"] == "ATLAS_SECTION"].set_index(["iso3", "year"])
    # 2,566 Atlas exporter-years less Netherlands Antilles 2011 and 2018, reported beside Curacao.
    assert card["export_product_hhi"].notna().sum() == len(sectors) == 2564
    for key in [("ARE", 2016), ("SGP", 2017), ("HKG", 2012)]:
        assert not sectors.loc[key, "is_country_figure"]
        assert card.loc[key, "export_product_hhi"] == pytest.approx(sectors.loc[key, "product_hhi"])
        assert card.loc[key, "export_product_theil"] == pytest.approx(sectors.loc[key, "product_theil"])
    assert pd.isna(card.loc[("SYR", 2017), "commodity_export_share"])
    assert pd.isna(card.loc[("ZAF", 2021), "commodity_export_share"]) and pd.isna(card.loc[("ZAF", 2020),
                                                                                           "commodity_export_share"])
    # Jamaica 2017 (OTS HS4, 42% in heading 2818 split by equal parts): the table leaves share and
    # flag empty, so does the scorecard; Trinidad and Tobago 2017: share kept, bounds straddle 60%.
    rows = product_table.set_index(["iso3", "year", "product_classification"])
    assert pd.isna(rows.loc[("JAM", 2017, "HS07_4"), "commodity_export_share"])
    assert pd.isna(card.loc[("JAM", 2017), "commodity_export_share"])
    assert pd.isna(card.loc[("JAM", 2017), "commodity_dependent"])
    assert pd.isna(rows.loc[("TTO", 2017, "HS07_4"), "commodity_dependent"])
    assert card.loc[("TTO", 2017), "commodity_export_share"] == pytest.approx(
        rows.loc[("TTO", 2017, "HS07_4"), "commodity_export_share"])
    assert pd.isna(card.loc[("TTO", 2017), "commodity_dependent"])
    # A figure within the band does give it: Botswana 2017 from OTS HS4 (1.28x WDI, noted).
    assert card.loc[("BWA", 2017), "commodity_share_classification"] == "HS07_4"


def test_scorecard_columns_match_contract_and_each_has_description_and_unit():
    card = country_scorecard(PROFILE, EXPOSURE, PRODUCTS, FLAGGED)
    contract = load_contract("country_scorecard")
    assert list(card.columns) == contract.column_names
    for column in contract.columns:
        assert len(column.description) > 20, column.name
        assert column.unit, f"{column.name} has no unit"
    for group in HEADLINE_GROUPS:
        assert f"exports_to_{group.lower()}_share" in contract.column_names


def test_openness_from_wdi_for_every_row():
    macro = pd.DataFrame({"iso3": ["AGO", "AGO"], "year": [2020, 2020],
                          "indicator_code": ["NE.EXP.GNFS.ZS", "NE.IMP.GNFS.ZS"], "value": [38.0, 22.0],
                          "unit": "pct", "is_aggregate": False, "source": "hand"})
    card = country_scorecard(PROFILE, EXPOSURE, PRODUCTS, FLAGGED, macro).set_index(["iso3", "year"])
    assert card.loc[("AGO", 2020), "trade_openness_pct"] == pytest.approx(60.0)


def test_gvc_columns_join_from_the_value_chain_table():
    chains = pd.DataFrame({"iso3": ["GBR", "DEU"], "year": [2016, 2016], "gvc_backward_pct": [21.5, 27.2],
                           "gvc_forward_pct": [29.3, 23.0], "gvc_participation_pct": [50.8, 50.2]})
    card = country_scorecard(PROFILE, EXPOSURE, PRODUCTS, FLAGGED, value_chains=chains)
    card = card.set_index(["iso3", "year"])
    assert card.loc[("GBR", 2016), "gvc_backward_pct"] == pytest.approx(21.5)
    assert pd.isna(card.loc[("GBR", 2020), "gvc_participation_pct"])
    assert ("DEU", 2016) not in card.index  # the value-chain table adds no rows of its own


def test_strategic_count_is_zero_when_evaluated_and_empty_when_not():
    """0 vs null (issue 12 part 6): the input is every evaluated row of out__strategic_dependencies
    (hand-built). TGO 2020 was evaluated on HS products and nothing was flagged: 0. GBR 2016 was
    not evaluated: empty. The EU row is a group unit (iso3 empty), never a country row of its own."""
    evaluated = pd.DataFrame({
        "unit": ["AGO", "AGO", "AGO", "TGO", "GBR", "EU"], "unit_type": ["economy"] * 5 + ["group"],
        "iso3": ["AGO", "AGO", "AGO", "TGO", "GBR", None], "year": 2020,
        "product_classification": ["HS92_2_4", "HS92_2_4", "ATLAS_SECTION", "HS92_2_4", "ATLAS_SECTION",
                                   "ATLAS_SECTION"],
        "product_code": ["8507", "30", "8", "8507", "9", "9"],
        "is_dependency": [True, False, True, False, False, True]})
    card = country_scorecard(PROFILE, EXPOSURE, PRODUCTS, evaluated)
    assert card["iso3"].notna().all() and len(card) == 4
    card = card.set_index(["iso3", "year"])
    assert card.loc[("TGO", 2020), "strategic_dependency_count"] == 0
    assert card.loc[("TGO", 2020), "strategic_dependency_classification"] == "HS92_2_4"
    assert pd.isna(card.loc[("GBR", 2016), "strategic_dependency_count"])
    assert card.loc[("AGO", 2020), "strategic_dependency_count"] == 1   # finest evaluated: HS92_2_4


def test_strategic_count_never_from_atlas_sectors():
    """The 10 Atlas sectors are no product list comparable with the EC's (137 of ~5,200 products):
    GBR 2020 evaluated on Atlas sectors only, nothing flagged, and ZAF 2020 with one flagged
    sector, both get an empty count, not 0 or 1 (old code: 0 and 1 from ATLAS_SECTION)."""
    evaluated = pd.DataFrame({
        "unit": ["GBR", "GBR", "ZAF"], "unit_type": "economy", "iso3": ["GBR", "GBR", "ZAF"], "year": 2020,
        "product_classification": "ATLAS_SECTION", "product_code": ["8", "9", "3"],
        "is_dependency": [False, False, True]})
    card = country_scorecard(PROFILE, EXPOSURE, PRODUCTS, evaluated).set_index(["iso3", "year"])
    for iso3 in ("GBR", "ZAF"):
        assert pd.isna(card.loc[(iso3, 2020), "strategic_dependency_count"])
        assert pd.isna(card.loc[(iso3, 2020), "strategic_dependency_classification"])
