"""Good frame for the agreement_impacts contract: the shipped NAFTA scenario, computed by the
pipeline on the Yotov et al. (2016) panel (with 50 Monte Carlo draws instead of the shipped 500:
the contract checks the interval columns' presence and order, not their precision; the
intervals themselves are tested in tests/gravity/test_ge_uncertainty.py)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from pipeline.gravity.ge.data import scenario_panel
from pipeline.gravity.ge.run import resolve_members, run_scenario
from pipeline.gravity.ge.scenario import load_scenario


def agreement_impacts_good_frames(shared_datasets: Path) -> dict[str, pd.DataFrame]:
    scenario = dataclasses.replace(load_scenario("nafta"), monte_carlo_draws=50)
    run = run_scenario(scenario, scenario_panel(scenario, bulk_dir=shared_datasets),
                       resolve_members(scenario))
    return {"agreement_impacts": run.results}
