"""General-equilibrium impacts of the shipped trade-agreement scenarios."""
from __future__ import annotations

import base64
import io

import dagster as dg
import pandas as pd

from assets.contract_gate import gate, output_metadata, published_asset
from pipeline.gravity.ge.data import scenario_panel
from pipeline.gravity.ge.run import resolve_bloc, resolve_members, run_scenario
from pipeline.gravity.ge.scenario import load_scenario, shipped_scenarios

SOURCE = "core__gravity_panel, core__input_output (WIOD 2013), core__country_groups, pipeline/gravity/scenarios"


def welfare_strip_md(frame: pd.DataFrame, title: str) -> dg.MetadataValue:
    """Real-GDP change of every country by scenario, members against outsiders (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    scenarios = list(dict.fromkeys(frame["scenario"]))
    fig, ax = plt.subplots(figsize=(7.5, 0.9 * len(scenarios) + 1.6), dpi=90)
    rng = np.random.default_rng(0)  # jitter only: positions carry no data
    for k, name in enumerate(scenarios):
        rows = frame[frame["scenario"] == name]
        for member, color, label in ((False, "#9bb4d3", "outsiders"), (True, "#c0392b", "members")):
            part = rows[rows["member"] == member]
            ax.scatter(part["pct_change_real_gdp"], k + rng.uniform(-0.18, 0.18, len(part)),
                       s=16, color=color, label=label if k == 0 else None, zorder=3 if member else 2)
        top = rows.loc[rows["pct_change_real_gdp"].abs().idxmax()]
        ax.annotate(top["iso3"], (top["pct_change_real_gdp"], k), fontsize=7,
                    xytext=(4, 6), textcoords="offset points")
    ax.set_yticks(range(len(scenarios)), scenarios)
    ax.axvline(0, color="grey", linewidth=0.8)
    # effects range from hundredths of a percent (outsiders) to several percent (members)
    ax.set_xscale("symlog", linthresh=0.01)
    ax.set_xlabel("real GDP (Y / P), % change from the baseline (symmetric log scale)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    encoded = base64.b64encode(buffer.getvalue()).decode()
    return dg.MetadataValue.md(f"![{title}](data:image/png;base64,{encoded})")


@published_asset("agreement_impacts", "out")
def out__agreement_impacts(context, core__gravity_panel: pd.DataFrame,
                           core__input_output: pd.DataFrame, core__country_groups: pd.DataFrame):
    """Structural-gravity general equilibrium of every scenario in pipeline/gravity/scenarios
    (Advanced Guide ch. 2): NAFTA removed in 1994 (the book's validation case), TTIP and a
    BRICS FTA on WIOD 2016 aggregate trade (2014) and on the book's 69-country manufacturing
    panel (2006, with Kenya, Nigeria, South Africa and other Southern outsiders), the enlarged
    BRICS of 2025 on that panel, TiSA on WIOD 2013 services flows (2010). Each row names its
    panel, sector, years and membership date; members absent from a panel and countries left
    out (no domestic flow) are named in the table and the metadata.
    Per country: % change in exports, factory-gate price, multilateral resistances and real
    GDP, full-endowment GE (exports and resistances also conditional), members flagged; 5th
    and 95th percentiles of real GDP and exports over Monte Carlo draws of the agreement
    coefficient from its estimated sampling distribution (gegravity's MonteCarloGE)."""
    groups = core__country_groups.assign(
        start_date=pd.to_datetime(core__country_groups["start_date"]),
        end_date=pd.to_datetime(core__country_groups["end_date"]))
    tables, notes = [], {}
    for name in shipped_scenarios():
        scenario = load_scenario(name)
        panel = scenario_panel(scenario, gravity_panel=core__gravity_panel,
                               input_output=core__input_output)
        run = run_scenario(scenario, panel, resolve_members(scenario, groups),
                           unchanged_within=resolve_bloc(scenario, groups))
        context.log.info(f"{name}: coefficient {run.coefficient:.4f}, {len(run.countries)} "
                         f"countries, members missing from the data: {run.members_missing}")
        notes[name] = {"agreement_coefficient": round(run.coefficient, 6),
                       "coefficient_std_error": round(run.costs.std_error, 6),
                       "monte_carlo_draws": scenario.monte_carlo_draws,
                       "countries": len(run.countries),
                       "panel": scenario.panel_label, "baseline_year": scenario.baseline_year,
                       "members_missing_from_data": run.members_missing,
                       "countries_left_out": run.left_out}
        tables.append(run.results)
    frame = pd.concat(tables, ignore_index=True)
    frame = yield from gate("out__agreement_impacts", frame, "agreement_impacts", SOURCE)
    meta = output_metadata(frame, SOURCE)
    meta["scenarios"] = dg.MetadataValue.json(notes)
    meta["plot"] = welfare_strip_md(frame, "Real GDP change by country: members vs outsiders")
    yield dg.Output(frame, metadata=meta)
