"""Run one scenario end to end: costs from the estimated panel, baseline, conditional and
full-endowment GE, per-country changes.

Output and expenditure of the baseline year are the observed row and column sums of the
trade matrix (domestic sales included), so ``sum Y = sum E`` and the GE baseline reproduces
the fitted trade of the panel regression for that year (:mod:`pipeline.gravity.ge.costs`).
The agreement dummy between every two distinct members becomes ``agreement.status``; other
pairs keep theirs, and so do pairs of two members of the scenario's ``unchanged_within`` group
(TTIP links the USA to each EU member; the EU members' own pairs are the EU's, not TTIP's).
A country without a positive domestic flow in every year used is left out before anything is
estimated, with the reason (:func:`pipeline.gravity.ge.data.countries_without_domestic_flow`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.gravity.ge.costs import CostTable, recover_costs, scenario_costs, to_matrix
from pipeline.gravity.ge.data import countries_without_domestic_flow
from pipeline.gravity.ge.indicators import RESULT_COLUMNS, country_changes
from pipeline.gravity.ge.scenario import Scenario
from pipeline.gravity.ge.solver import Equilibrium, baseline, conditional_ge, full_endowment_ge
from pipeline.gravity.ge.uncertainty import INTERVAL_COLUMNS, MonteCarlo, monte_carlo_ge

PROVENANCE_COLUMNS = ["panel_id", "sector", "estimation_years", "membership_date",
                      "members_absent_from_panel", "countries_left_out"]
OUTPUT_COLUMNS = ["scenario", "iso3", "member", *RESULT_COLUMNS, "baseline_output_usd",
                  "baseline_exports_usd", "baseline_year", *PROVENANCE_COLUMNS, "sigma",
                  "reference_iso3",
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
    left_out: dict[str, str] = field(default_factory=dict)  # country -> why it is not in the GE


def _group_on_date(scenario: Scenario, group: str, groups: pd.DataFrame) -> list[str]:
    """The group's members on the scenario's membership date, sorted. A composite code (BLX)
    is a member through its constituents (BEL, LUX), which are listed themselves: counting it
    too would report a spurious "member missing from the panel"."""
    from pipeline.reference.composites import composite_parts
    from pipeline.reference.groups import members_on_date

    if group not in set(groups["group_id"]):
        raise ValueError(f"scenario {scenario.name}: unknown country group {group!r}; "
                         f"known: {sorted(groups['group_id'].unique())}")
    members = members_on_date(groups, scenario.membership_date)
    listed = set(members.loc[members["group_id"] == group, "iso3"])
    parts = composite_parts()
    return sorted(c for c in listed if not (c in parts and set(parts[c]) <= listed))


def resolve_bloc(scenario: Scenario, groups: pd.DataFrame | None = None) -> list[str]:
    """Members of the scenario's ``unchanged_within`` group on its membership date (their
    pairs keep the baseline agreement dummy); empty when the scenario sets none."""
    if not scenario.unchanged_within:
        return []
    from pipeline.reference.groups import load_country_groups

    groups = load_country_groups() if groups is None else groups
    return _group_on_date(scenario, scenario.unchanged_within, groups)


def resolve_members(scenario: Scenario, groups: pd.DataFrame | None = None) -> list[str]:
    """The member list, or the group's members on the membership date (1 July of
    ``membership_year``, or ``membership_date``)."""
    if scenario.members:
        return sorted(scenario.members)
    from pipeline.reference.groups import load_country_groups

    groups = load_country_groups() if groups is None else groups
    members = _group_on_date(scenario, scenario.group, groups)
    if not members:
        raise ValueError(f"scenario {scenario.name}: group {scenario.group} has no members on "
                         f"{scenario.membership_date}; pick a later membership date")
    return members


def run_scenario(scenario: Scenario, panel: pd.DataFrame, members: list[str],
                 tol: float = 1e-12, unchanged_within: list[str] | None = None) -> ScenarioRun:
    """Simulate ``scenario`` on a prepared panel (:func:`pipeline.gravity.ge.data.scenario_panel`);
    ``unchanged_within``: countries whose pairs among themselves keep their dummy
    (:func:`resolve_bloc`)."""
    where = f"scenario {scenario.name}"
    left_out = countries_without_domestic_flow(panel)
    if left_out:
        panel = panel[~panel["exporter"].isin(left_out) & ~panel["importer"].isin(left_out)]
        if panel.empty:
            raise ValueError(f"{where}: no country of {scenario.panel_label} has a domestic flow "
                             f"in every year used ({next(iter(left_out.values()))}); GE needs "
                             "intra-national trade: use a panel with domestic flows")
    costs = recover_costs(panel, scenario.baseline_year, symmetric=scenario.symmetric_pairs,
                          fill_missing=scenario.predict_missing, where=where)
    pairs = costs.pairs
    countries = sorted(pairs["exporter"].unique())
    if scenario.reference_country not in countries:
        why = f" ({left_out[scenario.reference_country]})" if scenario.reference_country in left_out else ""
        raise ValueError(f"{where}: reference country {scenario.reference_country} is not in the "
                         f"data{why}; choose one of {countries}")
    present = [m for m in members if m in countries]
    missing = [m for m in members if m not in countries]
    if len(present) < 2:
        raise ValueError(f"{where}: fewer than two members ({present}) are in the data "
                         f"({len(countries)} countries); missing: {missing}")
    coefficient = costs.coefficient if scenario.coefficient is None else scenario.coefficient
    bloc = unchanged_within or []
    between = (pairs["exporter"].isin(present) & pairs["importer"].isin(present)
               & (pairs["exporter"] != pairs["importer"])
               & ~(pairs["exporter"].isin(bloc) & pairs["importer"].isin(bloc)))
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
    table["panel_id"] = scenario.panel_label
    table["sector"] = str(panel["sector"].iloc[0]) if "sector" in panel else (scenario.sector or "")
    table["estimation_years"] = ",".join(str(y) for y in sorted(panel["year"].unique()))
    # one unit (ns) for every scenario: a date and NaT must concatenate without a dtype change
    table["membership_date"] = pd.Series(pd.Timestamp(scenario.membership_date or pd.NaT),
                                         index=table.index).astype("datetime64[ns]")
    table["members_absent_from_panel"] = ", ".join(missing)
    table["countries_left_out"] = "; ".join(f"{c}: {why}" for c, why in left_out.items())
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
                       full, missing, draws, left_out)
