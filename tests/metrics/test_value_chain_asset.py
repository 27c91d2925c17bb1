"""The value-chain multi-asset materialized by Dagster on real WIOD 2013 years (2003, 2004, 2011)
into a temporary warehouse: the input-output table read once, one partition at a time, for all
four tables; each table behind its own contract; a subset publishes only what was selected.
Values checked against the raw WIOD npz arrays, recomputed here from the definitions."""
from __future__ import annotations

import dagster as dg
import numpy as np
import pytest

from assets.io_manager import ParquetWarehouseIOManager
from assets.value_chains import value_chains
from pipeline.reference.groups import load_country_groups
from pipeline.warehouse.parquet import read_table
from tests.metrics.test_value_chains import EU25, _fd_va_from_raw
from tests.metrics.wiod_years import wiod_long

YEARS = (2003, 2004, 2011)
TABLES = {"out__value_chain_exposure": "value_chain_exposure",
          "out__value_chain_industry_exposure": "value_chain_industry_exposure",
          "out__value_chain_partner_exposure": "value_chain_partner_exposure",
          "out__value_added_absorption": "value_added_absorption"}


def _materialize(shared_datasets, root, selection=None):
    groups = load_country_groups()

    @dg.asset(name="core__input_output", io_manager_key="warehouse_io_manager")
    def input_output():
        return wiod_long(shared_datasets, YEARS)

    @dg.asset(name="core__country_groups", io_manager_key="warehouse_io_manager")
    def country_groups():
        return groups.assign(start_date=groups["start_date"].dt.date, end_date=groups["end_date"].dt.date)

    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize([input_output, country_groups, value_chains], instance=instance,
                                selection=selection, resources={"warehouse_io_manager": ParquetWarehouseIOManager(root=str(root))})
        assert result.success
        loads = [e for e in result.all_events if e.event_type_value == "LOADED_INPUT"
                 and e.event_specific_data.input_name == "core__input_output"]
        inputs = [e.message for e in result.all_events if e.event_type_value == "STEP_INPUT"
                  and "core__input_output" in (e.message or "")]
        return result, loads, inputs


@pytest.fixture(scope="module")
def whole(shared_datasets, tmp_path_factory):
    root = tmp_path_factory.mktemp("warehouse")
    return root, *_materialize(shared_datasets, root)


def test_four_tables_from_one_read_of_the_input_output_table(whole):
    root, result, loads, inputs = whole
    assert len(loads) == 1  # before: one whole-table read per value-chain asset (four)
    assert len(inputs) == 1 and "PartitionedTable" in inputs[0]  # read year by year, never whole
    checks = {c.asset_key.to_user_string(): c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {k: True for k in TABLES}
    totals = read_table(root, "value_chain_exposure")
    assert sorted(totals["year"].unique()) == list(YEARS) and len(totals) == 3 * 40
    assert len(read_table(root, "value_chain_industry_exposure")) == 3 * 40 * 35
    assert len(read_table(root, "value_chain_partner_exposure")) == 3 * 40 * 40  # ROW a partner, not a row


def test_published_absorption_is_the_fd_va_of_the_raw_table(whole, shared_datasets):
    """Poland's value added absorbed by the other EU-25 members in 2004, TiVA FD_VA by origin
    recomputed from the raw npz with a dense solve (tests/metrics/test_value_chains.py)."""
    root = whole[0]
    absorbed = read_table(root, "value_added_absorption")
    pol = absorbed[(absorbed.iso3 == "POL") & (absorbed.group_id == "EU") & (absorbed.year == 2004)].iloc[0]
    regions, vad = _fd_va_from_raw(shared_datasets, 2004)
    p = regions.index("POL")
    others = [regions.index(c) for c in EU25 if c != "POL"]
    assert pol["va_absorbed_usd"] == pytest.approx(vad[p, others].sum() * 1e6, rel=1e-9)
    assert pol["va_absorbed_share"] == pytest.approx(0.174, abs=5e-4)


def test_a_subset_publishes_only_the_selected_table(shared_datasets, tmp_path):
    """One table selected (as from the UI): only its contract runs and only it is published;
    Germany's 2011 gross exports equal the hand sum of the raw npz (foreign intermediate and
    final use, USD millions)."""
    result, loads, _ = _materialize(shared_datasets, tmp_path,
                                    ["core__input_output", "core__country_groups", "out__value_chain_exposure"])
    assert [c.asset_key.to_user_string() for c in result.get_asset_check_evaluations()] == ["out__value_chain_exposure"]
    assert len(loads) == 1
    assert not any((tmp_path / t).exists() for k, t in TABLES.items() if k != "out__value_chain_exposure")
    totals = read_table(tmp_path, "value_chain_exposure").set_index(["iso3", "year"])
    raw = np.load(shared_datasets / "wiod2013_bquast/wiot_2011.npz")
    k = (shared_datasets / "wiod2013_bquast/countries.txt").read_text().split().index("DEU")
    rows = slice(35 * k, 35 * (k + 1))
    exgr = (np.delete(raw["inter"][rows], np.s_[35 * k:35 * (k + 1)], axis=1).sum()
            + np.delete(raw["final"][rows], np.s_[5 * k:5 * (k + 1)], axis=1).sum()) * 1e6
    assert totals.loc[("DEU", 2011), "exgr_usd"] == pytest.approx(exgr, rel=1e-12)
