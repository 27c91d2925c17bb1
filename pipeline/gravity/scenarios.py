"""Agreement scenarios: YAML files naming a panel, a baseline year, members and an effect.

A scenario (``pipeline/gravity/scenarios/*.yaml`` or a user file)::

    name: ttip
    panel: yotov2016_agtpa        # gravity panel (manifest dataset id) with intra-national flows
    baseline_year: 2006
    members: {group: TTIP, date: 2016-07-01}   # or {countries: [USA, DEU, ...]}
    coefficient: estimated        # or a number: the log effect of the agreement on trade costs
    remove_first: false           # true: members' agreements are removed to make the baseline
    sigma: 7
    reference: DEU                # inward resistance normalised to 1

Trade costs of the baseline cross-section come from PPML with exporter and importer fixed
effects on ln distance, contiguity, common language, colony, the agreement dummy and an
international-border dummy (``T_ij = exp(x_ij' b)``; the fixed effects are the resistances,
so the baseline reproduces the fitted trade). The agreement effect ``b`` is, with
``coefficient: estimated``, the pair-fixed-effects panel estimate (:func:`pair_fe_effect`).
The scenario switches the agreement on between every pair of distinct members without one
(``T_ij * exp(b)``) and solves the full-endowment equilibrium (:mod:`pipeline.gravity.ge`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from pipeline.gravity import ge
from pipeline.gravity.ppml import fit_ppml
from pipeline.gravity.specs import prepare_panel
from pipeline.reference.groups import load_country_groups

SCENARIO_DIR = Path(__file__).with_name("scenarios")
COST_TERMS = ["ln_dist", "contiguity", "common_language", "colony", "rta", "intl_border"]


def load_scenario(name_or_path: str | Path) -> dict:
    """A shipped scenario by name (``ttip``) or any YAML file."""
    path = Path(name_or_path)
    if not path.suffix:
        path = SCENARIO_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        shipped = sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))
        raise FileNotFoundError(f"scenario {name_or_path!r} not found; shipped: {shipped}, or "
                                "give the path of your own YAML file")
    spec = yaml.safe_load(path.read_text())
    missing = [k for k in ("name", "panel", "baseline_year", "members") if k not in spec]
    if missing:
        raise ValueError(f"scenario {path}: missing {missing}")
    return {"coefficient": "estimated", "sigma": 7.0, "reference": "DEU", "remove_first": False,
            **spec}


def scenario_members(spec: dict, groups: pd.DataFrame | None = None) -> list[str]:
    """Members named in the file, or those of a country group on a date."""
    members = spec["members"]
    if "countries" in members:
        return list(members["countries"])
    groups = load_country_groups() if groups is None else groups
    on = pd.Timestamp(str(members["date"]))
    spells = groups[groups["group_id"] == members["group"]]
    if spells.empty:
        raise ValueError(f"scenario {spec['name']}: unknown group {members['group']!r}")
    active = (pd.to_datetime(spells["start_date"]) <= on) & (
        spells["end_date"].isna() | (pd.to_datetime(spells["end_date"]) >= on))
    return sorted(spells.loc[active, "iso3"].unique())


def run_scenario(spec: dict, panel: pd.DataFrame, groups: pd.DataFrame | None = None) -> pd.DataFrame:
    """Solve one scenario on the canonical gravity panel; one row per country."""
    frame = prepare_panel(panel, spec["panel"], [int(spec["baseline_year"])])
    res = fit_ppml(frame, "trade", COST_TERMS, ["exporter_iso3", "importer_iso3"])
    countries = sorted(set(frame["exporter_iso3"]) | set(frame["importer_iso3"]))
    index = {c: k for k, c in enumerate(countries)}
    i = frame["exporter_iso3"].map(index).to_numpy()
    j = frame["importer_iso3"].map(index).to_numpy()
    n = len(countries)
    used = res.fitted.notna().to_numpy()
    costs, in_force, trade = np.zeros((n, n)), np.zeros((n, n)), np.zeros((n, n))
    # nullable integer columns (as read back from Parquet) become floats here
    covariates = frame.loc[used, COST_TERMS].astype(float).to_numpy()
    costs[i[used], j[used]] = np.exp(covariates @ res.params[COST_TERMS].to_numpy())
    in_force[i, j] = frame["rta"].astype(float).fillna(0.0).to_numpy()
    trade[i[used], j[used]] = frame.loc[used, "trade"].astype(float).to_numpy()
    effect = (pair_fe_effect(panel, spec) if spec["coefficient"] == "estimated"
              else float(spec["coefficient"]))
    members = [m for m in scenario_members(spec, groups) if m in index]
    if len(members) < 2:
        raise ValueError(f"scenario {spec['name']}: fewer than two members in panel {spec['panel']}")
    output, expenditure = trade.sum(axis=1), trade.sum(axis=0)
    base = ge.baseline(countries, costs, output, expenditure, float(spec["sigma"]), spec["reference"])
    if spec["remove_first"]:
        without = _remove(costs, countries, members, in_force, effect)
        base = ge.full_endowment(base, without, spec["reference"])
        in_force = _without_members(in_force, countries, members)
        costs = without
    scenario_costs = ge.agreement_costs(costs, countries, members, in_force, effect)
    result = ge.full_endowment(base, scenario_costs, spec["reference"])
    table = ge.compare(base, result)
    table.insert(0, "scenario", spec["name"])
    table.insert(2, "member", table["iso3"].isin(members))
    table["baseline_year"] = int(spec["baseline_year"])
    table["agreement_coefficient"] = float(effect)
    return table


def pair_fe_effect(panel: pd.DataFrame, spec: dict) -> float:
    """The agreement effect of PPML with exporter-year, importer-year and pair effects on the
    panel's years up to the baseline, every 4 years (Yotov et al. 2016, ch. 1): cross-section
    estimates of agreement effects are biased towards zero by the endogeneity of agreements."""
    year = int(spec["baseline_year"])
    frame = prepare_panel(panel, spec["panel"], list(range(year - 20, year + 1, 4)))
    res = fit_ppml(frame, "trade", ["rta"],
                   [("exporter_iso3", "year"), ("importer_iso3", "year"), "pair"])
    return float(res.params["rta"])


def _without_members(in_force, countries, members):
    out = in_force.copy()
    idx = [countries.index(m) for m in members]
    for a in idx:
        for b in idx:
            if a != b:
                out[a, b] = 0
    return out


def _remove(costs, countries, members, in_force, effect):
    """Costs with the members' agreements switched off (``T_ij * exp(-b)`` where in force)."""
    out = costs.copy()
    idx = [countries.index(m) for m in members]
    for a in idx:
        for b in idx:
            if a != b and in_force[a, b]:
                out[a, b] *= np.exp(-effect)
    return out
