"""TTIP and BRICS on the Advanced Guide's 69-country panel (Yotov et al. 2016), baseline 2006:
every country of the panel gets its GE effect as member or outsider (Kenya, Nigeria, South
Africa... as countries, not inside WIOD's rest of the world).

Checks from the model's definition, on the real panel: the agreement's members gain, most
outsiders lose, and trade is diverted (outsiders' exports to the members fall, computed here
from the equilibrium flows ``X_ij``); only the pairs the agreement creates change; a scenario
equal to the baseline changes nothing; the stage-1 agreement coefficient is the book's
published 0.557 (s.e. 0.102), as for NAFTA. The TTIP results of the countries shared with the
WIOD panel are printed next to the WIOD ones (``pytest -s`` or ``-rP`` shows the table).
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from pipeline.gravity.ge.data import scenario_panel
from pipeline.gravity.ge.run import resolve_bloc, resolve_members, run_scenario
from pipeline.gravity.ge.scenario import load_scenario, parse_scenario
from pipeline.reference.codes import country_codes

SOUTH = ["KEN", "NGA", "ZAF", "SEN", "TZA", "MWI", "NER", "CMR", "MUS", "EGY", "MAR", "TUN",
         "IND", "LKA", "NPL", "MMR", "IDN", "PHL", "THA", "MYS"]


def _run(scenario, datasets):
    scenario = dataclasses.replace(scenario, monte_carlo_draws=0)  # point estimates suffice here
    panel = scenario_panel(scenario, bulk_dir=datasets)
    return run_scenario(scenario, panel, resolve_members(scenario),
                        unchanged_within=resolve_bloc(scenario))


@pytest.fixture(scope="module")
def runs(shared_datasets):
    names = ["ttip_agtpa", "brics_fta_agtpa", "brics_2025_agtpa", "ttip"]
    return {name: _run(load_scenario(name), shared_datasets) for name in names}


def _outsider_economies(run) -> pd.DataFrame:
    rows = run.results[~run.results["member"]]
    return rows[country_codes().is_economy(rows["iso3"]).to_numpy()]


@pytest.mark.parametrize("name, absent", [
    ("ttip_agtpa", ["CZE", "EST", "HRV", "LTU", "LUX", "LVA", "SVK", "SVN"]),
    ("brics_fta_agtpa", ["RUS"]),
    ("brics_2025_agtpa", ["ARE", "ETH", "RUS"]),
])
def test_members_gain_most_outsiders_lose_absent_members_named(runs, name, absent):
    run = runs[name]
    table = run.results
    assert len(table) == 69 and set(SOUTH) <= set(table["iso3"])  # every country of the panel
    assert run.members_missing == absent
    assert (table["members_absent_from_panel"] == ", ".join(absent)).all()
    assert (table["panel_id"] == "yotov2016_agtpa").all() and (table["baseline_year"] == 2006).all()
    assert (table["sector"] == "MANUF").all()
    assert (table["estimation_years"] == "1986,1990,1994,1998,2002,2006").all()
    members = table[table["member"]]
    assert (members["pct_change_real_gdp"] > 0).all() and (members["pct_change_exports"] > 0).all()
    outsiders = _outsider_economies(run)
    losing = (outsiders["pct_change_real_gdp"] < 0).mean()
    assert losing >= 0.9, f"{name}: only {losing:.0%} of outsiders lose"
    assert (outsiders["pct_change_exports"] < 0).mean() >= 0.9


@pytest.mark.parametrize("name", ["ttip_agtpa", "brics_fta_agtpa", "brics_2025_agtpa"])
def test_trade_diversion_in_outsiders_exports_to_members(runs, name):
    """Outsider i's exports to the members, sum over member j of X_ij, from the baseline and
    full-endowment flows: they fall for most outsiders and in total, while the members' trade
    among themselves rises."""
    run = runs[name]
    member = run.results.set_index("iso3").loc[run.countries, "member"].to_numpy()
    outsider = ~member & country_codes().is_economy(pd.Series(run.countries)).to_numpy()
    base, full = run.base.trade, run.full.trade
    to_members_base = base[np.ix_(outsider, member)].sum(axis=1)
    to_members_full = full[np.ix_(outsider, member)].sum(axis=1)
    assert (to_members_full < to_members_base).mean() >= 0.9
    assert to_members_full.sum() < to_members_base.sum()
    among = np.outer(member, member) & ~np.eye(len(member), dtype=bool)
    assert full[among].sum() > base[among].sum()


def test_ttip_changes_only_the_pairs_it_creates(runs):
    """TTIP links the USA to each EU member of 2014 in the panel; the EU members' own pairs
    (rta 0 in the book's data for most of them) are left as they are. With them (as a plain
    28-member FTA would do) the EU members would gain several percent from an EU they have."""
    run = runs["ttip_agtpa"]
    changed = ~np.isclose(run.full.costs, run.base.costs, rtol=0, atol=0)
    idx = np.argwhere(changed)
    pairs = {(run.countries[i], run.countries[j]) for i, j in idx}
    eu_present = set(resolve_bloc(load_scenario("ttip_agtpa"))) & set(run.countries)
    assert len(eu_present) == 20
    assert pairs == {(a, b) for e in eu_present for a, b in (("USA", e), (e, "USA"))}


def test_scenario_equal_to_the_baseline_changes_nothing(shared_datasets):
    """NAFTA in force in 2006 (its three members already have rta = 1 with each other in the
    panel): no cost changes, so every change is zero."""
    scenario = parse_scenario({
        "name": "nafta_as_in_2006", "baseline_year": 2006, "reference_country": "DEU",
        "data": {"panel": "yotov2016_agtpa", "years": [1986, 1990, 1994, 1998, 2002, 2006]},
        "agreement": {"members": ["CAN", "MEX", "USA"], "status": 1},
        "monte_carlo": {"draws": 0}})
    table = _run(scenario, shared_datasets).results
    changes = table.filter(like="pct_change").drop(
        columns=[c for c in table if c.endswith(("_p05", "_p95"))])
    assert np.abs(changes.to_numpy()).max() < 1e-9  # percentage points: 1e-11 relative


def test_agreement_coefficient_is_the_books(runs):
    """Stage 1 is the book's RTA regression of its NAFTA application (0.557, s.e. 0.102)."""
    for name in ("ttip_agtpa", "brics_fta_agtpa", "brics_2025_agtpa"):
        assert runs[name].coefficient == pytest.approx(0.557, abs=5e-4)
        assert runs[name].costs.std_error == pytest.approx(0.102, abs=5e-4)


def test_ttip_next_to_wiod_for_the_shared_countries(runs):
    """The 33 countries in both panels, side by side. They differ by design (README, "Agreement
    scenarios"): WIOD is all goods and services in 2014 among 43 countries and a rest of the
    world, estimated 2000-2014 with the EIA FTA dummy; the Advanced Guide's panel is
    manufacturing in 2006 among 69 countries and nothing else, estimated 1986-2006 with its RTA
    dummy. Members gain and the shared outsiders lose in both."""
    cols = ["member", "pct_change_real_gdp", "pct_change_exports"]
    wiod = runs["ttip"].results.set_index("iso3")[cols]
    agtpa = runs["ttip_agtpa"].results.set_index("iso3")[cols]
    shared = sorted(set(wiod.index) & set(agtpa.index))
    assert len(shared) == 33 and "ROW" not in shared  # ROM of the book is ROU
    side = wiod.loc[shared].join(agtpa.loc[shared], lsuffix="_wiod", rsuffix="_agtpa")
    assert (side["member_wiod"] == side["member_agtpa"]).all()
    print("\nTTIP, countries in both panels: WIOD 2016 (2014) vs Advanced Guide (2006), % change")
    print(side.sort_values(["member_wiod", "pct_change_real_gdp_wiod"], ascending=False)
          .round(3).to_string())
    members, outsiders = side[side["member_wiod"]], side[~side["member_wiod"]]
    assert (members[["pct_change_real_gdp_wiod", "pct_change_real_gdp_agtpa"]] > 0).all().all()
    assert (outsiders[["pct_change_real_gdp_wiod", "pct_change_real_gdp_agtpa"]] < 0).all().all()
