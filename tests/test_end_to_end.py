"""Tier 3: the whole graph materialized on the real shared data into a temporary warehouse (the
session's one `make run`, tests/conftest.py ``bulk_run``), then a second run with one corrupted
input that must stop at the contract gate and leave the first run's Parquet files byte-identical."""
from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.dataset as ds
import pytest

from assets.live_sources import API_ONLY_TABLES
from pipeline.contracts import all_contracts
from pipeline.warehouse import read_table
from tests.env import digests
from tests.make_run import bulk_settings, make_run

pytestmark = pytest.mark.slow

# Rows of bilateral_goods_trade: penppml TOTAL 316,317 + Atlas sectors 1,720,321 + Atlas HS2/HS4
# 2,312,164 + BACI HS92 71,192 + BACI HS17 72,097 (the datasets' MANIFESTs).
BILATERAL_ROWS = 316317  # the Comtrade/DTA panel's totals
PRODUCT_ROWS = 1720321 + 2312164 + 71192 + 72097  # Atlas sections, Atlas HS2/HS4, BACI HS92, HS17 (issue 17: own table)


@pytest.fixture(scope="module")
def first_run(bulk_run):
    """The session's `make run` (tests/conftest.py): its recorded run and warehouse."""
    return bulk_run.run, bulk_run.warehouse


@pytest.fixture(scope="module")
def bulk_dir(bulk_run) -> Path:
    return Path(bulk_run.settings["TRADE_BULK_DIR"])


def test_make_run_says_what_it_left_out_and_warns_of_nothing(bulk_run):
    """`make run` exits 0, names the branch it leaves out, and prints no warning a user cannot act on."""
    assert bulk_run.returncode == 0, bulk_run.stderr[-3000:]
    assert "refresh succeeded" in bulk_run.stdout
    assert "left out of this run: bulk mode: BaTIS and TiVA come only from the OECD API" in bulk_run.stderr
    output = bulk_run.stdout + bulk_run.stderr
    assert "Warning" not in output and "warnings.warn" not in output, output[-3000:]


def test_full_materialization_publishes_every_table(first_run):
    result, warehouse = first_run
    assert result.success
    catalog = json.loads((warehouse / "catalog.json").read_text())["tables"]
    assert set(catalog) == {c.name for c in all_contracts()} - set(API_ONLY_TABLES)  # OECD: live only
    for name, entry in catalog.items():
        table = ds.dataset(warehouse / entry["path"], format="parquet", partitioning="hive")
        assert table.count_rows() == entry["row_count"] > 0, name
        assert [c["name"] for c in entry["columns"]] == [f.name for f in table.schema] or \
            entry["partitioning"], name
    assert catalog["bilateral_goods_trade"]["row_count"] == BILATERAL_ROWS
    assert catalog["bilateral_product_trade"]["row_count"] == PRODUCT_ROWS
    evaluations = [e for e in result.get_asset_check_evaluations()]
    assert evaluations and all(e.passed for e in evaluations)
    assert len(evaluations) == len(catalog)


def test_outputs_answer_analyst_questions(first_run):
    _, warehouse = first_run
    profile = read_table(warehouse, "country_trade_profile")
    assert profile["year"].dtype == "int32"  # hive partition typed by the contract
    ken = profile[profile["iso3"] == "KEN"].set_index("year")
    assert 0 < ken.loc[2008, "export_partner_hhi"] <= 1 and ken.loc[2008, "exports_usd"] > 1e9
    assert ken.loc[2008, "top_export_partner_iso3"] == "GBR"
    # Kenya reports no exports to Comtrade/DTA after 2008; 2016 comes from the Atlas (listed
    # first in the manifest's goods_totals), one source for both directions, imports mirror.
    assert ken.loc[2008, "source"] == "penppml_comtrade_dta" and ken.loc[2016, "source"] == "atlas_sections"
    assert ken.loc[2016, "exports_usd"] > 1e9 and ken.loc[2016, "imports_usd"] > 1e10
    assert ken.loc[2016, "imports_mirror"] and ken.loc[2019, "export_partner_hhi"] > 0
    assert ken.loc[2016, "trade_openness_pct"] == pytest.approx(34.87, abs=0.01)  # WDI 2016
    exposure = duckdb.sql(
        f"select * from read_parquet('{warehouse}/country_group_exposure/**/*.parquet', "
        "hive_partitioning=true) where iso3 = 'GBR' and group_id = 'EU' and direction = 'exports'"
    ).df().set_index("year")
    assert exposure.loc[2016, "is_member"] and 0.3 < exposure.loc[2016, "share"] < 0.6
    # Shares of exports to all groups stay within 0..1 and members of BRICS get EGY only from 2024.
    assert exposure["share"].between(0, 1).all()


def test_dependency_outputs_on_real_data(first_run):
    _, warehouse = first_run
    bilateral = duckdb.sql(
        f"select product_classification, count(*) n, sum(value_usd) v from read_parquet("
        f"'{warehouse}/bilateral_product_trade/**/*.parquet', hive_partitioning=true) where year = 2019 "
        "group by 1").df().set_index("product_classification")
    # The same 2019 flows at two levels: the HS subset's 31 countries are a part of the world.
    assert set(bilateral.index) == {"ATLAS_SECTION", "HS92_2_4"}
    assert 1.5e13 < bilateral.loc["ATLAS_SECTION", "v"] < 2e13  # world goods trade, MANIFEST: 18.2T
    strategic = read_table(warehouse, "strategic_dependencies")
    tgo = strategic[(strategic["iso3"] == "TGO") & (strategic["year"] == 2019) & (strategic["product_code"] == "8507")]
    assert len(tgo) == 1 and tgo["top_supplier_iso3"].iloc[0] == "CHN"
    assert tgo["supplier_hhi"].iloc[0] == pytest.approx(0.8673, abs=1e-4)  # by hand in tests/metrics
    card = read_table(warehouse, "country_scorecard").set_index(["iso3", "year"])
    assert not card.index.duplicated().any()
    assert card.loc[("GBR", 2016), "eu_member"] and card.loc[("GBR", 2016), "exports_to_eu_share"] > 0.3
    assert card.loc[("AGO", 2019), "commodity_export_share"] > 0.95
    assert card.loc[("AGO", 2019), "export_product_hhi"] > 0.8
    assert card.loc[("AGO", 2019), "strategic_dependency_classification"] == "HS92_2_4"
    # The count comes from HS classifications only: a country evaluated there has a number (0 when
    # nothing is flagged), one evaluated only on the 10 Atlas sectors (Germany 2019) or not at all
    # (2008) is empty. The EU is a unit of its own, no scorecard row.
    hs = strategic[strategic["product_classification"] == "HS92_2_4"]
    hs_counts = hs[hs["unit_type"] == "economy"].groupby(["iso3", "year"])["is_dependency"].sum()
    assert card.loc[("AGO", 2019), "strategic_dependency_count"] == hs_counts.loc[("AGO", 2019)]
    assert pd.isna(card.loc[("DEU", 2019), "strategic_dependency_count"])
    assert pd.isna(card.loc[("DEU", 2008), "strategic_dependency_count"])
    eu = strategic[strategic["unit"] == "EU"]
    assert set(eu["unit_type"]) == {"group"} and eu["iso3"].isna().all() and len(eu) == 110  # 10 sectors x 11 years
    assert card.loc[("DEU", 2019), "trade_openness_pct"] > 50  # WDI, a year without partner data
    profile = read_table(warehouse, "country_trade_profile").set_index(["iso3", "year"])
    ken = profile.loc[("KEN", 2008)]
    assert ken["top_export_partner_share"] <= ken["top3_export_partner_share"] <= 1


def test_rca_published_per_year_partition_equals_the_pandas_table(first_run):
    """out__revealed_comparative_advantage (DuckDB, one year partition at a time) publishes the
    figures of the pandas table computed here from the whole published product table."""
    _, warehouse = first_run
    from pipeline.metrics.dependency import rca_table

    key = ["year", "iso3", "product_classification", "product_code"]
    published = read_table(warehouse, "revealed_comparative_advantage").astype({"year": int})
    expected = rca_table(read_table(warehouse, "bilateral_product_trade")).astype({"year": int})
    merged = published.merge(expected, on=key, how="outer", suffixes=("", "_pd"), indicator=True)
    assert (merged["_merge"] == "both").all() and len(published) == len(expected) == 25076
    for col in ("export_value_usd", "export_share", "world_share", "rca"):
        assert ((merged[col] - merged[f"{col}_pd"]).abs() <= 1e-12 * merged[f"{col}_pd"].abs()).all(), col
    ago = merged.set_index(key).loc[(2019, "AGO", "ATLAS_SECTION", "3"), "rca"]
    assert ago > 5  # crude oil: Angola's revealed advantage in Atlas sector 3 (Minerals)


@pytest.fixture(scope="module")
def whole_goods(first_run) -> pd.DataFrame:
    """The published totals and product tables read whole into one frame: what the product
    metrics read before they went per year partition (the pandas reference)."""
    _, warehouse = first_run
    return pd.concat([_as_loaded(warehouse, "bilateral_goods_trade"), _as_loaded(warehouse, "bilateral_product_trade")],
                     ignore_index=True)


def _as_loaded(warehouse: Path, table: str) -> pd.DataFrame:
    """A published table as the IO manager hands it to an asset (typed by its contract)."""
    from pipeline.contracts import load_contract

    return read_table(warehouse, table, load_contract(table).arrow_schema())


def _published_equal(warehouse: Path, table: str, expected: pd.DataFrame, key: list[str]) -> dict:
    from tests.metrics.same_table import assert_same_table

    published = read_table(warehouse, table)
    # Every column both ways: none the reference has may be missing from the published table.
    assert set(published.columns) == set(expected.columns), set(published.columns) ^ set(expected.columns)
    return assert_same_table(published, expected[list(published.columns)], key)


def test_product_metrics_published_per_year_partition_equal_the_pandas_tables(
        bulk_run, whole_goods, product_table, strategic_reference, end_use_reference):
    """out__export_product_concentration, out__strategic_dependencies, out__end_use_trade,
    out__country_trade_profile and out__country_group_exposure (DuckDB, one year partition of the
    product table at a time) publish every row and value of their pandas implementations: the first
    three computed from the shared files themselves, read through the manifest (tests/product_fixtures.py:
    the references tests/metrics compares the per-year functions with, built once per session), the
    profile and exposure here from the whole published tables with the run's own inputs."""
    from pipeline.metrics.goods_sources import load_totals_precedence
    from pipeline.metrics.trade_profile import country_group_exposure, country_trade_profile
    from pipeline.reference.groups import membership_panel

    warehouse, manifest = bulk_run.warehouse, bulk_run.settings["TRADE_MANIFEST"]
    same = _published_equal(warehouse, "export_product_concentration", product_table,
                            ["year", "iso3", "product_classification"])
    assert same["rows"] == len(product_table) > 3000 and same["max_rel"] <= 1e-9
    same = _published_equal(warehouse, "strategic_dependencies", strategic_reference,
                            ["year", "unit", "product_classification", "product_code"])
    assert same["rows"] == len(strategic_reference) > 80_000
    same = _published_equal(warehouse, "end_use_trade", end_use_reference,
                            ["year", "iso3", "product_classification", "direction", "partner_group", "end_use"])
    assert same["rows"] == len(end_use_reference) > 60_000
    # The profile and group exposure read only the declared totals sources' product rows, summed per pair.
    groups = _as_loaded(warehouse, "country_groups")
    groups = groups.assign(start_date=pd.to_datetime(groups["start_date"]), end_date=pd.to_datetime(groups["end_date"]))
    membership = membership_panel(groups, sorted(whole_goods["year"].astype(int).unique()))
    precedence = load_totals_precedence(manifest)
    profile = country_trade_profile(whole_goods, _as_loaded(warehouse, "macro_indicators"), precedence)
    assert _published_equal(warehouse, "country_trade_profile", profile, ["iso3", "year"])["rows"] == len(profile)
    exposure = country_group_exposure(whole_goods, membership, precedence)
    same = _published_equal(warehouse, "country_group_exposure", exposure, ["iso3", "year", "group_id", "direction"])
    assert same["rows"] == len(exposure) > 50_000


def test_services_restrictiveness_is_published_from_the_bulk_files(first_run, shared_datasets):
    """`make run` publishes both STRI tables: the files' values unchanged (China's 2020 Digital STRI
    0.3470705), group averages equal to the mean of the members' file rows, the closing note's
    BRICS and TiSA averages by year, and the scorecard's digital_stri."""
    _, warehouse = first_run
    records = json.loads((shared_datasets / "oecd_stri_digital_2020_2024/digital_trade_index_all_data.json").read_text())
    stri = read_table(warehouse, "services_restrictiveness")
    assert len(stri) == 2730 + 15720 and set(stri["source"]) == {"oecd_stri_digital", "oecd_stri_intra_eea"}
    value = stri.set_index(["iso3", "year", "index_id", "sector_id", "policy_area"])["value"]
    assert value[("CHN", 2020, "digital", "TOTAL", "composite")] == 0.3470704555511475
    composite = {(r["REF_AREA"], int(r["TIME_PERIOD"])): float(r["OBS_VALUE"]) for r in records if r["MEASURE"] == "STRI"}
    profile = read_table(warehouse, "services_restrictiveness_profile")
    groups = profile[(profile["unit_type"] == "group") & (profile["index_id"] == "digital")
                     & (profile["policy_area"] == "composite")].pivot(index="year", columns="unit", values="value")
    brics = {2020: "BRA RUS IND CHN ZAF", 2024: "BRA RUS IND CHN ZAF ETH"}  # covered (EGY, IRN, ARE: no index)
    for year, members in brics.items():
        by_hand = [composite[(m, year)] for m in members.split()]
        assert groups.loc[year, "BRICS"] == pytest.approx(sum(by_hand) / len(by_hand), rel=1e-12)
    # The README's walk-through and the closing note of issue 15 quote these.
    assert groups["BRICS"].round(3).tolist() == [0.275, 0.284, 0.309, 0.309, 0.335]
    assert groups["TISA"].round(3).tolist() == [0.114, 0.116, 0.116, 0.116, 0.117]
    china = profile[(profile["unit"] == "CHN") & (profile["year"] == 2020) & (profile["index_id"] == "digital")
                    & (profile["policy_area"] == "composite")]
    assert china["rank_most_restrictive"].item() == 10 and china["economies_ranked"].item() == 91
    card = read_table(warehouse, "country_scorecard").set_index(["iso3", "year"])
    assert card.loc[("CHN", 2020), "digital_stri"] == 0.3470704555511475
    assert card["digital_stri"].notna().sum() > 80 and pd.isna(card.loc[("CHN", 2016), "digital_stri"])


def corrupted_bulk(tmp: Path, bulk_dir: Path, shared_datasets: Path) -> Path:
    """Same links, but the Comtrade/DTA panel replaced by a copy with negative trade values."""
    bad = tmp / "bulk_bad"
    shutil.copytree(bulk_dir, bad, symlinks=True)
    folder = bad / "penppml_comtrade_dta_1964_2016"
    folder.unlink()
    folder.mkdir()
    frame = pd.read_csv(shared_datasets / "penppml_comtrade_dta_1964_2016/penppml_trade.csv.gz")
    frame.loc[frame.index[:7], "export"] = -1.0
    with gzip.open(folder / "penppml_trade.csv.gz", "wt") as handle:
        frame.to_csv(handle, index=False)
    return bad


def test_corrupted_input_stops_at_the_gate_and_keeps_published_files(
    first_run, bulk_dir, shared_datasets, tmp_path
):
    """`make run` again, on a bulk directory whose Comtrade/DTA panel has 7 negative values."""
    warehouse = tmp_path / "warehouse"  # a copy: the session's warehouse stays as `make run` left it
    shutil.copytree(first_run[1], warehouse)
    before = digests(warehouse)
    # Only what the corrupted file feeds runs (TRADE_ASSETS): the raw input, its core table behind
    # the gate and everything downstream; the rest of the graph would redo the first run.
    settings = bulk_settings(corrupted_bulk(tmp_path, bulk_dir, shared_datasets), warehouse)
    rerun = make_run({**settings, "TRADE_ASSETS": "key:raw_files__bilateral_goods_trade+"}, tmp_path / "dagster_home")
    assert rerun.returncode == 1 and "tables published by the last good run are untouched" in rerun.stderr
    [said] = [line for line in rerun.stderr.splitlines() if line.startswith("TRADE_ASSETS: running")]
    assert "core__bilateral_goods_trade" in said and "raw_files__input_output" not in said
    result = rerun.run
    assert not result.success
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert [e.asset_key.to_user_string() for e in failed] == ["core__bilateral_goods_trade"]
    failures = failed[0].metadata["failures"].value
    negative = [f for f in failures if f["column"] == "value_usd"]
    assert negative and negative[0]["failing_rows"] == 7
    assert "expect_column_values_to_be_between" == negative[0]["expectation"]
    step_failures = [e for e in result.all_events if e.is_step_failure]
    message = step_failures[0].step_failure_data.error.message
    assert "penppml_trade.csv.gz" in message and "value_usd" in message and f"7 of {BILATERAL_ROWS}" in message
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "core__bilateral_goods_trade" not in materialized
    assert materialized == {"raw_files__bilateral_goods_trade"}  # nothing outside the selection ran
    assert not materialized & {"out__country_trade_profile", "out__country_group_exposure",
                               "out__strategic_dependencies", "out__country_scorecard"}
    assert digests(warehouse) == before
