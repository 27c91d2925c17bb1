"""Every contract accepts its good frame and rejects each kind of bad frame, naming column and count."""
from __future__ import annotations

import pandas as pd
import pytest

from pipeline.contracts import ContractViolation, all_contracts, check_frame, enforce, load_contract

CONTRACTS = [c.name for c in all_contracts()]


def _failures(frame: pd.DataFrame, table: str):
    _, report = check_frame(frame, load_contract(table), source=f"test frame for {table}")
    assert not report.passed, f"{table} accepted a bad frame"
    return report


def _finding(report, expectation_part: str, column: str):
    hits = [f for f in report.findings if expectation_part in f.expectation and column in (f.column or "")]
    assert hits, f"no {expectation_part} finding on {column}: {report.message()}"
    assert column in report.message() and expectation_part in report.message()
    return hits[0]


def test_the_published_tables_all_have_contracts():
    assert set(CONTRACTS) >= {
        "bilateral_goods_trade", "macro_indicators", "country_groups", "gravity_panel",
        "input_output", "country_trade_profile", "country_group_exposure",
    }


@pytest.mark.parametrize("table", CONTRACTS)
def test_good_frame_passes(good_frames, table):
    frame = good_frames[table]
    assert len(frame) > 0
    out = enforce(frame, load_contract(table), source="real data sample")
    assert list(out.columns) == load_contract(table).column_names


@pytest.mark.parametrize("table", CONTRACTS)
def test_missing_column_is_named(good_frames, table):
    column = load_contract(table).primary_key[-1]
    report = _failures(good_frames[table].drop(columns=[column]), table)
    finding = _finding(report, "column_exists", column)
    assert finding.failing_rows == len(good_frames[table])


@pytest.mark.parametrize("table", CONTRACTS)
def test_wrong_type_is_counted(good_frames, table):
    contract = load_contract(table)
    column = next(c.name for c in contract.columns if c.physical_type != "string")
    frame = good_frames[table].copy()
    frame[column] = frame[column].astype(object)
    frame.loc[[0, 1], column] = "n/a"
    finding = _finding(_failures(frame, table), "values_of_type", column)
    assert finding.failing_rows == 2 and "n/a" in finding.sample


@pytest.mark.parametrize("table", CONTRACTS)
def test_duplicate_keys_are_counted(good_frames, table):
    frame = good_frames[table]
    bad = pd.concat([frame, frame.iloc[[3]]], ignore_index=True)
    key = load_contract(table).primary_key
    finding = _finding(_failures(bad, table), "unique", key[0])
    assert finding.failing_rows == 2  # the original row and its copy


@pytest.mark.parametrize("table", CONTRACTS)
def test_missing_required_values_are_counted(good_frames, table):
    contract = load_contract(table)
    column = [c.name for c in contract.columns if c.required][-1]
    frame = good_frames[table].copy()
    frame[column] = frame[column].astype(object)
    frame.loc[[2, 5, 7], column] = None
    finding = _finding(_failures(frame, table), "not_be_null", column)
    assert finding.failing_rows == 3


def _columns_with_rule(table, predicate):
    return [
        c.name for c in load_contract(table).columns
        if any(predicate(q) for q in c.quality)
    ]


NONNEGATIVE = {
    t: cols for t in CONTRACTS
    if (cols := _columns_with_rule(
        t, lambda q: q.get("implementation", {}).get("kwargs", {}).get("min_value") == 0))
}
COUNTRY_CODED = {
    t: cols for t in CONTRACTS
    if (cols := _columns_with_rule(
        t, lambda q: q.get("arguments", {}).get("validValues") == "@country_codes"))
}


@pytest.mark.parametrize("table", sorted(NONNEGATIVE))
def test_negative_values_are_counted(good_frames, table):
    frame = good_frames[table].copy()
    column = NONNEGATIVE[table][0]
    frame.loc[[1, 4], column] = -5.0
    finding = _finding(_failures(frame, table), "between", column)
    assert finding.failing_rows == 2 and -5.0 in finding.sample


@pytest.mark.parametrize("table", sorted(COUNTRY_CODED))
def test_unknown_country_codes_are_counted(good_frames, table):
    frame = good_frames[table].copy()
    column = COUNTRY_CODED[table][0]
    frame.loc[[0, 2, 4], column] = "XYZ"
    finding = _finding(_failures(frame, table), "in_set", column)
    assert finding.failing_rows == 3 and finding.sample == ["XYZ"] * 3
    assert "country_codes.yaml" in finding.fix


def test_violation_message_names_source_and_fix(good_frames):
    frame = good_frames["bilateral_goods_trade"].copy()
    frame.loc[0, "value_usd"] = -1.0
    with pytest.raises(ContractViolation) as caught:
        enforce(frame, load_contract("bilateral_goods_trade"), source="penppml_trade.csv.gz")
    text = str(caught.value)
    assert "penppml_trade.csv.gz" in text and "value_usd" in text and "1 of 400 rows" in text
    assert "Fix:" in text and caught.value.report.findings[0].rows[0]["reporter_iso3"]


def test_product_concentration_rules_on_split_share_and_coverage(good_frames):
    """export_product_concentration 2.1.0: an UNCTAD index built mostly from equal parts
    (sitc3_equal_split_share > 0.05) and a country figure above twice its reference are refused."""
    frame = good_frames["export_product_concentration"].copy()
    hs = frame.index[frame["sitc3_equal_split_share"].notna()][:2]
    assert len(hs) == 2
    frame.loc[hs, "sitc3_equal_split_share"] = 0.9
    frame.loc[hs, "unctad_concentration_index"] = 0.633
    frame.loc[[0], "coverage_share"] = 15.2
    frame.loc[[0], "is_country_figure"] = True
    report = _failures(frame, "export_product_concentration")
    assert _finding(report, "to_be_null", "unctad_concentration_index").failing_rows == 2
    assert _finding(report, "in_set", "is_country_figure").failing_rows == 1
    assert "MAX_EQUAL_SPLIT" in report.message()


def test_product_concentration_rules_on_commodity_bounds(good_frames):
    """export_product_concentration 2.1.0: bounds out of order, a share published above 5% of
    exports split by equal parts, and a 60% flag where the bounds straddle it are refused."""
    frame = good_frames["export_product_concentration"].copy()
    hs = frame.index[frame["commodity_export_share_low"].notna()][:3]
    assert len(hs) == 3
    frame.loc[hs[0], ["commodity_export_share_low", "commodity_export_share_high"]] = [0.7, 0.6]
    frame.loc[hs[1], ["commodity_equal_split_share", "commodity_export_share"]] = [0.42, 0.7]
    frame.loc[hs[2], ["commodity_export_share_low", "commodity_export_share_high", "commodity_dependent"]] = [
        0.505, 0.921, True]
    report = _failures(frame, "export_product_concentration")
    assert _finding(report, "to_be_null", "commodity_export_share_low").failing_rows == 1
    assert _finding(report, "to_be_null", "commodity_export_share").failing_rows == 1
    assert _finding(report, "to_be_null", "commodity_dependent").failing_rows == 1


def test_product_rows_cannot_enter_the_totals_table(good_frames):
    """bilateral_goods_trade holds totals only (contract 1.1.x): a real product row (Atlas sector
    or HS code, from the product table's good frame) among real totals is refused on both columns,
    so no product value can be added to a country's goods totals."""
    totals = good_frames["bilateral_goods_trade"]
    products = good_frames["bilateral_product_trade"].head(3)
    assert (products["product_code"] != "TOTAL").all()
    frame = pd.concat([totals, products], ignore_index=True)
    report = _failures(frame, "bilateral_goods_trade")
    for column in ("product_classification", "product_code"):
        finding = _finding(report, "in_set", column)
        assert finding.failing_rows == 3 and set(finding.sample) == set(products[column])
