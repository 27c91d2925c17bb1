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
from pipeline.contracts.sql import frame_kinds, run_sql
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
    assert all(compile_rule(r, floating, frame_kinds(conformed)) is not None for r in rules), "a rule fell back to GX"
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


# --- Review cases (stop 25): where DuckDB's SQL and GX's pandas semantics part, GX decides. ---

def _gx_and_duck(frame: pd.DataFrame, table: str, rules):
    contract = load_contract(table)
    return run_expectations(frame, contract, rules, None), run_sql(frame, contract, rules, None)


def test_an_empty_table_fails_its_row_count_rule_in_both(good_frames):
    table = "bilateral_goods_trade"
    contract = load_contract(table)
    conformed, _ = conform(good_frames[table].head(0), contract, None)
    rules = compile_rules(contract)
    gx, duck = _gx_and_duck(conformed, table, rules)
    assert [f.expectation for f in gx] == ["expect_table_row_count_to_be_between"]
    assert duck == gx


def test_conditions_with_booleans_missing_names_and_negations_agree(good_frames):
    """``True``/``False`` compile to SQL literals; ``!=``, ``not`` and ``None`` fall back to GX
    (pandas: a missing value differs from everything; SQL: unknown). Real rows with two
    reporters blanked."""
    from pipeline.contracts.expectations import Rule

    table = "bilateral_goods_trade"
    contract = load_contract(table)
    frame, _ = conform(good_frames[table], contract, None)
    frame = frame.astype({"reporter_iso3": object})
    frame.loc[[3, 11], "reporter_iso3"] = None
    first = frame["reporter_iso3"].dropna().iloc[0]
    rules = [Rule("expect_column_values_to_be_null", {"column": "reporter_iso3", "row_condition": c,
                                                      "condition_parser": "pandas"}, "fix")
             for c in (f'reporter_iso3 != "{first}"', f'not (reporter_iso3 == "{first}")', "value_usd > 0 or False",
                       "year == 2016 and True", "reporter_iso3 == None", "True")]
    kinds = frame_kinds(frame)
    assert compile_rule(rules[3], set(), kinds) is not None
    assert all(compile_rule(r, set(), kinds) is None for r in (rules[0], rules[1], rules[4], rules[5]))
    for rule in rules:
        gx, duck = _gx_and_duck(frame, table, [rule])
        assert duck == gx, rule.kwargs["row_condition"]
    assert _gx_and_duck(frame, table, [rules[0]])[0][0].failing_rows == (frame["reporter_iso3"] != first).sum() - 2


def test_nan_in_parquet_is_missing_in_conditions_too(good_frames, tmp_path):
    """Parquet written by pyarrow or DuckDB keeps NaN (pandas writes null): the real
    ``commodity_equal_split_share > 0.05`` rule must not fire on NaN (DuckDB orders NaN last)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipeline.contracts.sql import run_sql_parquet

    table = "export_product_concentration"
    contract = load_contract(table)
    frame, _ = conform(good_frames[table], contract, None)
    column = "commodity_equal_split_share"
    # Two real rows with a published share lose their split share (as a writer's NaN).
    shown = frame.index[frame["commodity_export_share"].notna() & frame[column].notna()][:2]
    assert len(shown) == 2
    frame.loc[shown, column] = np.nan
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    arrow = arrow.set_column(arrow.schema.get_field_index(column), column,
                             pa.array(frame[column].to_numpy(dtype=float), from_pandas=False))
    assert pa.compute.sum(pa.compute.is_nan(arrow[column])).as_py() > 0
    pq.write_table(arrow, tmp_path / "part.parquet")
    rules = [r for r in compile_rules(contract) if "commodity_equal_split_share > 0.05" in r.kwargs.get("row_condition", "")]
    assert rules
    duck, left = run_sql_parquet([tmp_path / "part.parquet"], contract, rules)
    assert not left and duck == run_expectations(frame, contract, rules, None)


def test_infinite_bounds_and_value_sets_of_another_kind(good_frames):
    from pipeline.contracts.expectations import Rule

    table = "bilateral_goods_trade"
    frame, _ = conform(good_frames[table], load_contract(table), None)
    rules = [Rule("expect_column_values_to_be_between", {"column": "value_usd", "min_value": 1e6,
                                                         "max_value": float("inf")}, "fix"),
             Rule("expect_column_values_to_be_in_set", {"column": "year", "value_set": ["2016"]}, "fix")]
    assert compile_rule(rules[0], {"value_usd"}, {"value_usd": "number"}) is not None
    assert compile_rule(rules[1], set(), {"year": "number"}) is None
    for rule in rules:
        gx, duck = _gx_and_duck(frame, table, [rule])
        assert gx and duck == gx
    assert _gx_and_duck(frame, table, rules[1:])[0][0].failing_rows == len(frame)


def _pyarrow_parquet(frame: pd.DataFrame, path, nan_columns=()) -> None:
    """``frame`` written as pyarrow writes it, NaN kept as NaN in ``nan_columns`` (pandas'
    writer turns NaN into null)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    for column in nan_columns:
        arrow = arrow.set_column(arrow.schema.get_field_index(column), column,
                                 pa.array(frame[column].to_numpy(dtype=float), from_pandas=False))
    pq.write_table(arrow, path)


def test_nan_rows_are_the_failing_rows_of_a_parquet_scan_too(good_frames, tmp_path):
    """Review (stop 26): over Parquet holding NaN, DuckDB's WHERE isnan(...) found no row (row
    groups pruned on min/max statistics) while the counts were right: the failing rows and
    samples were empty. Real panel rows, two values NaN, the contract's own rules."""
    from pipeline.contracts.sql import run_sql_parquet

    table = "bilateral_goods_trade"
    contract = load_contract(table)
    frame, _ = conform(good_frames[table], contract, None)
    frame.loc[[5, 17], "value_usd"] = np.nan
    _pyarrow_parquet(frame, tmp_path / "part.parquet", ["value_usd"])
    rules = compile_rules(contract)
    duck, left = run_sql_parquet([tmp_path / "part.parquet"], contract, rules)
    gx = run_expectations(frame, contract, rules, None)
    strip = [dataclasses_replace(f, rows=[{k: v for k, v in r.items() if k not in ("file", "row")} for r in f.rows])
             for f in duck]
    assert not left and [f.failing_rows for f in gx] == [2]
    assert strip == gx and [r["row"] for r in duck[0].rows] == [6, 18]


def dataclasses_replace(finding, **changes):
    import dataclasses

    return dataclasses.replace(finding, **changes)


@pytest.mark.parametrize("condition", ["2000 < year < 2017", 'year == "2016"', 'year.isin(["2016"])',
                                       "product_code == 10", 'reporter_iso3 + partner_iso3 == "ABWAIA"',
                                       'flow == "ex\\port"', "value_usd > 1_000"])
def test_conditions_pandas_reads_otherwise_are_left_to_gx(good_frames, condition):
    """Review (stop 26): chained comparisons, literals of another kind than their column,
    ``+`` on text, escapes and ``1_000`` either crashed DuckDB or counted otherwise than GX."""
    _left_to_gx(good_frames, "bilateral_goods_trade", "reporter_iso3", condition, {"value_usd"})


def _left_to_gx(good_frames, table: str, column: str, condition: str, floating: set[str]):
    """A not-null rule on ``column`` under ``condition``: not compiled, and GX's verdict stands
    (the frame and GX's findings returned)."""
    from pipeline.contracts.expectations import Rule

    frame, _ = conform(good_frames[table], load_contract(table), None)
    rule = Rule("expect_column_values_to_be_null", {"column": column, "row_condition": condition,
                                                    "condition_parser": "pandas"}, "fix")
    assert compile_rule(rule, floating, frame_kinds(frame)) is None
    gx, duck = _gx_and_duck(frame, table, [rule])
    assert duck == gx
    return frame, gx


def test_nan_keys_are_missing_in_uniqueness_over_parquet(good_frames, tmp_path):
    """Review (stop 26): a float key that is NaN in three rows counted as three duplicates over
    Parquet; GX skips missing keys. Real rows, ``value_usd`` as the key of an ad hoc rule."""
    from pipeline.contracts.expectations import Rule
    from pipeline.contracts.sql import run_sql_parquet

    table = "bilateral_goods_trade"
    contract = load_contract(table)
    frame, _ = conform(good_frames[table], contract, None)
    frame.loc[[2, 9, 30], "value_usd"] = np.nan
    _pyarrow_parquet(frame, tmp_path / "part.parquet", ["value_usd"])
    rules = [Rule("expect_column_values_to_be_unique", {"column": "value_usd"}, "fix")]
    duck, left = run_sql_parquet([tmp_path / "part.parquet"], contract, rules)
    gx = run_expectations(frame, contract, rules, None)
    repeated = int(frame["value_usd"].dropna().duplicated(keep=False).sum())  # NaN skipped, as GX does
    assert not left and [f.failing_rows for f in gx] == [f.failing_rows for f in duck] == [repeated]


@pytest.mark.parametrize("condition", ["iso3 == year", "indicator_code > year", "iso3 == True",
                                       "is_aggregate > 0.5", "is_aggregate == year"])
def test_conditions_mixing_kinds_of_columns_are_left_to_gx(good_frames, condition):
    """Review (stop 27): two columns of different kinds, ``True``/``False`` beside a text column
    and a bool column beside a fraction compiled to SQL that DuckDB refuses
    (ConversionException / BinderException) where GX gives a verdict: left to GX, on the real
    WDI rows (where ``is_aggregate`` holds aggregates such as WLD)."""
    frame, gx = _left_to_gx(good_frames, "macro_indicators", "value", condition, {"value"})
    if condition == "is_aggregate > 0.5":  # GX's own reading: the aggregates' non-null values fail
        rows = frame[frame["is_aggregate"].astype(bool) & frame["value"].notna()]
        assert len(rows) > 0 and [f.failing_rows for f in gx] == [len(rows)]
