"""GE invariants on real data: the baseline reproduces the fitted trade, a scenario equal to
the baseline changes nothing, budget identities and the price equation hold."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.gravity import fit_ppml
from pipeline.gravity.ge import (GEConvergenceError, baseline, conditional_ge,
                                 full_endowment_ge, solve_resistances)
from pipeline.gravity.ge.indicators import RESULT_COLUMNS, country_changes

GRAVITY = ["lndist", "contiguity", "common_language", "pta", "international"]


@pytest.fixture(scope="module")
def sample(shared_datasets):
    """USITC gegravity's 30-country 2006 cross-section (domestic flows included)."""
    frame = pd.read_csv(shared_datasets / "gegravity_sample_2006/sample_data_set.csv")
    return frame.sort_values(["exporter", "importer"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def fitted_model(sample):
    res = fit_ppml(sample, "trade", GRAVITY, fixed_effects=["exporter", "importer"], tol=1e-14)
    countries = sorted(sample["exporter"].unique())
    n = len(countries)
    costs = np.exp(sample[GRAVITY].to_numpy() @ res.params[GRAVITY].to_numpy()).reshape(n, n)
    trade = sample["trade"].to_numpy(float).reshape(n, n)
    return res, countries, costs, trade


def test_baseline_reproduces_ppml_fitted_trade(fitted_model):
    """PPML with exporter and importer effects fits trade with the observed row and column
    sums; the structural baseline with t_ij = exp(x_ij b) and those sums is the same matrix."""
    res, countries, costs, trade = fitted_model
    base = baseline(costs, trade.sum(axis=1), trade.sum(axis=0), countries.index("DEU"))
    fitted = res.fitted.to_numpy().reshape(costs.shape)
    np.testing.assert_allclose(base.trade, fitted, rtol=1e-9)


def test_scenario_equal_to_baseline_changes_nothing(fitted_model):
    _, countries, costs, trade = fitted_model
    base = baseline(costs, trade.sum(axis=1), trade.sum(axis=0), countries.index("DEU"))
    cond = conditional_ge(base, costs.copy())
    full = full_endowment_ge(base, costs.copy())
    table = country_changes(countries, base, cond, full)
    relative_changes = table[RESULT_COLUMNS].to_numpy() / 100  # z1 / z0 - 1
    assert np.abs(relative_changes).max() < 1e-10
    np.testing.assert_allclose(full.trade, base.trade, rtol=1e-10)


@pytest.fixture(scope="module")
def can_jpn(fitted_model, sample):
    """gegravity's own example experiment: a CAN-JPN agreement (pta = 1), sigma 5, the
    published Y and E (which are not balanced: sum E = 0.992 sum Y)."""
    res, countries, costs, _ = fitted_model
    n = len(countries)
    exp = sample.copy()
    pair = exp["exporter"].isin(["CAN", "JPN"]) & exp["importer"].isin(["CAN", "JPN"])
    exp.loc[pair & (exp["exporter"] != exp["importer"]), "pta"] = 1
    new_costs = np.exp(exp[GRAVITY].to_numpy() @ res.params[GRAVITY].to_numpy()).reshape(n, n)
    output = sample.groupby("exporter")["Y"].first().loc[countries].to_numpy(float)
    expend = sample.groupby("importer")["E"].first().loc[countries].to_numpy(float)
    base = baseline(costs, output, expend, countries.index("DEU"), sigma=5)
    return base, conditional_ge(base, new_costs), full_endowment_ge(base, new_costs), countries


def test_budget_identities(can_jpn):
    """Columns sum to expenditure; rows to output scaled by E/Y (= output when balanced);
    full endowment: E_j = phi_j Y_j, Y_i = p_i Y_i^0, reference consumer price fixed at 1."""
    base, cond, full, countries = can_jpn
    for eq in (base, cond, full):
        np.testing.assert_allclose(eq.trade.sum(axis=0), eq.expenditure, rtol=1e-10)
        ratio = eq.expenditure.sum() / eq.output.sum()
        np.testing.assert_allclose(eq.trade.sum(axis=1), eq.output * ratio, rtol=1e-10)
        assert eq.imr[countries.index("DEU")] == 1.0
    np.testing.assert_allclose(full.output, full.price * base.output, rtol=1e-14)
    np.testing.assert_allclose(full.expenditure / full.output, base.expenditure / base.output,
                               rtol=1e-14)
    assert np.all(cond.output == base.output) and np.all(cond.price == 1.0)


def test_full_endowment_solves_the_price_equation(can_jpn):
    """p_i = [(Y / Y0) OMR_i / OMR_i^0]^(1/sigma) at the solution, and the agreement
    raises the members' real GDP while the largest outsider effects are negative."""
    base, _, full, countries = can_jpn
    rhs = ((full.output.sum() / base.output.sum()) * full.omr / base.omr) ** (1 / base.sigma)
    np.testing.assert_allclose(full.price, rhs, rtol=1e-10)
    welfare = pd.Series(full.real_gdp() / base.real_gdp() - 1, index=countries)
    assert welfare["CAN"] > 0 and welfare["JPN"] > 0
    assert welfare.drop(["CAN", "JPN"]).max() < welfare[["CAN", "JPN"]].min()


def test_balanced_data_hold_output_identity_exactly(fitted_model):
    _, countries, costs, trade = fitted_model
    base = baseline(costs, trade.sum(axis=1), trade.sum(axis=0), 0)
    np.testing.assert_allclose(base.trade.sum(axis=1), trade.sum(axis=1), rtol=1e-10)
    np.testing.assert_allclose(base.trade.sum(axis=0), trade.sum(axis=0), rtol=1e-10)


def test_non_convergence_raises_a_clear_error(fitted_model):
    _, _, costs, trade = fitted_model
    with pytest.raises(GEConvergenceError, match="did not converge in 3 iterations"):
        solve_resistances(costs, trade.sum(axis=1), trade.sum(axis=0), 0, max_iter=3)


def test_bad_inputs_are_refused(fitted_model):
    _, _, costs, trade = fitted_model
    broken = costs.copy()
    broken[2, 5] = np.nan
    with pytest.raises(ValueError, match=r"first bad \(exporter, importer\) cells \[\[2, 5\]\]"):
        baseline(broken, trade.sum(axis=1), trade.sum(axis=0), 0)
    with pytest.raises(ValueError, match="sigma must exceed 1"):
        baseline(costs, trade.sum(axis=1), trade.sum(axis=0), 0, sigma=1.0)
