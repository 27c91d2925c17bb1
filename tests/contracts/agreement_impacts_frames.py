"""Good frame for the agreement_impacts contract: the shipped NAFTA scenario, computed by the
pipeline on the Yotov et al. (2016) panel."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.gravity.ge.data import scenario_panel
from pipeline.gravity.ge.run import resolve_members, run_scenario
from pipeline.gravity.ge.scenario import load_scenario


def agreement_impacts_good_frames(shared_datasets: Path) -> dict[str, pd.DataFrame]:
    scenario = load_scenario("nafta")
    run = run_scenario(scenario, scenario_panel(scenario, bulk_dir=shared_datasets),
                       resolve_members(scenario))
    return {"agreement_impacts": run.results}
