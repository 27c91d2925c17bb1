"""Benchmark: our GE solver against USITC's gegravity ``OneSectorGE`` (v0.3).

Real data: gegravity's 30-country 2006 sample (``../shared/datasets/gegravity_sample_2006``)
with the published ppmlhdfe coefficients, gegravity's own example experiment (a CAN-JPN
agreement, sigma 5, reference importer DEU). Both run the whole GE job from the same data
frame: trade costs from the cost variables, baseline resistances, the experiment, and the
country results. gegravity's "full GE" is the book's first price step with resistances at
their conditional values, so ours runs with ``first_order=True`` for the like-for-like
timing, and every country result must agree to 1e-4 before any time is printed; the
converged full-endowment solve (what the pipeline publishes) is timed too.
Best of 5 runs each, same process.

Monte Carlo intervals (issue 13): 1,000 draws of the agreement coefficient for the NAFTA
scenario (:mod:`pipeline.gravity.ge.uncertainty`), and 1,000 draws of ``pta`` on gegravity's
sample, against gegravity's ``MonteCarloGE`` on its sample with BENCH_GE_MC_TRIALS trials
(default 20: each trial re-solves a whole ``OneSectorGE`` with scipy's root finder, about
a second here, so 1,000 would take a quarter of an hour); the ratio is per draw. Both draw
``pta`` only: gegravity through a covariance matrix that is zero but for ``pta``'s variance
(its ``mc_variables=["pta"]`` fails every trial in v0.3, the trial's coefficient table then
lacking the other cost variables, and with standard errors alone it drew a distance
elasticity of +1.37 from an estimate of -0.39 (s.e. 0.07), whose trials then fail).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "datasets"

import os  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

from benchmarks.timing import best_of  # noqa: E402
from pipeline.gravity.ge.uncertainty import monte_carlo_ge  # noqa: E402
from pipeline.gravity.ge.cost_variables import simulate_cost_variables  # noqa: E402
from tests.gravity.gegravity_peer import (COLUMNS, COST_VARIABLES, experiment,  # noqa: E402
                                          load_sample, run_gegravity)

REPEATS = 5
def main() -> int:
    data, estimates = load_sample(SHARED)
    coefficients = estimates.set_index("variable")["estimate"].loc[COST_VARIABLES]
    exp_data = experiment(data)

    def ours(first_order: bool):
        return simulate_cost_variables(data, exp_data, coefficients, "DEU", sigma=5,
                                       first_order=first_order)[0]

    theirs, t_peer = best_of(lambda: run_gegravity(data, estimates).country_results, REPEATS)
    first, t_first = best_of(lambda: ours(True), REPEATS)
    _, t_full = best_of(lambda: ours(False), REPEATS)
    first = first.set_index("iso3")
    worst = max(float(np.abs(first[c].to_numpy() - theirs.loc[first.index, g].to_numpy()).max())
                for g, c in COLUMNS.items() if c in first)
    if worst > 1e-4:
        print(f"results differ from gegravity by {worst:.2e} percentage points (> 1e-4)")
        return 1
    print(f"30-country sample, CAN-JPN agreement: {len(first)} countries x {len(COLUMNS)} "
          f"results agree with gegravity to {worst:.1e} percentage points")
    print(f"  gegravity OneSectorGE (scipy root, hybr)  {t_peer * 1e3:8.1f} ms")
    print(f"  ours, first-order full GE (same model)     {t_first * 1e3:8.1f} ms   "
          f"ratio {t_peer / t_first:6.1f}x faster")
    print(f"  ours, converged full endowment             {t_full * 1e3:8.1f} ms   "
          f"ratio {t_peer / t_full:6.1f}x faster")
    return 0


def monte_carlo(draws: int = 1000) -> None:
    import dataclasses

    import gegravity
    import pandas as pd

    from pipeline.gravity.ge.data import scenario_panel
    from pipeline.gravity.ge.run import resolve_members, run_scenario
    from pipeline.gravity.ge.scenario import load_scenario

    nafta = dataclasses.replace(load_scenario("nafta"), monte_carlo_draws=0)
    run = run_scenario(nafta, scenario_panel(nafta, bulk_dir=SHARED), resolve_members(nafta))
    panel_pairs = run.costs.pairs
    members = resolve_members(nafta)
    between = (panel_pairs["exporter"].isin(members) & panel_pairs["importer"].isin(members)
               & (panel_pairs["exporter"] != panel_pairs["importer"]))
    change = np.zeros_like(run.base.costs)
    index = {c: k for k, c in enumerate(run.countries)}
    rows = panel_pairs[between]
    change[rows["exporter"].map(index), rows["importer"].map(index)] = -rows["rta"].to_numpy()
    start = time.perf_counter()
    monte_carlo_ge(run.base, run.base.costs, change, run.coefficient, run.costs.std_error, draws)
    t_nafta = time.perf_counter() - start

    data, estimates = load_sample(SHARED)
    coefficients = estimates.set_index("variable")["estimate"].loc[COST_VARIABLES]
    exp_data = experiment(data)
    (base, _, _) = simulate_cost_variables(data, exp_data, coefficients, "DEU", sigma=5)[1]
    countries = sorted(data["exporter"].unique())
    pta = [data.pivot(index="exporter", columns="importer", values="pta").loc[countries, countries],
           exp_data.pivot(index="exporter", columns="importer", values="pta").loc[countries, countries]]
    se = float(estimates.set_index("variable").loc["pta", "std_error"])
    start = time.perf_counter()
    monte_carlo_ge(base, base.costs, (pta[1] - pta[0]).to_numpy(float), coefficients["pta"], se, draws)
    t_sample = time.perf_counter() - start

    trials = int(os.environ.get("BENCH_GE_MC_TRIALS", "20"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gbase = gegravity.BaselineData(data, imp_var_name="importer", exp_var_name="exporter",
                                       year_var_name="year", trade_var_name="trade",
                                       expend_var_name="E", output_var_name="Y")
        variance = np.where(np.array(COST_VARIABLES) == "pta", se ** 2, 0.0)
        covariance = pd.DataFrame(np.diag(variance), index=COST_VARIABLES, columns=COST_VARIABLES)
        coeffs = gegravity.CostCoeffs(estimates=estimates, identifier_col="variable",
                                      coeff_col="estimate", stderr_col="std_error",
                                      covar_matrix=covariance)
        start = time.perf_counter()
        model = gegravity.MonteCarloGE(gbase, year="2006", trials=trials, sigma=5,
                                       reference_importer="DEU", cost_variables=COST_VARIABLES,
                                       cost_coeff_values=coeffs, seed=0, allow_singular_covar=True)
        # gegravity merges on its baseline's year, which it keeps as a string
        model.run_trials(experiment_data=exp_data.assign(year=exp_data["year"].astype(str)),
                         omr_rescale=1, quiet=True)
        t_peer = time.perf_counter() - start
    solved = trials - model.num_failed_trials
    per_peer, per_ours = t_peer / max(solved, 1), t_sample / draws
    print(f"\nMonte Carlo GE intervals, {draws:,} draws of the agreement coefficient:")
    print(f"  ours, NAFTA scenario ({len(run.countries)} countries)      {t_nafta:8.2f} s   "
          f"({t_nafta / draws * 1e3:.1f} ms a draw)")
    print(f"  ours, gegravity sample ({len(countries)} countries)      {t_sample:8.2f} s   "
          f"({per_ours * 1e3:.1f} ms a draw)")
    print(f"  gegravity MonteCarloGE, {solved} of {trials} trials solved {t_peer:8.2f} s   "
          f"({per_peer * 1e3:.1f} ms a draw)   ratio per draw {per_peer / per_ours:6.1f}x faster; "
          f"{draws:,} draws would take gegravity about {per_peer * draws:,.0f} s")


if __name__ == "__main__":
    code = main()
    monte_carlo()
    sys.exit(code)
