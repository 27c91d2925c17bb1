"""EC 2021 strategic dependencies (SWD(2021) 352, section 2 and annex 1), each criterion on one unit:
hand-built defect cases, real cases (a country, an EU member, the EU) checked by hand against the
raw Atlas files, thresholds from configuration and membership taken in the year it holds."""
from __future__ import annotations

import gzip

import pandas as pd
import pytest

from pipeline.metrics import strategic
from pipeline.metrics.dependency import strategic_table
from pipeline.metrics.product_flows import product_flows
from pipeline.metrics.strategic import dependency_indicators, home_groups, load_strategic_config, strategic_sector

CONFIG = {"thresholds": {"supplier_hhi_min": 0.4, "extra_group_import_share_min": 0.5,
                         "import_to_export_ratio_min": 1.0},
          "home_groups": ["G"], "strategic_sectors": {"batteries": ["8507"], "rare_earths": ["2846"]}}


def _flows(rows):
    return pd.DataFrame(rows, columns=["exporter_iso3", "importer_iso3", "year", "product_code", "value_usd"])


# Hand-built (a defect case, no real data needed). FRA and DEU form group G. FRA imports battery
# 8507 for 100: 20 from DEU (inside G), 60 from CHN and 20 from KOR; FRA exports 8507 for 10 (to
# USA), DEU for 120 (20 to FRA, 100 to USA). Rare earths 2846: FRA imports 50 and DEU 30 from
# CHN, DEU 5 from FRA; G's only export of 2846 is FRA's 5 to DEU.
HAND = _flows([
    ("DEU", "FRA", 2020, "8507", 20.0), ("CHN", "FRA", 2020, "8507", 60.0),
    ("KOR", "FRA", 2020, "8507", 20.0), ("FRA", "USA", 2020, "8507", 10.0),
    ("DEU", "USA", 2020, "8507", 100.0),
    ("CHN", "FRA", 2020, "2846", 50.0), ("CHN", "DEU", 2020, "2846", 30.0), ("FRA", "DEU", 2020, "2846", 5.0),
])
MEMBERS = pd.DataFrame({"year": [2020, 2020], "group_id": ["G", "G"], "iso3": ["FRA", "DEU"]})


def test_member_alone_uses_its_own_exports():
    """SWD(2021) 352 annex 1, criterion 3 on one unit: a member's extra-group imports over ITS OWN
    exports. Old code divided by the group's exports (80 / 130 < 1): a member could never be flagged."""
    out = dependency_indicators(HAND, MEMBERS, CONFIG).set_index(["unit", "product_code"])
    fra = out.loc[("FRA", "8507")]
    assert fra["unit_type"] == "economy" and fra["iso3"] == "FRA" and fra["home_group"] == "G"
    assert fra["imports_usd"] == pytest.approx(100.0) and fra["extra_group_imports_usd"] == pytest.approx(80.0)
    # Extra-group supplier shares 60/80, 20/80 -> HHI = 0.5625 + 0.0625 = 0.625
    assert fra["supplier_hhi"] == pytest.approx(0.625)
    assert fra["extra_group_import_share"] == pytest.approx(0.8)
    assert fra["unit_exports_usd"] == pytest.approx(10.0)        # FRA's own, not G's 130
    assert fra["import_to_export_ratio"] == pytest.approx(8.0)
    assert fra["top_supplier_iso3"] == "CHN" and fra["top_supplier_share"] == pytest.approx(0.75)
    assert fra["is_dependency"] and fra["strategic_sector"] == "batteries"
    # USA (no group: alone) imports 110 from FRA and DEU (HHI (10/110)^2 + (100/110)^2), exports none.
    usa = out.loc[("USA", "8507")]
    assert usa["home_group"] == "USA" and usa["supplier_hhi"] == pytest.approx((1 + 100) / 121)
    assert usa["is_dependency"] and pd.isna(usa["import_to_export_ratio"])


def test_criterion2_not_applicable_without_a_group():
    """Criterion 2 (SWD(2021) 352 annex 1: extra-EU imports / total imports) compares suppliers
    outside and inside the unit's group. USA (hand-built, no group) buys everything extra-group:
    the share is 1 by construction, so it is published empty with criterion2_applicable false
    and the flag rests on criteria 1 and 3 (old code: share 1, no label). FRA (in G) and G itself
    keep the criterion."""
    out = dependency_indicators(HAND, MEMBERS, CONFIG).set_index(["unit", "product_code"])
    usa = out.loc[("USA", "8507")]
    assert not usa["criterion2_applicable"] and pd.isna(usa["extra_group_import_share"])
    assert usa["is_dependency"]   # HHI 0.83 > 0.4, no exports: criteria 1 and 3
    assert out.loc[("FRA", "8507"), "criterion2_applicable"] and out.loc[("G", "2846"), "criterion2_applicable"]
    assert out.loc[("FRA", "8507"), "extra_group_import_share"] == pytest.approx(0.8)


def test_group_is_one_unit():
    """The EU case the method was written for: G's imports (intra-G included in the total), its
    extra-G suppliers and the total exports of its members (intra-G included). The old code had
    no group unit at all."""
    out = dependency_indicators(HAND, MEMBERS, CONFIG).set_index(["unit", "product_code"])
    g = out.loc[("G", "8507")]
    assert g["unit_type"] == "group" and pd.isna(g["iso3"]) and g["home_group"] == "G"
    # Imports 100 (FRA), extra 80; exports 10 + 120 = 130 -> ratio 80/130 < 1: not flagged.
    assert g["imports_usd"] == pytest.approx(100.0) and g["unit_exports_usd"] == pytest.approx(130.0)
    assert g["import_to_export_ratio"] == pytest.approx(80 / 130) and not g["is_dependency"]
    rare = out.loc[("G", "2846")]
    # Imports 50 + 30 + 5 (intra) = 85, extra 80 all from CHN: HHI 1, share 80/85, ratio 80/5.
    assert rare["imports_usd"] == pytest.approx(85.0) and rare["extra_group_imports_usd"] == pytest.approx(80.0)
    assert rare["supplier_hhi"] == pytest.approx(1.0)
    assert rare["extra_group_import_share"] == pytest.approx(80 / 85)
    assert rare["import_to_export_ratio"] == pytest.approx(16.0)
    assert rare["is_dependency"] and rare["strategic_sector"] == "rare_earths"


def test_group_needs_all_members_complete():
    """A group is a unit only where the flows hold every member's imports and exports."""
    only_fra = pd.DataFrame({"iso3": ["FRA", "CHN", "KOR", "USA"], "year": 2020})
    out = dependency_indicators(HAND, MEMBERS, CONFIG, only_fra)
    assert "G" not in set(out["unit"]) and "DEU" not in set(out["unit"])
    assert "FRA" in set(out["unit"])


def test_no_economy_never_ranks_as_top_supplier():
    """Through the published path (strategic_table on a hand-built bilateral frame): Atlas ANS
    ("undeclared") is the largest source of BEN but no economy. It stays in BEN's import total
    and extra-group imports, and BEN's exports to ANS in its exports (criterion 3 on total
    exports), but it is no unit, no supplier in the HHI and never top supplier. The old code
    dropped every ANS flow in product_flows: imports 30, exports 0."""
    rows = [("ANS", "BEN", 70.0), ("FRA", "BEN", 20.0), ("IND", "BEN", 10.0), ("BEN", "ANS", 5.0)]
    bilateral = pd.DataFrame([{"reporter_iso3": r, "partner_iso3": p, "flow": "export", "year": 2020,
                               "product_classification": "ATLAS_SECTION", "product_code": "5", "value_usd": v}
                              for r, p, v in rows])
    config = {**CONFIG, "classifications": ["ATLAS_SECTION"]}
    out = strategic_table(bilateral, MEMBERS.iloc[:0], config)
    assert "ANS" not in set(out["unit"])
    row = out.set_index("unit").loc["BEN"]
    assert row["imports_usd"] == pytest.approx(100.0) and row["extra_group_imports_usd"] == pytest.approx(100.0)
    assert row["top_supplier_iso3"] == "FRA" and row["top_supplier_share"] == pytest.approx(20 / 30)
    assert row["supplier_hhi"] == pytest.approx((2 / 3) ** 2 + (1 / 3) ** 2)
    assert row["unit_exports_usd"] == pytest.approx(5.0) and row["import_to_export_ratio"] == pytest.approx(20.0)
    # World supply among economies only: FRA 20, IND 10, BEN 5.
    assert row["world_supply_hhi"] == pytest.approx((20**2 + 10**2 + 5**2) / 35**2)
    # Other metrics keep dropping undeclared partners (product_flows' default).
    assert "ANS" not in set(product_flows(bilateral, "ATLAS_SECTION")[["exporter_iso3", "importer_iso3"]].stack())


def test_sector_labels_at_every_code_level():
    """A 2-digit chapter gets the sectors whose headings it contains (old code: prefix match only,
    so chapters 28, 29, 81 got no label); a 6-digit code the sector of its heading."""
    sectors = load_strategic_config()["strategic_sectors"]
    labels = strategic_sector(pd.Series(["28", "29", "81", "2846", "850760", "85", "01"]), sectors).tolist()
    assert labels[:5] == ["rare_earths", "active_pharmaceutical_ingredients", "critical_raw_materials",
                          "rare_earths", "batteries"]
    assert labels[5] == "semiconductors; batteries; solar_and_electrical_equipment" and pd.isna(labels[6])


def test_sector_match_tells_a_heading_from_a_chapter_that_contains_one():
    """Chapter 28 holds rare earths (2805, 2846) among all inorganic chemicals: labelling the whole
    chapter rare_earths overstates it. strategic_sector_match says "chapter_contains" there and
    "heading" where the code lies inside a listed prefix (old code: no such column)."""
    sectors = load_strategic_config()["strategic_sectors"]
    codes = pd.Series(["28", "29", "81", "85", "2846", "850760", "30", "3004", "01"])
    match = strategic.strategic_sector_match(codes, sectors).tolist()
    assert match[:4] == ["chapter_contains"] * 4
    assert match[4:8] == ["heading"] * 4 and pd.isna(match[8])
    out = dependency_indicators(HAND, MEMBERS, CONFIG).set_index(["unit", "product_code"])
    assert out.loc[("FRA", "8507"), "strategic_sector_match"] == "heading"


def test_thresholds_come_from_configuration():
    strict = {**CONFIG, "thresholds": {**CONFIG["thresholds"], "supplier_hhi_min": 0.7}}
    out = dependency_indicators(HAND, MEMBERS, strict).set_index(["unit", "product_code"])
    assert not out.loc[("FRA", "8507"), "is_dependency"]   # HHI 0.625 no longer above 0.7
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
    assert row["unit"] == "TGO" and row["unit_exports_usd"] == pytest.approx(46_145.0)
    assert row["import_to_export_ratio"] == pytest.approx(35_684_464 / 46_145)
    assert row["is_dependency"] and row["strategic_sector"] == "batteries"


def test_real_identities_and_gbr_leaving_the_eu(evaluated):
    assert evaluated["supplier_hhi"].dropna().between(0, 1 + 1e-12).all()
    assert evaluated["extra_group_import_share"].dropna().between(0, 1).all()
    assert (evaluated["extra_group_imports_usd"] <= evaluated["imports_usd"] * (1 + 1e-12)).all()
    assert evaluated["world_supply_hhi"].dropna().between(0, 1).all()
    # Atlas sectors cover the world: GBR's extra-group share excludes EU suppliers in 2019 only.
    gbr = evaluated[(evaluated["iso3"] == "GBR") & (evaluated["product_classification"] == "ATLAS_SECTION")]
    gbr = gbr.set_index(["year", "product_code"])
    assert (gbr.loc[2019, "home_group"] == "EU").all() and (gbr.loc[2020, "home_group"] == "GBR").all()
    assert gbr.loc[(2019, "6"), "extra_group_import_share"] < 0.5   # cars mostly from the EU
    # Alone in 2020: every supplier is extra-group, criterion 2 not applicable (share empty).
    assert not gbr.loc[2020, "criterion2_applicable"].any() and gbr.loc[2020, "extra_group_import_share"].isna().all()
    alone = evaluated[(evaluated["unit_type"] == "economy") & (evaluated["home_group"] == evaluated["unit"])]
    assert not alone["criterion2_applicable"].any() and alone["extra_group_import_share"].isna().all()
    # Only importers with complete imports are evaluated at HS level (the subset's 31 countries).
    hs = evaluated[evaluated["product_classification"] == "HS92_2_4"]
    assert hs["iso3"].nunique() <= 31 and "ZAF" not in set(hs["iso3"])


# The EU of 2019 (28 members: GBR left on 31 January 2020), written out by hand for the test.
EU28 = set("AUT BEL BGR HRV CYP CZE DNK EST FIN FRA DEU GRC HUN IRL ITA LVA LTU LUX MLT NLD POL PRT ROU "
           "SVK SVN ESP SWE GBR".split())


@pytest.fixture(scope="module")
def sections_raw(shared_datasets):
    """Raw Atlas sector rows, Atlas ANS ("undeclared": no economy, but real trade) kept."""
    path = shared_datasets / "atlas_bilateral_sections_2010_2020/atlas_bilateral_sections_2010_2020.csv.gz"
    return pd.read_csv(path, dtype={"exporter": str, "importer": str, "section_id": str})


@pytest.fixture(scope="module")
def sections_2019(sections_raw):
    return sections_raw[sections_raw["year"] == 2019]


def _by_hand(raw: pd.DataFrame, importers: set[str], inside: set[str]) -> dict[str, float]:
    """SWD(2021) 352 annex 1 on one unit, from raw rows: total imports M from EVERY partner
    (undeclared ANS included), extra-group M^x (ANS is no member), HHI and top supplier among
    extra-group supplier economies (ANS is none), M^x / M, the unit's total exports X to every
    destination (intra-group and ANS included) and M^x / X."""
    imports = raw[raw["importer"].isin(importers)]
    extra = imports[~imports["exporter"].isin(inside)].groupby("exporter")["export_value_usd"].sum()
    named = extra.drop("ANS", errors="ignore")
    exports = raw.loc[raw["exporter"].isin(importers), "export_value_usd"].sum()
    return {"imports_usd": imports["export_value_usd"].sum(), "extra_group_imports_usd": extra.sum(),
            "supplier_hhi": ((named / named.sum()) ** 2).sum(), "top_supplier_iso3": named.idxmax(),
            "extra_group_import_share": extra.sum() / imports["export_value_usd"].sum(),
            "unit_exports_usd": exports, "import_to_export_ratio": extra.sum() / exports}


def _row(evaluated, unit, code, classification="ATLAS_SECTION", year=2019):
    rows = evaluated[(evaluated["unit"] == unit) & (evaluated["year"] == year) & (evaluated["product_code"] == code)
                     & (evaluated["product_classification"] == classification)]
    assert len(rows) == 1, f"{unit} {code} {year}: {len(rows)} rows"
    return rows.iloc[0]


def _check(row, expected):
    for column, value in expected.items():
        assert row[column] == (value if isinstance(value, str) else pytest.approx(value, rel=1e-9)), column


def test_eu_as_one_unit_checked_against_the_raw_file(evaluated, sections_2019):
    """The EU-28 of 2019, Atlas sector 8 (Electronics), computed by hand from the raw sector file."""
    expected = _by_hand(sections_2019[sections_2019["section_id"] == "8"], EU28, EU28)
    row = _row(evaluated, "EU", "8")
    assert row["unit_type"] == "group" and pd.isna(row["iso3"])
    _check(row, expected)
    assert expected["top_supplier_iso3"] == "CHN" and 0.2 < expected["supplier_hhi"] < 0.21
    assert not row["is_dependency"]   # HHI 0.20 <= 0.4: Electronics as a whole is diversified
    # The EU is a unit on the world-complete sectors every year, never on the 31-country HS subset.
    eu = evaluated[evaluated["unit"] == "EU"]
    assert set(eu["product_classification"]) == {"ATLAS_SECTION"} and sorted(eu["year"].unique()) == list(range(2010, 2021))


def test_eu_member_alone_checked_against_the_raw_file(evaluated, sections_2019):
    """France 2019, Atlas sector 9 (Other): its extra-EU imports (89% from the USA) exceed its own
    exports, though not the EU's: flagged by the method on one unit, never by the old code."""
    raw = sections_2019[sections_2019["section_id"] == "9"]
    expected = _by_hand(raw, {"FRA"}, EU28)
    row = _row(evaluated, "FRA", "9")
    assert row["unit_type"] == "economy" and row["home_group"] == "EU"
    _check(row, expected)
    assert expected["supplier_hhi"] > 0.4 and expected["extra_group_import_share"] > 0.5
    assert expected["import_to_export_ratio"] > 1 and row["is_dependency"]
    eu_exports = raw.loc[raw["exporter"].isin(EU28), "export_value_usd"].sum()
    assert expected["extra_group_imports_usd"] / eu_exports < 1   # the old criterion 3: never met


def test_sector_labels_only_on_hs_codes(evaluated):
    atlas = evaluated[evaluated["product_classification"] == "ATLAS_SECTION"]
    assert atlas["strategic_sector"].isna().all()   # Atlas "3" (Minerals) is no HS chapter 3x
    hs = evaluated[evaluated["product_classification"] == "HS92_2_4"].drop_duplicates("product_code")
    labels = hs.set_index("product_code")["strategic_sector"]
    assert labels["28"] == "rare_earths" and labels["30"] == "pharmaceuticals" and labels["8507"] == "batteries"


def test_undeclared_partners_count_in_the_totals(evaluated, sections_raw, sections_2019):
    """Atlas ANS ("undeclared") in the totals, by hand from the raw sector file (SWD(2021) 352
    annex 1: total imports in criterion 2, total exports in criterion 3). Spain 2019, sector 9:
    18.2 bn USD of imports, 12.4 bn from ANS and 2.05 bn from declared non-EU suppliers. ANS is
    no EU member, so it is extra-EU: criterion 2 = (12.39 + 2.05) / 18.21 = 0.793 (old code, ANS
    dropped: 2.05 / 5.82 = 0.352; ANS in the total only would give 2.05 / 18.21 = 0.113).
    Venezuela 2011, sector 9: 0.085 bn of exports to declared
    partners, 17.4 bn to ANS; criterion 3 is 0.29 (old code: 60.5, flagged on a ratio that
    ignored most of its exports)."""
    raw = sections_2019[sections_2019["section_id"] == "9"]
    expected = _by_hand(raw, {"ESP"}, EU28)
    assert expected["imports_usd"] == pytest.approx(18.21e9, rel=1e-3)
    assert raw.loc[(raw["importer"] == "ESP") & (raw["exporter"] == "ANS"), "export_value_usd"].sum() == \
        pytest.approx(12.39e9, rel=1e-3)
    assert expected["extra_group_import_share"] == pytest.approx(0.793, abs=1e-3)
    _check(_row(evaluated, "ESP", "9"), expected)
    ven = sections_raw[(sections_raw["year"] == 2011) & (sections_raw["section_id"] == "9")]
    expected = _by_hand(ven, {"VEN"}, {"VEN"})
    assert expected["import_to_export_ratio"] == pytest.approx(0.29, abs=0.01)
    row = _row(evaluated, "VEN", "9", year=2011)
    _check(row, {k: expected[k] for k in ("imports_usd", "unit_exports_usd", "import_to_export_ratio",
                                          "supplier_hhi", "top_supplier_iso3")})
    assert not row["criterion2_applicable"] and not row["is_dependency"]


def test_chapter_labels_are_marked_on_real_rows(evaluated):
    hs = evaluated[evaluated["product_classification"] == "HS92_2_4"].drop_duplicates("product_code")
    match = hs.set_index("product_code")["strategic_sector_match"]
    assert match["28"] == "chapter_contains" and match["8507"] == "heading" and match["30"] == "heading"
    assert hs.loc[hs["strategic_sector"].isna(), "strategic_sector_match"].isna().all()
