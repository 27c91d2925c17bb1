"""Agreement scenarios on the Yotov et al. (2016) panel and the `simulate` command."""
from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from pipeline.gravity.panels import load_gravity_panel
from pipeline.gravity.scenarios import load_scenario, run_scenario, scenario_members
from tests.conftest import REPO_ROOT


@pytest.fixture(scope="module")
def panel(shared_datasets):
    return load_gravity_panel("yotov2016_agtpa", bulk_dir=shared_datasets)


def test_members_by_date():
    ttip = scenario_members(load_scenario("ttip"))
    assert "USA" in ttip and "GBR" in ttip and "HRV" in ttip and len(ttip) == 29  # USA + EU28
    brics = scenario_members(load_scenario("brics_fta"))
    assert {"BRA", "RUS", "IND", "CHN", "ZAF", "EGY", "ETH", "IRN", "ARE", "IDN"} <= set(brics)


def test_nafta_gains_for_members_losses_for_outsiders(panel):
    table = run_scenario(load_scenario("nafta"), panel).set_index("iso3")
    members = table[table["member"]]
    assert set(members.index) == {"CAN", "MEX", "USA"}
    assert (members["pct_change_exports"] > 5).all() and (members["pct_change_real_gdp"] > 0).all()
    # the small partners gain more than the large one (relative to their economies)
    assert members.loc["MEX", "pct_change_real_gdp"] > members.loc["USA", "pct_change_real_gdp"]
    assert (table.loc[~table["member"], "pct_change_real_gdp"] < 0).all()
    # the agreement effect is the panel's pair-fixed-effects estimate, not the cross-section's
    assert 0.3 < table["agreement_coefficient"].iloc[0] < 0.8


def test_given_coefficient_of_zero_changes_nothing(panel):
    spec = {**load_scenario("ttip"), "coefficient": 0.0}
    table = run_scenario(spec, panel)
    assert table.drop(columns=["scenario", "iso3", "member", "baseline_year",
                               "agreement_coefficient"]).abs().to_numpy().max() < 1e-9


def test_simulate_command_writes_the_table(shared_datasets, tmp_path):
    out = tmp_path / "brics.parquet"
    run = subprocess.run([sys.executable, "-m", "pipeline.gravity", "simulate", "--scenario",
                          "brics_fta", "--bulk-dir", str(shared_datasets), "--out", str(out)],
                         cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    table = pd.read_parquet(out)
    assert {"scenario", "iso3", "member", "pct_change_exports", "pct_change_real_gdp"} <= set(table.columns)
    assert table["member"].sum() >= 5 and (table["scenario"] == "brics_fta").all()


def test_unknown_scenario_lists_the_shipped_ones(shared_datasets):
    run = subprocess.run([sys.executable, "-m", "pipeline.gravity", "simulate", "--scenario",
                          "tpp", "--bulk-dir", str(shared_datasets)],
                         cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and "ttip" in run.stderr and "nafta" in run.stderr


def test_panel_read_back_from_parquet_with_nullable_integers(panel):
    """The published core table comes back with nullable Int16 dummies (pd.NA capable)."""
    typed = panel.astype({c: "Int16" for c in ("contiguity", "common_language", "colony", "agreement")})
    left = run_scenario(load_scenario("nafta"), typed)
    right = run_scenario(load_scenario("nafta"), panel)
    pd.testing.assert_frame_equal(left, right)
