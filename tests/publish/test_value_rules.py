"""Issue 14, part 4: the macro contract bounds each indicator by its unit, and missing-value
tokens are counted and reported, never dropped silently. On copies of the real WDI extract."""
from __future__ import annotations

import shutil

import pandas as pd
import pytest
import yaml

from pipeline.sources.files import DEFAULT_MANIFEST
from tests.env import digests
from tests.publish.probes import (MACRO, WDI, WDI_FILE, bulk_dir, csv_lines, materialize, publish_good, settings,
                                  step_failure)


@pytest.fixture(scope="module")
def wdi_lines(shared_datasets) -> list[str]:
    return csv_lines(shared_datasets, WDI_FILE)


@pytest.fixture(scope="module")
def published(tmp_path_factory, shared_datasets):
    """macro_indicators published from the real WDI extract: every value rule holds on it."""
    warehouse, result = publish_good(tmp_path_factory.mktemp("good"), shared_datasets, [WDI], MACRO)
    [check] = result.get_asset_check_evaluations()
    assert check.passed and check.metadata["rules_evaluated"].value >= 20
    return warehouse


def _set(lines: list[str], indicator: str, value: str, nth: int = 0) -> int:
    """Set the value of the ``nth`` row of ``indicator``; return its record number."""
    rows = [i for i, line in enumerate(lines) if line.startswith(indicator + ",")]
    at = rows[nth]
    cells = lines[at].rstrip("\n").split(",")
    lines[at] = ",".join(cells[:-1] + [value]) + "\n"
    return at


def _run(tmp_path, shared, lines, published, manifest=None):
    bulk = bulk_dir(tmp_path, shared, files={f"{WDI}/wdi_extract_long.csv": "".join(lines)})
    warehouse = tmp_path / "warehouse"
    shutil.copytree(published, warehouse)
    before = digests(warehouse)
    extra = {"TRADE_MANIFEST": str(manifest)} if manifest else {}
    result = materialize(MACRO, settings(bulk, warehouse, **extra))
    return result, warehouse, before


def test_a_gdp_of_1e300_and_a_negative_population_are_refused(tmp_path, shared_datasets, wdi_lines, published):
    lines = list(wdi_lines)
    gdp_row = _set(lines, "NY.GDP.MKTP.CD", "1e300", nth=10)
    pop_row = _set(lines, "SP.POP.TOTL", "-5000", nth=20)
    result, warehouse, before = _run(tmp_path, shared_datasets, lines, published)
    assert not result.success
    failures = result.get_asset_check_evaluations()[0].metadata["failures"].value
    usd = next(f for f in failures if "USD amounts" in f["fix"])
    assert usd["failing_rows"] == 1 and usd["sample"] == [1e300] and usd["first_rows"][0]["row"] == gdp_row
    persons = next(f for f in failures if "population" in f["fix"])
    assert persons["failing_rows"] == 1 and persons["sample"] == [-5000.0] and persons["first_rows"][0]["row"] == pop_row
    message = step_failure(result)
    assert f"wdi_extract_long.csv line {gdp_row + 1} (data row {gdp_row})" in message and "expect_column_values_to_be_between" in message
    assert digests(warehouse) == before


def test_a_negative_export_share_is_refused(tmp_path, shared_datasets, wdi_lines, published):
    lines = list(wdi_lines)
    _set(lines, "NE.EXP.GNFS.ZS", "-3.5")
    result, warehouse, before = _run(tmp_path, shared_datasets, lines, published)
    failures = result.get_asset_check_evaluations()[0].metadata["failures"].value
    assert [f["sample"] for f in failures] == [[-3.5]] and "non-negative" in failures[0]["fix"]
    assert digests(warehouse) == before


def test_undeclared_na_tokens_are_refused_by_name(tmp_path, shared_datasets, wdi_lines, published):
    """`n/a` in three value cells: refused (it used to be dropped silently with its rows)."""
    lines = list(wdi_lines)
    rows = [_set(lines, "NY.GDP.MKTP.CD", "n/a", nth=n) for n in (0, 5, 9)]
    result, warehouse, before = _run(tmp_path, shared_datasets, lines, published)
    failures = result.get_asset_check_evaluations()[0].metadata["failures"].value
    [typed] = [f for f in failures if f["expectation"] == "values_of_type_double"]
    assert typed["failing_rows"] == 3 and typed["sample"] == ["n/a"] * 3
    assert [r["row"] for r in typed["first_rows"]] == rows and "missing_values" in typed["fix"]
    assert digests(warehouse) == before


def test_declared_na_tokens_are_counted_and_reported(tmp_path, shared_datasets, wdi_lines, published):
    """Declared as missing in the manifest, the three `n/a` cells are counted in the check and
    materialization metadata, and exactly their rows are left out of the published table."""
    lines = list(wdi_lines)
    for n in (0, 5, 9):
        _set(lines, "NY.GDP.MKTP.CD", "n/a", nth=n)
    manifest = yaml.safe_load(DEFAULT_MANIFEST.read_text())
    for entry in manifest["datasets"]:
        if entry["id"] == "wdi_extract":
            entry["missing_values"] = ["", "n/a"]
    (tmp_path / "manifest.yaml").write_text(yaml.safe_dump(manifest))
    result, warehouse, _ = _run(tmp_path, shared_datasets, lines, published, tmp_path / "manifest.yaml")
    assert result.success, step_failure(result)
    [check] = result.get_asset_check_evaluations()
    [(location, counted)] = check.metadata["missing_values"].value.items()
    assert location.endswith("wdi_extract_long.csv") and counted == {"tokens": ["", "n/a"], "cells": {"value": 3}}
    [event] = [m for m in result.get_asset_materialization_events()
               if m.asset_key.to_user_string() == "core__macro_indicators"]
    assert event.materialization.metadata["missing_values"].value == check.metadata["missing_values"].value
    # Independently of the pipeline: the rows of the edited file with a numeric value.
    values = pd.Series([line.rstrip("\n").rsplit(",", 1)[1] for line in lines[1:]])
    expected_rows = int(pd.to_numeric(values, errors="coerce").notna().sum())
    assert expected_rows == len(lines) - 1 - 3
    assert event.materialization.metadata["dagster/row_count"].value == expected_rows
