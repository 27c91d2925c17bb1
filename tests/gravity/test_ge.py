"""General-equilibrium counterfactuals on gegravity's 30-country 2006 sample (real data)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.gravity import fit_ppml, ge

GRAVITY = ["lndist", "contiguity", "common_language", "pta", "international"]
TTIP = ["USA", "AUT", "BEL", "DEU", "DNK", "ESP", "FIN", "FRA", "GBR", "IRL", "ITA", "NLD",
        "POL", "SWE"]  # USA and the EU members present in the sample


@pytest.fixture(scope="module")
def setup(shared_datasets):
    data = pd.read_csv(shared_datasets / "gegravity_sample_2006/sample_data_set.csv")
    res = fit_ppml(data, "trade", GRAVITY, ["exporter", "importer"])
    countries = sorted(data["exporter"].unique())
    index = {c: k for k, c in enumerate(countries)}
    i, j = data["exporter"].map(index).to_numpy(), data["importer"].map(index).to_numpy()
    n = len(countries)
    costs = np.zeros((n, n))
    costs[i, j] = np.exp(data[GRAVITY].to_numpy() @ res.params[GRAVITY].to_numpy())
    fitted = np.zeros((n, n))
    fitted[i, j] = res.fitted.to_numpy()
    in_force = np.zeros((n, n))
    in_force[i, j] = data["pta"].to_numpy()
    output = np.bincount(i, weights=data["trade"], minlength=n)
    expenditure = np.bincount(j, weights=data["trade"], minlength=n)
    base = ge.baseline(countries, costs, output, expenditure, sigma=7.0, reference="USA")
    return {"res": res, "countries": countries, "costs": costs, "fitted": fitted,
            "in_force": in_force, "base": base}


def test_baseline_reproduces_the_fitted_trade(setup):
    """PPML with exporter and importer effects: the effects are the resistances (scaled)."""
    np.testing.assert_allclose(setup["base"].trade, setup["fitted"], rtol=1e-9)


def test_a_scenario_equal_to_the_baseline_changes_nothing(setup):
    base = setup["base"]
    for solver in (ge.conditional, ge.full_endowment):
        same = solver(base, setup["costs"], "USA")
        changes = ge.compare(base, same).drop(columns="iso3").to_numpy()
        assert np.abs(changes).max() < 1e-10


def test_ttip_raises_members_trade_and_lowers_outsiders_welfare(setup):
    base = setup["base"]
    costs = ge.agreement_costs(setup["costs"], setup["countries"], TTIP, setup["in_force"],
                               setup["res"].params["pta"])
    assert (costs >= setup["costs"]).all() and (costs > setup["costs"]).any()
    result = ge.full_endowment(base, costs, "USA")
    # budget identities: sales add up to output, purchases to expenditure
    np.testing.assert_allclose(result.trade.sum(axis=1), result.output, rtol=1e-9)
    np.testing.assert_allclose(result.trade.sum(axis=0), result.expenditure, rtol=1e-9)
    table = ge.compare(base, result).set_index("iso3")
    members = table.loc[[c for c in TTIP if c in table.index]]
    outsiders = table.drop(index=members.index)
    assert (members["pct_change_exports"] > 0).all()
    assert members["pct_change_real_gdp"].mean() > 0 > outsiders["pct_change_real_gdp"].mean()
    # the reference country's inward resistance is the numeraire
    assert table.loc["USA", "pct_change_imr"] == pytest.approx(0.0, abs=1e-9)


def test_conditional_keeps_output_fixed(setup):
    base = setup["base"]
    costs = ge.agreement_costs(setup["costs"], setup["countries"], TTIP, setup["in_force"],
                               setup["res"].params["pta"])
    result = ge.conditional(base, costs, "USA")
    np.testing.assert_allclose(result.output, base.output)
    np.testing.assert_allclose(result.trade.sum(axis=1), base.output, rtol=1e-9)


def test_unknown_reference_is_named(setup):
    with pytest.raises(ValueError, match="'XXX'"):
        ge.conditional(setup["base"], setup["costs"], "XXX")
