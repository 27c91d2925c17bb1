"""Run one scenario end to end: costs from the estimated panel, baseline, conditional and
full-endowment GE, per-country changes.

Output and expenditure of the baseline year are the observed row and column sums of the
trade matrix (domestic sales included), so ``sum Y = sum E`` and the GE baseline reproduces
the fitted trade of the panel regression for that year (:mod:`pipeline.gravity.ge.costs`).
The agreement dummy between every two distinct members becomes ``agreement.status``; other
pairs keep theirs.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.gravity.ge.costs import CostTable, recover_costs, scenario_costs, to_matrix
from pipeline.gravity.ge.indicators import RESULT_COLUMNS, country_changes
from pipeline.gravity.ge.scenario import Scenario
from pipeline.gravity.ge.solver import Equilibrium, baseline, conditional_ge, full_endowment_ge
from pipeline.gravity.ge.uncertainty import INTERVAL_COLUMNS, MonteCarlo, monte_carlo_ge

OUTPUT_COLUMNS = ["scenario", "iso3", "member", *RESULT_COLUMNS, "baseline_output_usd",
                  "baseline_exports_usd", "baseline_year", "sigma", "reference_iso3",
                  "agreement_coefficient", "agreement_coefficient_std_error", *INTERVAL_COLUMNS,
                  "monte_carlo_draws"]


@dataclass(frozen=True)
class ScenarioRun:
    """Everything a run produced: the table, the equilibria and what was left out."""

    results: pd.DataFrame
    countries: list[str]
    costs: CostTable
    coefficient: float
    base: Equilibrium
    conditional: Equilibrium
    full: Equilibrium
    members_missing: list[str] = field(default_factory=list)
    monte_carlo: MonteCarlo | None = None


def resolve_members(scenario: Scenario, groups: pd.DataFrame | None = None) -> list[str]:
    """The member list, or the group's members on 1 July of ``membership_year``."""
    if scenario.members:
        return sorted(scenario.members)
    from pipeline.reference.composites import composite_parts
    from pipeline.reference.groups import load_country_groups, members_in_year

    groups = load_country_groups() if groups is None else groups
    if scenario.group not in set(groups["group_id"]):
        raise ValueError(f"scenario {scenario.name}: unknown country group {scenario.group!r}; "
                         f"known: {sorted(groups['group_id'].unique())}")
    members = members_in_year(groups, scenario.membership_year)
    members = members.loc[members["group_id"] == scenario.group, "iso3"]
    if members.empty:
        raise ValueError(f"scenario {scenario.name}: group {scenario.group} has no members on "
                         f"1 July {scenario.membership_year}; pick a later membership_year")
    # A composite code (BLX) is a member through its constituents (BEL, LUX), which are listed
    # themselves: counting it too would report a spurious "member missing from the panel".
    parts = composite_parts()
    listed = set(members)
    return sorted(c for c in listed if not (c in parts and set(parts[c]) <= listed))


def run_scenario(scenario: Scenario, panel: pd.DataFrame, members: list[str],
                 tol: float = 1e-12) -> ScenarioRun:
    """Simulate ``scenario`` on a prepared panel (:func:`pipeline.gravity.ge.data.scenario_panel`)."""
    where = f"scenario {scenario.name}"
    costs = recover_costs(panel, scenario.baseline_year, symmetric=scenario.symmetric_pairs,
                          fill_missing=scenario.predict_missing, where=where)
    pairs = costs.pairs
    countries = sorted(pairs["exporter"].unique())
    if scenario.reference_country not in countries:
        raise ValueError(f"{where}: reference country {scenario.reference_country} is not in the "
                         f"data; choose one of {countries}")
    present = [m for m in members if m in countries]
    missing = [m for m in members if m not in countries]
    if len(present) < 2:
        raise ValueError(f"{where}: fewer than two members ({present}) are in the data "
                         f"({len(countries)} countries); missing: {missing}")
    coefficient = costs.coefficient if scenario.coefficient is None else scenario.coefficient
    between = (pairs["exporter"].isin(present) & pairs["importer"].isin(present)
               & (pairs["exporter"] != pairs["importer"]))
    rta_new = pairs["rta"].where(~between, float(scenario.status))
    t_base = to_matrix(pairs, pairs["t_baseline"], countries)
    t_new = to_matrix(pairs, scenario_costs(pairs, rta_new, coefficient), countries)
    rta_change = to_matrix(pairs, rta_new - pairs["rta"], countries)
    year = panel[panel["year"] == scenario.baseline_year]
    output = year.groupby("exporter")["trade"].sum().reindex(countries).to_numpy()
    expenditure = year.groupby("importer")["trade"].sum().reindex(countries).to_numpy()
    ref = countries.index(scenario.reference_country)
    base = baseline(t_base, output, expenditure, ref, scenario.sigma, tol=tol)
    cond = conditional_ge(base, t_new, tol=tol)
    full = full_endowment_ge(base, t_new, tol=tol)
    table = country_changes(countries, base, cond, full)
    table.insert(0, "scenario", scenario.name)
    table.insert(2, "member", table["iso3"].isin(present))
    table["baseline_output_usd"] = table.pop("baseline_output") * 1e6
    table["baseline_exports_usd"] = table.pop("baseline_exports") * 1e6
    table["baseline_year"] = np.int32(scenario.baseline_year)
    table["sigma"] = float(scenario.sigma)
    table["reference_iso3"] = scenario.reference_country
    table["agreement_coefficient"] = float(coefficient)
    # a given coefficient has no sampling distribution: its interval is the point
    se = float(costs.std_error) if scenario.coefficient is None else 0.0
    table["agreement_coefficient_std_error"] = se
    draws = None
    if scenario.monte_carlo_draws:
        draws = monte_carlo_ge(base, t_base, rta_change, float(coefficient), se,
                               scenario.monte_carlo_draws, scenario.monte_carlo_seed)
        table[INTERVAL_COLUMNS] = draws.intervals(countries)[INTERVAL_COLUMNS].to_numpy()
    else:
        table[INTERVAL_COLUMNS] = np.nan
    table["monte_carlo_draws"] = np.int32(scenario.monte_carlo_draws)
    return ScenarioRun(table[OUTPUT_COLUMNS], countries, costs, float(coefficient), base, cond,
                       full, missing, draws)
