"""The out__agreement_impacts asset on the real core tables: every shipped scenario, the
contract check passes, and the UI gets a preview and the members-vs-outsiders plot."""
from __future__ import annotations

import dagster as dg
import pytest

from assets.agreement_impacts import out__agreement_impacts
from pipeline.gravity.ge.scenario import shipped_scenarios
from pipeline.reference.groups import load_country_groups
from pipeline.sources.files import FilesSource
from pipeline.transform import canonical

pytestmark = pytest.mark.slow  # builds seven scenarios from the core tables (about a minute)


@pytest.fixture(scope="module")
def core_tables(shared_datasets):
    source = FilesSource(shared_datasets)
    gravity = canonical.finalize_gravity_panel(
        [source.read(i) for i in source.discover("gravity_panel")])
    wiod = [i for i in source.discover("input_output")
            if any(y in i.provenance.location for y in ("2000", "2005", "2010"))]
    io = canonical.finalize_input_output([source.read(i) for i in wiod])
    groups = load_country_groups()
    return gravity, io, groups.assign(start_date=groups["start_date"].dt.date,
                                      end_date=groups["end_date"].dt.date)


@pytest.mark.filterwarnings("error::FutureWarning")  # scenarios concatenate cleanly
def test_asset_publishes_every_scenario_behind_its_contract(core_tables):
    gravity, io, groups = core_tables
    events = list(out__agreement_impacts(dg.build_asset_context(), core__gravity_panel=gravity,
                                         core__input_output=io, core__country_groups=groups))
    check = next(e for e in events if isinstance(e, dg.AssetCheckResult))
    output = next(e for e in events if isinstance(e, dg.Output))
    assert check.passed
    frame = output.value
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
    notes = output.metadata["scenarios"].data
    assert notes["brics_fta"]["members_missing_from_data"] == ["ZAF"]
    assert notes["brics_fta_agtpa"]["members_missing_from_data"] == ["RUS"]
    assert notes["brics_2025_agtpa"]["members_missing_from_data"] == ["ARE", "ETH", "RUS"]
    assert set(frame.loc[frame["scenario"] == "ttip_agtpa", "members_absent_from_panel"]) == {
        "CZE, EST, HRV, LTU, LUX, LVA, SVK, SVN"}
    assert "data:image/png;base64," in output.metadata["plot"].value
    assert "pct_change_real_gdp" in output.metadata["preview"].value
