"""Trade by end use: UN BEC Rev.4 -> SNA basic classes of goods (UN Statistics Division,
Classification by Broad Economic Categories Rev.4, Series M No. 53 Rev.4, section "BEC and the
basic classes of goods in the SNA"), checked against plain-pandas computations on the raw Atlas,
concordance and Open Trade Statistics CSVs (imports, exports, intermediate goods, the estimate
that splits HS2 chapters by world HS4 export weights); bad concordances fail by name."""
from __future__ import annotations

import functools

import pandas as pd
import pytest

from pipeline.metrics.dependency import world_trade_weights
from pipeline.metrics.end_use import end_use_trade
from pipeline.metrics.end_use_estimate import end_use_split
from pipeline.metrics.end_use_classes import (BEC_SNA_FILE, HS_BEC_FILE, code_classes, end_use_label,
                                              load_hs6_classes)
from pipeline.sources.country_product_exports import read_country_product_exports
from pipeline.sources.files import FilesSource

ATLAS = "atlas_bilateral_hs2hs4_subset_2010_2020/atlas_bilateral_hs2hs4_subset_2010_2020.csv.gz"
# The UN BEC Rev.4 manual's SNA correspondence, written here from the manual (3-digit padded codes),
# not read from bec4_to_sna_end_use.csv: capital goods = BEC 41 + 521.
UN_CAPITAL = {"410", "521"}
UN_INTERMEDIATE = {"111", "121", "210", "220", "310", "322", "420", "530"}
OTS = "economiccomplexity_country_product_exports/world_trade_2017.csv.gz"
# EU members on 1 July 2019 (EU28, the UK still in), written out by hand.
EU28 = set("AUT BEL BGR HRV CYP CZE DNK EST FIN FRA DEU GRC HUN IRL ITA LVA LTU LUX MLT NLD POL PRT ROU "
           "SVK SVN ESP SWE GBR".split())


@pytest.fixture(scope="module")
def paths(shared_datasets):
    return shared_datasets / HS_BEC_FILE, shared_datasets / BEC_SNA_FILE


@pytest.fixture(scope="module")
def country_exports(shared_datasets) -> pd.DataFrame:
    return read_country_product_exports(FilesSource(shared_datasets))


@pytest.fixture(scope="module")
def table(product_bilateral, membership, paths, country_exports) -> pd.DataFrame:
    years = product_bilateral["year"].isin([2019, 2020, 2021])
    return end_use_trade(product_bilateral[years], membership, *paths, country_exports)


@pytest.fixture(scope="module")
def atlas_2019(shared_datasets) -> pd.DataFrame:
    atlas = pd.read_csv(shared_datasets / ATLAS, dtype=str)
    atlas = atlas[(atlas["year"] == "2019") & (atlas["exporter"] != atlas["importer"])]
    return atlas.assign(value=atlas["export_value_usd"].astype(float))


@pytest.fixture(scope="module")
def raw_bec(shared_datasets) -> pd.DataFrame:
    bec = pd.read_csv(shared_datasets / HS_BEC_FILE, dtype=str)
    return bec[bec["hs_version"] == "HS1992"]


def _wholly(codes, raw_bec, classes: set) -> dict:
    """Code -> True when every HS92 subheading under it maps (raw HS6 -> BEC rows) into ``classes``."""
    out = {}
    for code in set(codes):
        becs = set(raw_bec.loc[raw_bec["hs6"].str.startswith(code), "bec4_3d"])
        out[code] = bool(becs) and becs <= classes
    return out


@functools.lru_cache(maxsize=1)
def _ots_rows(shared_datasets) -> pd.DataFrame:
    """The raw OTS 2017 file, as text, read once (each chapter's fractions look into it)."""
    return pd.read_csv(shared_datasets / OTS, dtype=str)


def _ots_heading_fractions(shared_datasets, raw_bec, chapter: str, classes: set) -> float:
    """Share of chapter ``chapter``'s 2017 world exports (raw OTS file, all reporters summed) in
    HS4 headings whose HS92 subheadings all map into ``classes``; headings with no HS92 row left out."""
    ots = _ots_rows(shared_datasets)
    ots = ots[ots["product_code"].str[:2] == chapter]
    world = ots.assign(v=pd.to_numeric(ots["export_value_usd"])).groupby("product_code")["v"].sum()
    world = world[[raw_bec["hs6"].str.startswith(h).any() for h in world.index]]
    inside = _wholly(world.index, raw_bec, classes)
    return world[world.index.map(inside)].sum() / world.sum()


def _row(table, iso3, direction, group, use, year=2019):
    hit = table[(table["iso3"] == iso3) & (table["year"] == year) & (table["direction"] == direction)
                & (table["partner_group"] == group) & (table["end_use"] == use)]
    assert len(hit) == 1, (iso3, direction, group, use)
    return hit.iloc[0]


def _hand_capital(shared_datasets, importer: str, year: int):
    """Capital-goods imports of ``importer`` from the raw CSVs: an Atlas code counts when every HS92
    subheading under it maps (raw HS6 -> BEC table) to BEC 41 or 521; its upper bound adds codes
    with any such subheading and codes with none. The exporter ANS ("undeclared") is no economy."""
    atlas = pd.read_csv(shared_datasets / ATLAS, dtype=str)
    rows = atlas[(atlas["importer"] == importer) & (atlas["year"] == str(year))
                 & (atlas["exporter"] != "ANS") & (atlas["exporter"] != importer)].copy()
    rows["value"] = rows["export_value_usd"].astype(float)
    bec = pd.read_csv(shared_datasets / HS_BEC_FILE, dtype=str)
    bec = bec[bec["hs_version"] == "HS1992"]
    capital, upper = {}, {}
    for code in rows["product_code"].unique():
        codes = set(bec.loc[bec["hs6"].str.startswith(code), "bec4_3d"])
        capital[code] = bool(codes) and codes <= UN_CAPITAL
        upper[code] = not codes or bool(codes & UN_CAPITAL)
    return rows, rows["product_code"].map(capital), rows["product_code"].map(upper)


def test_senegal_capital_goods_imports_match_a_hand_sum_of_the_raw_files(table, shared_datasets):
    rows, capital, upper = _hand_capital(shared_datasets, "SEN", 2019)
    got = _row(table, "SEN", "imports", "WORLD", "capital")
    assert got["value_usd"] == pytest.approx(rows.loc[capital, "value"].sum(), rel=1e-9)
    assert got["end_use_share"] == pytest.approx(rows.loc[capital, "value"].sum() / rows["value"].sum(), rel=1e-9)
    assert got["end_use_share_max"] == pytest.approx(rows.loc[upper, "value"].sum() / rows["value"].sum(), rel=1e-9)
    eu = rows["exporter"].isin(EU28) & capital
    assert _row(table, "SEN", "imports", "EU", "capital")["partner_group_share"] == pytest.approx(
        rows.loc[eu, "value"].sum() / rows.loc[capital, "value"].sum(), rel=1e-9)
    china = rows["exporter"].eq("CHN") & capital
    assert _row(table, "SEN", "imports", "CHN", "capital")["value_usd"] == pytest.approx(
        rows.loc[china, "value"].sum(), rel=1e-9)
    # 2019, USD: 648m of capital goods (6.2% of imports, at most 26%), 57% of it from the EU
    assert 6.4e8 < got["value_usd"] < 6.6e8


def test_capital_shares_are_lower_bounds_with_the_mixed_share_beside_them(table):
    world = table[(table["partner_group"] == "WORLD") & (table["direction"] == "imports") & (table["year"] == 2019)]
    wide = world.pivot_table(index="iso3", columns="end_use", values="end_use_share")
    assert (wide.sum(axis=1) - 1).abs().max() < 1e-9
    # HS2 food and chemical chapters and 2710 petroleum oils span classes: most imports are mixed
    assert wide["mixed"].between(0.19, 0.81).all() and wide["mixed"].median() == pytest.approx(0.667, abs=1e-3)
    pooled = world.groupby("end_use")[["value_usd", "value_usd_estimate"]].sum()
    pooled = pooled / pooled.sum()
    assert pooled.loc["mixed", "value_usd"] == pytest.approx(0.617, abs=1e-3)
    # split by world HS4 weights, half of it goes; 2710 (unsplit BEC 32) is most of the rest
    assert pooled.loc["mixed", "value_usd_estimate"] == pytest.approx(0.328, abs=1e-3)
    estimate = world.pivot_table(index="iso3", columns="end_use", values="end_use_share_estimate")
    assert estimate["mixed"].median() == pytest.approx(0.324, abs=1e-3)
    classes = world[world["end_use"].isin(["capital", "intermediate", "consumption"])]
    assert (classes["end_use_share_max"] >= classes["end_use_share"]).all()
    assert (classes["end_use_share_estimate"] >= classes["end_use_share"] - 1e-12).all()
    assert (classes["end_use_share_estimate"] <= classes["end_use_share_max"] + 1e-12).all()


def test_only_complete_economies_are_rows(table):
    countries = set(table["iso3"])
    assert len(countries) == 31 and "SEN" in countries
    # NGA and GHA are not in the Atlas subset (only their trade with the 31 is); BACI holds ZAF's
    # exports only in part (2020, HS17: about 56%) and 2021 has no reference: never published.
    assert not countries & {"NGA", "GHA", "ZAF", "ANS", "UNS", "WLD", "ROW"}
    assert set(table["product_classification"]) == {"HS92_2_4"}


def test_the_un_leaves_motor_spirit_and_passenger_cars_unclassified(paths):
    hs6 = load_hs6_classes(*paths, "HS1992")
    assert hs6["870322"] == {"not_classified"}  # BEC 51 passenger motor cars
    assert hs6["871200"] == {"consumption"}  # BEC 61 bicycles, durable consumer goods
    assert hs6["842911"] == {"capital"}  # BEC 41 bulldozers
    # n:n in the UN correlation: 010120 asses and mules = BEC 111 and 41
    assert end_use_label(hs6["010120"]) == "mixed"
    codes = code_classes(pd.Series(["8429", "8703", "99", "271000"]), hs6)
    assert end_use_label(codes["8429"]) == "capital"
    # 870310 snowmobiles, golf cars (BEC 522) beside passenger cars (51): mixed, never majority
    assert codes["8703"] == {"consumption", "not_classified"} and end_use_label(codes["8703"]) == "mixed"
    assert end_use_label(codes["99"]) == "unmapped"
    assert codes["271000"] == {"intermediate", "not_classified"}  # BEC 21 and 32 (321 / 322)


def _write(tmp_path, hs_rows, sna_rows=None):
    hs = tmp_path / "hs6_to_bec.csv"
    pd.DataFrame(hs_rows, columns=["hs_version", "hs6", "bec4_3d"]).to_csv(hs, index=False)
    sna = tmp_path / "bec_sna.csv"
    pd.DataFrame(sna_rows or [("410", "capital"), ("220", "intermediate")],
                 columns=["bec4_code_3d_padded", "sna_end_use"]).to_csv(sna, index=False)
    return hs, sna


def test_a_bec_code_missing_from_the_sna_table_is_named(tmp_path):
    hs, sna = _write(tmp_path, [("HS1992", "842911", "410"), ("HS1992", "520100", "210")])
    with pytest.raises(ValueError, match=r"BEC codes \['210'\] \(HS6 \['520100'\]\) are not in .*bec_sna.csv"):
        load_hs6_classes(hs, sna, "HS1992")


def test_a_repeated_hs6_bec_row_and_a_bad_class_are_named(tmp_path):
    hs, sna = _write(tmp_path, [("HS1992", "842911", "410"), ("HS1992", "842911", "410")])
    with pytest.raises(ValueError, match=r"hs6_to_bec.csv: HS1992 maps HS6 \['842911'\] to the same BEC"):
        load_hs6_classes(hs, sna, "HS1992")
    hs, sna = _write(tmp_path, [("HS1992", "842911", "410")], [("410", "capital goods")])
    with pytest.raises(ValueError, match=r"bec_sna.csv: rows \[0\] give sna_end_use \['capital goods'\]"):
        load_hs6_classes(hs, sna, "HS1992")
    hs, sna = _write(tmp_path, [("HS1992", "84291", "410")])
    with pytest.raises(ValueError, match="malformed hs6"):
        load_hs6_classes(hs, sna, "HS1992")


def test_one_hs6_with_two_bec_codes_of_different_classes_is_mixed_not_assigned(tmp_path):
    """Hand-built: the UN's n:n correlation rows are kept, as mixed (an error would stop the real
    HS1992 table, derived by the R package from the UN's HS1996 table, which has 193 such codes)."""
    hs, sna = _write(tmp_path, [("HS1992", "842911", "410"), ("HS1992", "842911", "220"),
                                ("HS1992", "842919", "410")])
    hs6 = load_hs6_classes(hs, sna, "HS1992")
    assert end_use_label(hs6["842911"]) == "mixed" and end_use_label(hs6["842919"]) == "capital"
    assert end_use_label(code_classes(pd.Series(["8429"]), hs6)["8429"]) == "mixed"


def test_angola_intermediate_exports_match_a_hand_sum_of_the_raw_files(table, atlas_2019, raw_bec):
    """Exports side, intermediate class: Angola (SADC, in the Atlas subset) 2019; crude oil 2709
    is BEC 31 (fuels and lubricants, primary) -> intermediate: $26.5bn of $29.7bn."""
    rows = atlas_2019[(atlas_2019["exporter"] == "AGO") & (atlas_2019["importer"] != "ANS")]
    inter = rows["product_code"].map(_wholly(rows["product_code"], raw_bec, UN_INTERMEDIATE))
    got = _row(table, "AGO", "exports", "WORLD", "intermediate")
    assert got["value_usd"] == pytest.approx(rows.loc[inter, "value"].sum(), rel=1e-9)
    assert got["end_use_share"] == pytest.approx(rows.loc[inter, "value"].sum() / rows["value"].sum(), rel=1e-9)
    crude = rows.loc[rows["product_code"] == "2709", "value"].sum()
    assert inter[rows["product_code"] == "2709"].all() and crude / got["value_usd"] > 0.85
    china = rows["importer"].eq("CHN") & inter
    assert _row(table, "AGO", "exports", "CHN", "intermediate")["partner_group_share"] == pytest.approx(
        rows.loc[china, "value"].sum() / rows.loc[inter, "value"].sum(), rel=1e-9)


def test_a_chapter_is_split_by_world_hs4_export_weights_from_the_raw_ots_file(shared_datasets, paths, raw_bec,
                                                                             country_exports):
    """Chapter 27 (fuels) and 84 (machinery): f(chapter, class) = world exports of the headings
    wholly in the class / world exports of the chapter's headings, from the raw OTS CSV."""
    weights, name = world_trade_weights({}, country_exports)
    assert name == "world exports HS07_4 2017 (country_product_exports)"
    split = end_use_split(pd.Series(["27", "84"]), load_hs6_classes(*paths, "HS1992"), weights)
    split = split.set_index(["product_code", "end_use"])["fraction"]
    assert split["27", "intermediate"] == pytest.approx(
        _ots_heading_fractions(shared_datasets, raw_bec, "27", UN_INTERMEDIATE), rel=1e-9)
    assert split["84", "capital"] == pytest.approx(
        _ots_heading_fractions(shared_datasets, raw_bec, "84", UN_CAPITAL), rel=1e-9)
    # 2710 petroleum oils (BEC 32 unsplit, and 21/31 beside it) stays mixed: no weight splits it
    assert split["27", "mixed"] > 0.3


def test_senegal_capital_estimate_matches_a_hand_split_of_the_raw_files(table, atlas_2019, raw_bec,
                                                                       shared_datasets):
    """Lower bound plus each mixed HS2 chapter's value times its world-weight capital fraction
    (chapter 99 has no HS6 subheading: unmapped, nothing to split)."""
    rows = atlas_2019[(atlas_2019["importer"] == "SEN") & (atlas_2019["exporter"] != "ANS")]
    capital = rows["product_code"].map(_wholly(rows["product_code"], raw_bec, UN_CAPITAL))
    chapters = rows[rows["product_code"].str.len() == 2].groupby("product_code")["value"].sum()
    split = sum(v * _ots_heading_fractions(shared_datasets, raw_bec, c, UN_CAPITAL) for c, v in chapters.items()
                if not _wholly([c], raw_bec, UN_CAPITAL)[c] and raw_bec["hs6"].str.startswith(c).any())
    expected = rows.loc[capital, "value"].sum() + split
    assert _row(table, "SEN", "imports", "WORLD", "capital")["value_usd_estimate"] == pytest.approx(expected, rel=1e-9)


def test_liberia_capital_imports_are_flag_registered_ships(table, atlas_2019, raw_bec):
    rows = atlas_2019[(atlas_2019["importer"] == "LBR") & (atlas_2019["exporter"] != "ANS")]
    capital = rows[rows["product_code"].map(_wholly(rows["product_code"], raw_bec, UN_CAPITAL))]
    ships = capital.loc[capital["product_code"].str[:4].isin(["8901", "8902", "8903", "8904", "8905", "8906"]),
                        "value"].sum()
    got = _row(table, "LBR", "imports", "WORLD", "capital")
    assert got["open_registry"] and got["ships_share"] == pytest.approx(ships / capital["value"].sum(), rel=1e-9)
    assert got["ships_share"] > 0.98  # 2019: 8901 is $6.6bn of $6.7bn
    assert not _row(table, "SEN", "imports", "WORLD", "capital")["open_registry"]
