"""The named Advanced Guide specifications and the `estimate` command on the real panel."""
from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from pipeline.gravity import fit_ppml
from pipeline.gravity.panels import load_gravity_panel
from pipeline.gravity.specs import SPECS, estimate_specs, prepare_panel
from tests.conftest import REPO_ROOT

BOOK_YEARS = [1986, 1990, 1994, 1998, 2002, 2006]


@pytest.fixture(scope="module")
def panel(shared_datasets):
    raw = load_gravity_panel("yotov2016_agtpa", bulk_dir=shared_datasets)
    return prepare_panel(raw, years=BOOK_YEARS)


@pytest.fixture(scope="module")
def table(panel):
    return estimate_specs(panel).set_index(["spec", "term"])


def test_every_spec_runs_with_finite_clustered_errors(table):
    assert set(table.index.get_level_values("spec")) == set(SPECS)
    assert (table["std_error"] > 0).all() and table["estimate"].notna().all()


def test_canonical_panel_is_the_book_data(panel, shared_datasets):
    """Units converted to USD by the manifest and back to millions here: same numbers."""
    raw = pd.read_csv(shared_datasets / "yotov2016_agtpa/agtpa_applications.csv.gz")
    raw = raw[raw["year"].isin(BOOK_YEARS)]
    assert len(panel) == len(raw)
    assert panel["trade"].sum() == pytest.approx(raw["trade"].sum(), rel=1e-12)


def test_pair_fe_is_the_three_way_ppml(panel, table):
    direct = fit_ppml(panel, "trade", ["rta"],
                      [("exporter_iso3", "year"), ("importer_iso3", "year"), "pair"], cluster="pair")
    assert table.loc[("pair_fe", "rta"), "estimate"] == pytest.approx(direct.params["rta"], abs=1e-9)
    # trade agreements raise members' trade: the book's central finding, with pair effects
    assert table.loc[("pair_fe", "rta"), "estimate"] > 0.3
    # lead test: no anticipation effect significant at 5%
    lead = table.loc[("lead_test", "rta_lead4")]
    assert abs(lead["estimate"] / lead["std_error"]) < 1.96


def test_total_effect_adds_the_lags(table):
    lags = ["rta", "rta_lag4", "rta_lag8", "rta_lag12"]
    phasing = table.loc["phasing_in"]
    assert phasing.loc["total_rta", "estimate"] == pytest.approx(phasing.loc[lags, "estimate"].sum())


def test_globalization_border_effects_rise_over_time(table):
    """International trade grows relative to domestic trade: border dummies rise, 1990-2006."""
    glob = table.loc["globalization"]
    borders = glob.loc[[f"intl_border_{y}" for y in BOOK_YEARS[1:]], "estimate"].to_numpy()
    assert (borders > 0).all() and borders[-1] > borders[0]


def test_ols_on_logs_understates_the_agreement_effect(table):
    """Santos Silva & Tenreyro: OLS on positive flows vs PPML with zeros differ in sign/size."""
    assert table.loc[("traditional_ols", "rta"), "estimate"] < table.loc[("traditional_ppml", "rta"), "estimate"]


def test_estimate_command_prints_the_table(shared_datasets, tmp_path):
    out = tmp_path / "estimates.csv"
    run = subprocess.run(
        [sys.executable, "-m", "pipeline.gravity", "estimate", "--bulk-dir", str(shared_datasets),
         "--panel", "yotov2016_agtpa", "--spec", "pair_fe", "lead_test", "--out", str(out)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "pair_fe" in run.stdout and "rta_lead4" in run.stdout
    assert set(pd.read_csv(out)["spec"]) == {"pair_fe", "lead_test"}


def test_estimate_command_names_an_unknown_panel(shared_datasets):
    run = subprocess.run(
        [sys.executable, "-m", "pipeline.gravity", "estimate", "--bulk-dir", str(shared_datasets),
         "--panel", "no_such_panel"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert "no_such_panel" in run.stderr and "yotov2016_agtpa" in run.stderr
