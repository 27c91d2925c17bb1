"""Monte Carlo confidence intervals of GE results (gegravity's MonteCarloGE method), on the
Advanced Guide's NAFTA scenario (Yotov et al. 2016, ch. 2, application 2) and the real panel."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy.stats import norm

from pipeline.gravity.ge.data import scenario_panel
from pipeline.gravity.ge.run import resolve_members, run_scenario
from pipeline.gravity.ge.scenario import ScenarioError, load_scenario, parse_scenario
from pipeline.gravity.ge.uncertainty import INTERVAL_COLUMNS, monte_carlo_ge
from tests.gravity import nafta_published as pub

DRAWS = 1000


@pytest.fixture(scope="module")
def nafta(shared_datasets):
    scenario = dataclasses.replace(load_scenario("nafta"), monte_carlo_draws=DRAWS)
    panel = scenario_panel(scenario, bulk_dir=shared_datasets)
    return scenario, panel, run_scenario(scenario, panel, resolve_members(scenario))


def test_point_estimate_lies_inside_every_interval(nafta):
    _, _, run = nafta
    table = run.results
    for result in ("real_gdp", "exports"):
        point = table[f"pct_change_{result}"]
        low, high = table[f"pct_change_{result}_p05"], table[f"pct_change_{result}_p95"]
        assert ((low <= point) & (point <= high)).all(), result
    members = table[table["member"]]
    # removing NAFTA lowers members' real GDP in (almost) every draw; the interval has width
    assert (members["pct_change_real_gdp_p95"] < 0).all()
    assert (members["pct_change_real_gdp_p95"] - members["pct_change_real_gdp_p05"] > 0.01).all()
    assert (table["monte_carlo_draws"] == DRAWS).all()
    # the published s.e. is the book's (Advanced Guide ch. 1, pair-effects column: 0.557 (0.102),
    # the same regression as ch. 2's NAFTA stage 1), to its rounding
    assert abs(table["agreement_coefficient_std_error"].iloc[0] - pub.STAGE1_STD_ERROR) <= 0.0005


def test_percentiles_are_the_results_at_the_coefficients_quantiles(nafta):
    """Independent check: members' real GDP falls monotonically with the coefficient, so its
    5th (95th) percentile over the draws is the result of the plain scenario run with the
    coefficient fixed at b - 1.645 se (b + 1.645 se), up to Monte Carlo error."""
    scenario, panel, run = nafta
    b, se = run.coefficient, run.costs.std_error
    members = run.results.set_index("iso3").loc[["CAN", "MEX", "USA"]]
    width = members["pct_change_real_gdp_p05"] - members["pct_change_real_gdp_p95"]
    for q, column in ((0.05, "pct_change_real_gdp_p95"), (0.95, "pct_change_real_gdp_p05")):
        fixed = dataclasses.replace(scenario, coefficient=b + norm.ppf(q) * se, monte_carlo_draws=0)
        at_quantile = run_scenario(fixed, panel, resolve_members(fixed)).results.set_index("iso3")
        gap = (at_quantile.loc[members.index, "pct_change_real_gdp"] - members[column]).abs()
        assert (gap <= 0.05 * width.abs()).all(), (q, gap.to_dict(), width.to_dict())


def test_zero_variance_collapses_onto_the_point_estimate(nafta):
    scenario, panel, run = nafta
    given = dataclasses.replace(scenario, coefficient=run.coefficient, monte_carlo_draws=50)
    table = run_scenario(given, panel, resolve_members(given)).results
    assert (table["agreement_coefficient_std_error"] == 0).all()
    for result in ("real_gdp", "exports"):
        for bound in ("p05", "p95"):
            # draws are solved to 1e-10 (relative, prices), the point to 1e-12: equal to ~1e-7
            # percentage points, against interval widths of about 0.1 (members) here
            np.testing.assert_allclose(table[f"pct_change_{result}_{bound}"],
                                       table[f"pct_change_{result}"], rtol=0, atol=1e-5)
    draws = monte_carlo_ge(run.base, run.base.costs, np.zeros_like(run.base.costs), 0.4, 0.0, 3)
    assert np.abs(draws.real_gdp).max() < 1e-6  # no change of the agreement: no change at all


def test_draws_are_a_scenario_setting():
    doc = {"name": "x", "data": {"source": "gravity_panel", "panel": "yotov2016_agtpa"},
           "baseline_year": 1994, "reference_country": "DEU",
           "agreement": {"members": ["CAN", "MEX"], "status": 0}}
    assert parse_scenario(doc).monte_carlo_draws == 500
    assert parse_scenario({**doc, "monte_carlo": {"draws": 0}}).monte_carlo_draws == 0
    with pytest.raises(ScenarioError, match="monte_carlo takes `draws` and `seed` only"):
        parse_scenario({**doc, "monte_carlo": {"drawz": 10}})
    with pytest.raises(ScenarioError, match="monte_carlo.draws must be 0"):
        parse_scenario({**doc, "monte_carlo": {"draws": -5}})


def test_interval_columns_are_published(nafta):
    _, _, run = nafta
    assert set(INTERVAL_COLUMNS) <= set(run.results.columns)
    assert run.results[INTERVAL_COLUMNS].notna().all().all()


def test_draws_solved_together_equal_the_one_at_a_time_solver(nafta):
    """pipeline/gravity/ge/batch.py solves the draws in one array: each draw must be what
    full_endowment_ge (the solver checked against the Advanced Guide's tables) returns alone,
    including draws far from the estimate that need more iterations than the others."""
    from pipeline.gravity.ge.batch import full_endowment_batch
    from pipeline.gravity.ge.solver import full_endowment_ge

    _, _, run = nafta
    base = run.base
    # t'_ij(b) = t_ij exp(b (rta'_ij - rta_ij)): the change of the dummy from the point run's costs
    positive = base.costs > 0
    change = np.where(positive, np.log(np.where(positive, run.full.costs / np.where(positive, base.costs, 1), 1)),
                      0.0) / run.coefficient
    assert set(np.unique(np.round(change, 9))) == {-1.0, 0.0}   # NAFTA removed: -1 between members
    coefficients = run.coefficient + run.costs.std_error * np.array([-4.0, -1.0, 0.0, 2.5, 6.0])
    costs = base.costs[None] * np.exp(coefficients[:, None, None] * change[None])
    real_gdp, exports = full_endowment_batch(base, costs, tol=1e-10)
    for k, b in enumerate(coefficients):
        alone = full_endowment_ge(base, base.costs * np.exp(b * change), tol=1e-10)
        assert real_gdp[k] == pytest.approx(alone.real_gdp(), rel=1e-12)
        assert exports[k] == pytest.approx(alone.exports(), rel=1e-12)
