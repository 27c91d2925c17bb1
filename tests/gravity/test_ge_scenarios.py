"""Scenario files (shipped and user), member resolution by date, and the simulate command."""
from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
import yaml

from pipeline.gravity.__main__ import main as gravity_main
from pipeline.gravity.ge.data import prepare_gravity_panel
from pipeline.gravity.ge.run import resolve_bloc, resolve_members, run_scenario
from pipeline.gravity.panels import load_gravity_panel
from pipeline.gravity.ge.scenario import (ScenarioError, load_scenario, parse_scenario,
                                          shipped_scenarios)

EU28_2014 = {"AUT", "BEL", "BGR", "CYP", "CZE", "DEU", "DNK", "ESP", "EST", "FIN", "FRA", "GBR",
             "GRC", "HRV", "HUN", "IRL", "ITA", "LTU", "LUX", "LVA", "MLT", "NLD", "POL", "PRT",
             "ROU", "SVK", "SVN", "SWE"}


def test_shipped_scenarios_parse():
    assert shipped_scenarios() == ["brics_2025_agtpa", "brics_fta", "brics_fta_agtpa", "nafta",
                                   "tisa_services", "ttip", "ttip_agtpa"]
    nafta = load_scenario("nafta")
    assert (nafta.baseline_year, nafta.reference_country, nafta.sigma) == (1994, "DEU", 7.0)
    assert nafta.members == ("CAN", "MEX", "USA") and nafta.status == 0
    assert nafta.coefficient is None and nafta.symmetric_pairs and nafta.predict_missing


def test_group_members_are_taken_by_date():
    """TTIP = USA + the EU of 1 July 2014 (Croatia in, no one else); BRICS in 2014 includes
    South Africa (joined 2010-12-24) but not the 2024 members; TiSA of 2016 without Uruguay
    (left 2015-09-07) and with Mauritius (2015-03-01)."""
    assert set(resolve_members(load_scenario("ttip"))) == EU28_2014 | {"USA"}
    assert resolve_members(load_scenario("brics_fta")) == ["BRA", "CHN", "IND", "RUS", "ZAF"]
    tisa = set(resolve_members(load_scenario("tisa_services")))
    assert "MUS" in tisa and "URY" not in tisa and "GBR" in tisa and len(tisa) == 22 + 28


def test_members_by_group_and_date():
    """BRICS of 1 July 2025 has the 2024 enlargement (Egypt, Ethiopia, Iran, the United Arab
    Emirates, brics.br / Johannesburg II) and Indonesia (6 January 2025); a day before
    Indonesia joined it has nine members. TTIP on the 69-country panel keeps the EU's own pairs:
    its bloc is the EU of 1 July 2014 (Croatia in)."""
    brics = load_scenario("brics_2025_agtpa")
    assert str(brics.membership_date) == "2025-07-01"
    assert resolve_members(brics) == ["ARE", "BRA", "CHN", "EGY", "ETH", "IDN", "IND", "IRN",
                                      "RUS", "ZAF"]
    day_before = parse_scenario({**yaml.safe_load(brics.path.read_text()),
                                 "agreement": {"group": "BRICS", "membership_date": "2025-01-05"}})
    assert "IDN" not in resolve_members(day_before) and len(resolve_members(day_before)) == 9
    ttip = load_scenario("ttip_agtpa")
    assert set(resolve_members(ttip)) == EU28_2014 | {"USA"}
    assert set(resolve_bloc(ttip)) == EU28_2014
    assert resolve_bloc(load_scenario("brics_fta_agtpa")) == []


def test_user_file_with_a_given_coefficient(tmp_path, shared_datasets):
    """Any YAML file works; a given coefficient replaces the estimate in the scenario costs."""
    path = tmp_path / "mercosur_deep.yaml"
    path.write_text(
        "name: mercosur_deep\n"
        "data: {source: gravity_panel, panel: yotov2016_agtpa, years: [1994, 1998, 2002, 2006]}\n"
        "baseline_year: 2006\nreference_country: DEU\n"
        "agreement: {members: [ARG, BRA, URY, CHL], status: 1, coefficient: 0.8}\n")
    out = tmp_path / "out.parquet"
    assert gravity_main(["simulate", "--scenario", str(path), "--out", str(out),
                         "--bulk-dir", str(shared_datasets)]) == 0
    table = pd.read_parquet(out)
    assert set(table.loc[table["member"], "iso3"]) == {"ARG", "BRA", "URY", "CHL"}
    assert (table["agreement_coefficient"] == 0.8).all() and (table["baseline_year"] == 2006).all()
    members = table[table["member"]]
    assert (members["pct_change_real_gdp"] > 0).all()
    assert table.loc[~table["member"], "pct_change_exports"].max() < members["pct_change_exports"].min()


@pytest.mark.parametrize("body, message", [
    ("name: x\nbaseline_year: 2000\nreference_country: DEU\nagreement: {members: [USA, CAN]}\n",
     "missing `data`"),
    ("name: x\ndata: {panel: p}\nbaseline_year: 2000\nreference_country: DEU\n"
     "agreement: {members: [USA, CAN], group: TTIP}\n", "exactly one of `members`"),
    ("name: x\ndata: {panel: p}\nbaseline_year: 2000\nreference_country: DEU\n"
     "agreement: {group: TTIP}\n", "needs membership_year"),
    ("name: x\ndata: {panel: p}\nbaseline_year: 2000\nreference_country: DEU\n"
     "agreement: {members: [usa, CAN]}\n", "not ISO3 codes"),
    ("name: x\ndata: {panel: p}\nbaseline_year: 2000\nreference_country: DEU\n"
     "agreement: {members: [USA, CAN], coefficient: big}\n", "`estimate` or a number"),
    ("name: x\ndata: {source: wiod_services}\nbaseline_year: 2000\nreference_country: DEU\n"
     "agreement: {members: [USA, CAN]}\n", "agreements_from"),
    ("name: x\ndata: {panel: p}\nbaseline_year: 2000\nreference_country: DEU\n"
     "agreement: {group: BRICS, membership_year: 2014, membership_date: 2014-07-01}\n",
     "exactly one"),
    ("name: x\ndata: {panel: p}\nbaseline_year: 2000\nreference_country: DEU\n"
     "agreement: {group: BRICS, membership_date: '2025-13-01'}\n", "is not a date"),
    ("name: x\ndata: {panel: p}\nbaseline_year: 2000\nreference_country: DEU\n"
     "agreement: {group: BRICS, membership_date: 2025-13-01}\n", "month must be in 1..12"),
    ("name: x\ndata: {panel: p}\nbaseline_year: 2000\nreference_country: DEU\n"
     "agreement: {members: [USA, DEU], unchanged_within: EU}\n", "unchanged_within"),
])
def test_malformed_scenarios_name_file_key_and_fix(tmp_path, body, message):
    path = tmp_path / "bad.yaml"
    path.write_text(body)
    with pytest.raises(ScenarioError, match=message) as info:
        load_scenario(path)
    assert str(path) in str(info.value)


def test_unknown_scenario_lists_the_shipped_ones():
    with pytest.raises(ScenarioError, match=r"nafta"):
        load_scenario("no_such_scenario")


def test_cli_reports_data_problems_without_traceback(tmp_path, shared_datasets, capsys):
    path = tmp_path / "ref.yaml"
    path.write_text("name: r\ndata: {panel: yotov2016_agtpa, years: [2002, 2006]}\n"
                    "baseline_year: 2006\nreference_country: RUS\n"
                    "agreement: {members: [USA, CAN], status: 0}\n")
    code = gravity_main(["simulate", "--scenario", str(path), "--out", str(tmp_path / "o.parquet"),
                         "--bulk-dir", str(shared_datasets)])
    assert code == 1
    assert "reference country RUS is not in the data" in capsys.readouterr().err


def test_panel_read_back_from_parquet_with_nullable_integers(shared_datasets):
    """The published core table comes back from Parquet with nullable Int16 dummies: the
    scenario gives the same table (regression found on main by the e2e run, c36866b), Monte
    Carlo intervals included (50 draws, same seed)."""
    panel = load_gravity_panel("yotov2016_agtpa", bulk_dir=shared_datasets)
    typed = panel.astype({c: "Int16" for c in ("contiguity", "common_language", "colony", "agreement")})
    scenario = dataclasses.replace(load_scenario("nafta"), monte_carlo_draws=50)
    years = (1990, 1994, 1998)
    left = run_scenario(scenario, prepare_gravity_panel(typed, "yotov2016_agtpa", years), ["CAN", "MEX", "USA"])
    right = run_scenario(scenario, prepare_gravity_panel(panel, "yotov2016_agtpa", years), ["CAN", "MEX", "USA"])
    pd.testing.assert_frame_equal(left.results, right.results)


def test_a_panel_with_several_sectors_needs_data_sector(shared_datasets):
    """ppmlhdfe's panel has TOTAL, MANUF and NONMANUF rows: the one-sector model refuses to mix
    them and names the sectors; `sector` picks one."""
    panel = load_gravity_panel("ppmlhdfe_fta_35countries", bulk_dir=shared_datasets)
    with pytest.raises(ValueError, match=r"several sectors \['MANUF', 'NONMANUF', 'TOTAL'\].*"
                                         r"set data.sector"):
        prepare_gravity_panel(panel, "ppmlhdfe_fta_35countries")
    manuf = prepare_gravity_panel(panel, "ppmlhdfe_fta_35countries", sector="MANUF")
    assert set(manuf["sector"]) == {"MANUF"} and len(manuf) == (panel["sector"] == "MANUF").sum()
    with pytest.raises(ValueError, match="no sector 'SERVICES'"):
        prepare_gravity_panel(panel, "ppmlhdfe_fta_35countries", sector="SERVICES")
