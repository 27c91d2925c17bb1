"""The DuckDB engine (pipeline/contracts/sql.py) agrees with Great Expectations, rule by rule.

Great Expectations is the outside implementation: on real frames of every contract (cut from
the shared datasets, see conftest.py), and on copies with defects injected into real rows,
each rule's failing count, sample values and first failing rows (by origin file and row) from
DuckDB equal GX's. No expected value comes from the engine under test.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.contracts import all_contracts, check_frame, load_contract
from pipeline.contracts.conform import conform
from pipeline.contracts.expectations import compile_rules, run_expectations
from pipeline.contracts.origin import split_origin, tag_origin
from pipeline.contracts.sql import run_sql
from pipeline.contracts.sql_rules import compile_rule
from pipeline.sources.files import FilesSource
from pipeline.transform import canonical

CONTRACTS = [c.name for c in all_contracts()]


def _first(rules, expectation, test=lambda r: True):
    return next((r for r in rules if r.expectation == expectation and "row_condition" not in r.kwargs
                 and test(r)), None)


def inject_defects(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """``frame`` (real rows) with a null key, duplicate keys, an out-of-set code, a negative
    value, an out-of-range year and a value of the wrong type, each in a different real row."""
    contract = load_contract(table)
    rules = compile_rules(contract)
    bad = frame.copy()
    for column in bad.columns:
        if column in contract.column_names:
            bad[column] = bad[column].astype(object)
    key = contract.primary_key
    bad.loc[[2, 5], key[0]] = None
    if rule := _first(rules, "expect_column_values_to_be_in_set"):
        values = rule.kwargs["value_set"]
        bad.loc[4, rule.kwargs["column"]] = "ZZZ" if isinstance(values[0], str) else max(values) + 1
    if rule := _first(rules, "expect_column_values_to_be_between",
                      lambda r: r.kwargs.get("min_value") is not None and r.kwargs["column"] != "year"):
        bad.loc[6, rule.kwargs["column"]] = rule.kwargs["min_value"] - 1
    if "year" in bad.columns:
        bad.loc[8, "year"] = 2500
    numeric = next(c.name for c in contract.columns if c.physical_type != "string" and c.name in bad)
    bad.loc[9, numeric] = "n/a"
    return pd.concat([bad, bad.iloc[[3, 7]]], ignore_index=True)


def _both(frame: pd.DataFrame, table: str):
    contract = load_contract(table)
    frame, origin = split_origin(frame)
    conformed, _ = conform(frame, contract, origin)
    rules = compile_rules(contract)
    floating = {c for c in conformed if pd.api.types.is_float_dtype(conformed[c])}
    assert all(compile_rule(r, floating) is not None for r in rules), "a rule fell back to GX"
    return run_expectations(conformed, contract, rules, origin), run_sql(conformed, contract, rules, origin)


@pytest.mark.parametrize("table", CONTRACTS)
def test_good_frames_agree(good_frames, table):
    gx, duck = _both(good_frames[table], table)
    assert duck == gx


@pytest.mark.parametrize("table", CONTRACTS)
def test_defects_in_real_rows_agree(good_frames, table):
    frame = good_frames[table].reset_index(drop=True)
    gx, duck = _both(inject_defects(frame, table), table)
    assert any("not_be_null" in f.expectation for f in gx), "the injected null key went unseen"
    assert any("unique" in f.expectation for f in gx), "the injected duplicates went unseen"
    assert duck == gx


@pytest.fixture(scope="module")
def tagged_tables(shared_datasets) -> dict[str, pd.DataFrame]:
    """input_output (WIOD) and bilateral_goods_trade as the bulk assets build them: every row
    tagged with its file and row (assets/bulk_tables.py)."""
    source = FilesSource(shared_datasets)
    out = {}
    for table, finalize, limit in (("input_output", canonical.finalize_input_output, 1),
                                   ("bilateral_goods_trade", canonical.finalize_bilateral_goods_trade, None)):
        items = source.discover(table)[:limit]
        out[table] = finalize([tag_origin(source.read(i), i.provenance.location) for i in items])
    return out


@pytest.mark.parametrize("table", ["input_output", "bilateral_goods_trade"])
def test_tagged_real_tables_agree_by_origin(tagged_tables, table):
    frame = tagged_tables[table].head(300_000).reset_index(drop=True)
    bad = inject_defects(frame, table)
    gx, duck = _both(bad, table)
    assert gx and all(f.rows and all(r.get("file") for r in f.rows) for f in gx if f.failing_rows < len(bad))
    assert duck == gx


def test_the_gate_switches_engine_by_rows_and_setting(good_frames, monkeypatch):
    frame = inject_defects(good_frames["bilateral_goods_trade"].reset_index(drop=True), "bilateral_goods_trade")
    contract = load_contract("bilateral_goods_trade")
    reports = {e: check_frame(frame, contract, "test", engine=e)[1] for e in ("gx", "duckdb", "auto")}
    assert reports["gx"].findings == reports["duckdb"].findings == reports["auto"].findings
    monkeypatch.setenv("TRADE_CONTRACT_ENGINE", "sql")
    with pytest.raises(ValueError, match="TRADE_CONTRACT_ENGINE='sql'"):
        check_frame(frame, contract, "test")


def test_nan_counts_as_missing_as_in_gx(good_frames):
    frame = good_frames["bilateral_goods_trade"].reset_index(drop=True).copy()
    frame.loc[[1, 4], "value_usd"] = np.nan
    gx, duck = _both(frame, "bilateral_goods_trade")
    assert [f.failing_rows for f in gx if f.column == "value_usd"] == [2]
    assert duck == gx


def test_a_wrong_engine_setting_is_named_at_startup():
    from assets.preflight import setting_problems

    env = {"TRADE_SOURCES": "auto", "TRADE_BULK_DIR": "", "COMTRADE_YEARS": "2019-2022",
           "COMTRADE_REPORTERS": "BGD", "TRADE_BRIEF_COUNTRIES": "BGD"}
    assert not [p for p in setting_problems({**env, "TRADE_CONTRACT_ENGINE": "DuckDB"}) if "ENGINE" in p]
    problems = setting_problems({**env, "TRADE_CONTRACT_ENGINE": "polars"})
    assert [p for p in problems if p.startswith("TRADE_CONTRACT_ENGINE='polars' is not one of auto, gx, duckdb")]


def test_parquet_files_agree_with_gx_on_the_same_rows(tagged_tables, tmp_path):
    """The out-of-core path: the defective real rows written as two Parquet files (with their
    origin columns), scanned by DuckDB, against GX on the same rows in memory."""
    from pipeline.contracts.sql import run_sql_parquet

    table = "bilateral_goods_trade"
    contract = load_contract(table)
    frame, origin = split_origin(inject_defects(tagged_tables[table].head(50_000).reset_index(drop=True), table))
    conformed, _ = conform(frame, contract, origin)
    whole = pd.concat([conformed, origin.astype({"_origin_file": str})], axis=1)
    half = len(whole) // 2
    paths = [tmp_path / "part-0.parquet", tmp_path / "part-1.parquet"]
    whole.iloc[:half].to_parquet(paths[0], index=False)
    whole.iloc[half:].to_parquet(paths[1], index=False)
    rules = compile_rules(contract)
    duck, left = run_sql_parquet(paths, contract, rules)
    gx = run_expectations(conformed, contract, rules, origin)
    assert not left and len(gx) >= 3
    assert duck == gx
