"""The out__agreement_impacts asset on the real core tables, as the session's `make run` on bulk
settings published it (tests/conftest.py ``bulk_run``: the full gravity panels and WIOD 2000-2014):
every shipped scenario, the contract check passes, and the UI gets a preview and the
members-vs-outsiders plot."""
from __future__ import annotations

import pytest

from pipeline.gravity.ge.scenario import shipped_scenarios
from pipeline.warehouse import read_table

pytestmark = pytest.mark.slow  # reads the session's bulk run


def test_asset_publishes_every_scenario_behind_its_contract(bulk_run):
    key = "out__agreement_impacts"
    [check] = [c for c in bulk_run.run.get_asset_check_evaluations() if c.asset_key.to_user_string() == key]
    [event] = [m for m in bulk_run.run.get_asset_materialization_events() if m.asset_key.to_user_string() == key]
    metadata = event.materialization.metadata
    assert check.passed
    frame = read_table(bulk_run.warehouse, "agreement_impacts")
    assert sorted(frame["scenario"].unique()) == shipped_scenarios()
    sizes = frame.groupby("scenario").size().to_dict()
    assert sizes == {"nafta": 69, "ttip": 44, "brics_fta": 44, "tisa_services": 41,
                     "ttip_agtpa": 69, "brics_fta_agtpa": 69, "brics_2025_agtpa": 69}
    # which panel, sector, years and membership date each row comes from
    origin = frame.groupby("scenario")[["panel_id", "sector", "baseline_year"]].first()
    assert origin.loc["ttip"].tolist() == ["gegravity_wiod_2000_2014", "TOTAL", 2014]
    assert origin.loc["ttip_agtpa"].tolist() == ["yotov2016_agtpa", "MANUF", 2006]
    assert origin.loc["tisa_services"].tolist() == ["wiod2013_services", "SERVICES", 2010]
    dates = frame.groupby("scenario")["membership_date"].first().astype(str)
    assert dates["brics_2025_agtpa"] == "2025-07-01" and dates["ttip_agtpa"] == "2014-07-01"
    assert frame.loc[frame["scenario"] == "nafta", "membership_date"].isna().all()
    assert (frame["countries_left_out"].fillna("") == "").all()
    ttip = frame[frame["scenario"] == "ttip"].set_index("iso3")
    assert ttip.loc["USA", "member"] and ttip.loc["GBR", "member"] and not ttip.loc["CHN", "member"]
    assert int(ttip["member"].sum()) == 29  # USA + EU28 on 1 July 2014
    # an agreement raises its members' exports; the biggest losers of trade are outsiders
    for name, rows in frame[frame["scenario"] != "nafta"].groupby("scenario"):
        assert rows.loc[rows["member"], "pct_change_exports"].min() > 0, name
        assert not rows.loc[rows["pct_change_exports"].idxmin(), "member"], name
    notes = metadata["scenarios"].data
    assert notes["brics_fta"]["members_missing_from_data"] == ["ZAF"]
    assert notes["brics_fta_agtpa"]["members_missing_from_data"] == ["RUS"]
    assert notes["brics_2025_agtpa"]["members_missing_from_data"] == ["ARE", "ETH", "RUS"]
    assert set(frame.loc[frame["scenario"] == "ttip_agtpa", "members_absent_from_panel"]) == {
        "CZE, EST, HRV, LTU, LUX, LVA, SVK, SVN"}
    assert "data:image/png;base64," in metadata["plot"].value
    assert "pct_change_real_gdp" in metadata["preview"].value
