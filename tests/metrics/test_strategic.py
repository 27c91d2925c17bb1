"""EC 2021 strategic dependencies: a worked example, a real case checked by hand against the raw
Atlas file, thresholds from configuration and membership taken in the year it holds."""
from __future__ import annotations

import gzip

import pandas as pd
import pytest

from pipeline.metrics.dependency import strategic_table
from pipeline.metrics.strategic import dependency_indicators, home_groups, load_strategic_config

CONFIG = {"thresholds": {"supplier_hhi_min": 0.4, "extra_group_import_share_min": 0.5,
                         "import_to_export_ratio_min": 1.0},
          "home_groups": ["G"], "strategic_sectors": {"batteries": ["8507"]}}


def _flows(rows):
    return pd.DataFrame(rows, columns=["exporter_iso3", "importer_iso3", "year", "product_code", "value_usd"])


# FRA and DEU form group G. FRA imports battery 8507 for 100: 20 from DEU (inside G), 60 from
# CHN and 20 from KOR. G exports 8507 for 30 (FRA 10 to USA, DEU 20 to FRA).
HAND = _flows([
    ("DEU", "FRA", 2020, "850760", 20.0), ("CHN", "FRA", 2020, "850760", 60.0),
    ("KOR", "FRA", 2020, "850760", 20.0), ("FRA", "USA", 2020, "850760", 10.0),
])
MEMBERS = pd.DataFrame({"year": [2020, 2020], "group_id": ["G", "G"], "iso3": ["FRA", "DEU"]})


def test_criteria_by_hand():
    out = dependency_indicators(HAND, MEMBERS, CONFIG).set_index(["iso3", "product_code"])
    fra = out.loc[("FRA", "850760")]
    assert fra["home_group"] == "G"
    assert fra["imports_usd"] == pytest.approx(100.0) and fra["extra_group_imports_usd"] == pytest.approx(80.0)
    # Extra-group supplier shares 60/80, 20/80 -> HHI = 0.5625 + 0.0625 = 0.625
    assert fra["supplier_hhi"] == pytest.approx(0.625)
    assert fra["extra_group_import_share"] == pytest.approx(0.8)
    assert fra["group_exports_usd"] == pytest.approx(30.0)       # DEU's 20 to FRA counts (EC: total exports)
    assert fra["import_to_export_ratio"] == pytest.approx(80.0 / 30.0)
    assert fra["top_supplier_iso3"] == "CHN" and fra["top_supplier_share"] == pytest.approx(0.75)
    assert fra["is_dependency"] and fra["strategic_sector"] == "batteries"
    # USA (no group: alone) imports 10 from FRA only: HHI 1, share 1, exports none -> flagged.
    usa = out.loc[("USA", "850760")]
    assert usa["home_group"] == "USA" and usa["supplier_hhi"] == pytest.approx(1.0)
    assert usa["is_dependency"] and pd.isna(usa["import_to_export_ratio"])


def test_thresholds_come_from_configuration():
    strict = {**CONFIG, "thresholds": {**CONFIG["thresholds"], "supplier_hhi_min": 0.7}}
    out = dependency_indicators(HAND, MEMBERS, strict).set_index(["iso3", "product_code"])
    assert not out.loc[("FRA", "850760"), "is_dependency"]   # HHI 0.625 no longer above 0.7
    shipped = load_strategic_config()
    assert shipped["thresholds"]["supplier_hhi_min"] == 0.4   # the EC defaults
    assert shipped["thresholds"]["extra_group_import_share_min"] == 0.5
    assert shipped["thresholds"]["import_to_export_ratio_min"] == 1.0
    assert shipped["strategic_sectors"]["semiconductors"] == ["8541", "8542"]


def test_home_group_follows_membership_of_the_year(membership):
    # GBR left the EU on 31 January 2020: in the EU in 2019, alone in 2020. Egypt joined BRICS
    # on 1 January 2024: alone in 2023, in BRICS in 2024 when BRICS is a configured home group.
    countries = pd.DataFrame({"iso3": ["GBR", "GBR", "EGY", "EGY"], "year": [2019, 2020, 2023, 2024]})
    homes = home_groups(countries, membership, ["EU", "BRICS"]).set_index(["iso3", "year"])["home_group"]
    assert homes[("GBR", 2019)] == "EU" and homes[("GBR", 2020)] == "GBR"
    assert homes[("EGY", 2023)] == "EGY" and homes[("EGY", 2024)] == "BRICS"


@pytest.fixture(scope="module")
def evaluated(product_bilateral, membership):
    return strategic_table(product_bilateral, membership, load_strategic_config())


def test_real_case_checked_against_the_raw_file(evaluated, shared_datasets):
    """Togo's batteries (HS 8507) in 2019: 35.7 million USD of imports, 93% from China."""
    path = shared_datasets / "atlas_bilateral_hs2hs4_subset_2010_2020/atlas_bilateral_hs2hs4_subset_2010_2020.csv.gz"
    with gzip.open(path, "rt") as handle:
        raw = pd.read_csv(handle, dtype={"product_code": str})
    raw = raw[(raw["year"] == 2019) & (raw["product_code"] == "8507")]
    imports = raw[raw["importer"] == "TGO"].groupby("exporter")["export_value_usd"].sum()
    # By hand from the file: 34 supplier rows summing to 35,684,464 USD, CHN 33,221,007; TGO
    # exports 8507 to BEN 26,231, GHA 11,049, CIV 6,934 and BFA 1,931 = 46,145.
    assert imports.sum() == pytest.approx(35_684_464.0) and imports["CHN"] == pytest.approx(33_221_007.0)
    shares = imports / imports.sum()
    row = evaluated[(evaluated["iso3"] == "TGO") & (evaluated["year"] == 2019)
                    & (evaluated["product_code"] == "8507")].iloc[0]
    assert row["product_classification"] == "HS92_2_4" and row["home_group"] == "TGO"
    assert row["imports_usd"] == pytest.approx(35_684_464.0)
    assert row["supplier_hhi"] == pytest.approx((shares**2).sum())
    assert row["supplier_hhi"] == pytest.approx(0.8673, abs=1e-4)
    assert row["top_supplier_iso3"] == "CHN" and row["top_supplier_share"] == pytest.approx(33_221_007 / 35_684_464)
    assert row["group_exports_usd"] == pytest.approx(46_145.0)
    assert row["import_to_export_ratio"] == pytest.approx(35_684_464 / 46_145)
    assert row["is_dependency"] and row["strategic_sector"] == "batteries"


def test_real_identities_and_gbr_leaving_the_eu(evaluated):
    assert evaluated["supplier_hhi"].dropna().between(0, 1 + 1e-12).all()
    assert evaluated["extra_group_import_share"].between(0, 1).all()
    assert (evaluated["extra_group_imports_usd"] <= evaluated["imports_usd"] * (1 + 1e-12)).all()
    assert evaluated["world_supply_hhi"].dropna().between(0, 1).all()
    # Atlas sectors cover the world: GBR's extra-group share excludes EU suppliers in 2019 only.
    gbr = evaluated[(evaluated["iso3"] == "GBR") & (evaluated["product_classification"] == "ATLAS_SECTION")]
    gbr = gbr.set_index(["year", "product_code"])
    assert (gbr.loc[2019, "home_group"] == "EU").all() and (gbr.loc[2020, "home_group"] == "GBR").all()
    assert gbr.loc[(2019, "6"), "extra_group_import_share"] < 0.5   # cars mostly from the EU
    assert gbr.loc[2020, "extra_group_import_share"].to_numpy() == pytest.approx(1.0)
    # Only importers with complete imports are evaluated at HS level (the subset's 31 countries).
    hs = evaluated[evaluated["product_classification"] == "HS92_2_4"]
    assert hs["iso3"].nunique() <= 31 and "ZAF" not in set(hs["iso3"])
