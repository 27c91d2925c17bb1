"""General-equilibrium effects of the shipped agreement scenarios (TTIP, BRICS FTA, NAFTA)."""
from __future__ import annotations

import dagster as dg
import pandas as pd

from assets.contract_gate import gate, output_metadata, published_asset
from assets.plots import bar_chart_md
from pipeline.gravity.scenarios import SCENARIO_DIR, load_scenario, run_scenario


@published_asset("agreement_impacts", "out")
def out__agreement_impacts(context, core__gravity_panel: pd.DataFrame,
                           core__country_groups: pd.DataFrame):
    """Per scenario and country: % change in exports, producer price, multilateral resistances
    and real GDP in the full-endowment equilibrium (Yotov et al. 2016, ch. 2; sigma 7), for
    every scenario in pipeline/gravity/scenarios/ (members by date from core__country_groups)."""
    tables = []
    for path in sorted(SCENARIO_DIR.glob("*.yaml")):
        spec = load_scenario(path)
        context.log.info(f"scenario {spec['name']}: baseline {spec['baseline_year']}, panel {spec['panel']}")
        tables.append(run_scenario(spec, core__gravity_panel, core__country_groups))
    frame = pd.concat(tables, ignore_index=True)
    frame = yield from gate("out__agreement_impacts", frame, "agreement_impacts",
                            "core__gravity_panel, core__country_groups")
    ttip = frame[frame["scenario"] == "ttip"].assign(
        label=lambda f: f["iso3"] + f["member"].map({True: " (member)", False: ""}))
    shown = pd.concat([ttip.nlargest(8, "pct_change_real_gdp"), ttip.nsmallest(7, "pct_change_real_gdp")])
    meta = output_metadata(frame, "core__gravity_panel, core__country_groups")
    meta["plot"] = bar_chart_md(shown, "label", "pct_change_real_gdp",
                                "TTIP: real GDP change, members vs outsiders (%)")
    yield dg.Output(frame, metadata=meta)
