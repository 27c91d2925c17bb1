"""HHI, shares and group exposure on hand-computed cases."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from pipeline.metrics.concentration import concentration, partner_flows
from pipeline.metrics.goods_sources import TotalsSource
from pipeline.metrics.trade_profile import country_group_exposure, country_trade_profile


# Hand-built rows come from a source "hand" declared as the one source of totals.
HAND = [TotalsSource("hand", "TOTAL", mirror_complete=True)]


def _bilateral(rows):
    frame = pd.DataFrame(rows, columns=["reporter_iso3", "partner_iso3", "year", "flow", "value_usd"])
    return frame.assign(product_classification="TOTAL", product_code="TOTAL", source="hand")


# KEN exports 60 to USA, 30 to CHN, 10 to DEU; USA exports 20 to KEN and reports imports 50
# from KEN (its own import report wins over KEN's mirror for USA's imports); ROW is dropped.
CASE = _bilateral([
    ("KEN", "USA", 2016, "export", 60.0),
    ("KEN", "CHN", 2016, "export", 30.0),
    ("KEN", "DEU", 2016, "export", 10.0),
    ("KEN", "ROW", 2016, "export", 1000.0),
    ("USA", "KEN", 2016, "export", 20.0),
    ("USA", "KEN", 2016, "import", 50.0),
    ("CHN", "KEN", 2016, "export", 0.0),
])


def test_export_hhi_and_top_partner_by_hand():
    conc = concentration(partner_flows(CASE, "exports", HAND)).set_index("iso3")
    # shares 0.6, 0.3, 0.1 -> HHI = 0.36 + 0.09 + 0.01 = 0.46
    assert conc.loc["KEN", "total_usd"] == pytest.approx(100.0)
    assert conc.loc["KEN", "hhi"] == pytest.approx(0.46)
    assert conc.loc["KEN", "top_partner_iso3"] == "USA"
    assert conc.loc["KEN", "top_partner_share"] == pytest.approx(0.6)
    # USA: a single partner -> HHI 1; CHN: total zero -> HHI undefined, no top partner
    assert conc.loc["USA", "hhi"] == pytest.approx(1.0)
    assert math.isnan(conc.loc["CHN", "hhi"]) and pd.isna(conc.loc["CHN", "top_partner_iso3"])


def test_imports_prefer_reported_flows_over_mirror():
    imports = partner_flows(CASE, "imports", HAND).set_index(["iso3", "partner_iso3"])["value_usd"]
    assert imports[("USA", "KEN")] == pytest.approx(50.0)  # reported, not KEN's mirror 60
    assert imports[("KEN", "USA")] == pytest.approx(20.0)  # mirror of USA's exports
    assert ("KEN", "ROW") not in imports.index


def test_even_split_gives_one_over_n():
    rows = [("BRA", p, 2000, "export", 25.0) for p in ("ARG", "CHN", "USA", "DEU")]
    conc = concentration(partner_flows(_bilateral(rows), "exports", HAND))
    assert conc["hhi"].iloc[0] == pytest.approx(0.25)


def test_profile_joins_openness_from_wdi():
    macro = pd.DataFrame({
        "iso3": ["KEN", "KEN", "WLD"], "year": [2016] * 3,
        "indicator_code": ["NE.EXP.GNFS.ZS", "NE.IMP.GNFS.ZS", "NE.IMP.GNFS.ZS"],
        "value": [13.0, 23.5, 28.0], "unit": "pct", "is_aggregate": [False, False, True],
        "source": "hand",
    })
    profile = country_trade_profile(CASE, macro, HAND).set_index("iso3")
    assert profile.loc["KEN", "trade_openness_pct"] == pytest.approx(36.5)
    assert profile.loc["KEN", "imports_gdp_pct"] == pytest.approx(23.5)
    assert profile.loc["KEN", "imports_usd"] == pytest.approx(20.0)
    assert profile.loc["KEN", "export_partner_hhi"] == pytest.approx(0.46)
    assert math.isnan(profile.loc["USA", "trade_openness_pct"])
    # DEU appears only as a partner: its imports are mirror flows, its exports unreported (empty,
    # not zero).
    assert profile.loc["DEU", "imports_usd"] == pytest.approx(10.0)
    assert math.isnan(profile.loc["DEU", "exports_usd"])


def test_group_exposure_uses_membership_of_the_year():
    membership = pd.DataFrame({"year": [2016, 2016], "group_id": ["G", "G"], "iso3": ["USA", "CHN"]})
    exposure = country_group_exposure(CASE, membership, HAND).set_index(["iso3", "direction", "group_id"])
    assert exposure.loc[("KEN", "exports", "G"), "share"] == pytest.approx(0.9)
    assert not exposure.loc[("KEN", "exports", "G"), "is_member"]
    assert exposure.loc[("USA", "exports", "G"), "is_member"]
    assert exposure.loc[("USA", "exports", "G"), "share"] == pytest.approx(0.0)
    # Another year's membership does not count.
    other_year = membership.assign(year=2012)
    later = country_group_exposure(CASE, other_year, HAND).set_index(["iso3", "direction", "group_id"])
    assert later.loc[("KEN", "exports", "G"), "share"] == pytest.approx(0.0)


def test_top3_partner_share_by_hand():
    rows = [("BRA", p, 2000, "export", v) for p, v in (("ARG", 40.0), ("CHN", 30.0), ("USA", 20.0), ("DEU", 10.0))]
    conc = concentration(partner_flows(_bilateral(rows), "exports", HAND))
    assert conc["top3_partner_share"].iloc[0] == pytest.approx(0.9)   # 0.4 + 0.3 + 0.2
    # Fewer than three partners: all of them (KEN 0.6 + 0.3 + 0.1 = 1; USA, one partner: 1).
    case = concentration(partner_flows(CASE, "exports", HAND)).set_index("iso3")
    assert case.loc["KEN", "top3_partner_share"] == pytest.approx(1.0)
    assert case.loc["USA", "top3_partner_share"] == pytest.approx(1.0)
    assert pd.isna(case.loc["CHN", "top3_partner_share"])             # nothing exported


def test_product_rows_leave_total_metrics_unchanged():
    # Product detail of the same flows must not be added to TOTAL (no double counting).
    detail = _bilateral([("KEN", "USA", 2016, "export", 35.0), ("KEN", "USA", 2016, "export", 25.0)])
    detail = detail.assign(product_classification="HS92_2_4", product_code=["09", "0603"])
    both = pd.concat([CASE, detail], ignore_index=True)
    pd.testing.assert_frame_equal(concentration(partner_flows(both, "exports", HAND)),
                                  concentration(partner_flows(CASE, "exports", HAND)))
