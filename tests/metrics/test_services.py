"""Services in TiSA-style sectors: concordance coverage, identities on WIOD, RCA by hand."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.metrics.services import (calc_rca, combine_flows, services_exposure,
                                       services_flows_from_batis, services_flows_from_io,
                                       services_group_exposure)
from pipeline.reference.groups import load_country_groups, membership_panel
from pipeline.reference.services_sectors import concordance, services_sectors
from tests.metrics.wiod_years import wiod_long

EBOPS_2010_MAIN = [f"S{c}" for c in "ABCDEFGHIJKL"]


def test_every_wiod_services_industry_maps_to_exactly_one_sector(shared_datasets):
    industries = pd.read_csv(shared_datasets / "wiod2013_bquast/industries_wiod2013.csv")
    services = industries.loc[industries["idx"] >= 18, "code"]  # c18 Construction .. c35
    mapped = concordance("wiod2013")
    assert sorted(mapped["code"]) == sorted(services)
    assert not mapped["code"].duplicated().any()
    assert set(mapped["sector_id"]) <= set(services_sectors()["sector_id"])


def test_every_ebops_main_component_maps_to_exactly_one_sector():
    mapped = concordance("ebops2010")
    assert sorted(mapped["code"]) == EBOPS_2010_MAIN


def test_rca_by_hand():
    # Two countries, two sectors: A exports 30 transport + 10 finance, B 10 + 50 (world 100).
    # RCA(A, transport) = (30/40) / (40/100) = 1.875; RCA(B, transport) = (10/60) / (40/100);
    # RCA(A, finance) = (10/40) / (60/100); RCA(B, finance) = (50/60) / (60/100).
    frame = pd.DataFrame({"year": 2000, "iso3": ["A", "A", "B", "B"],
                          "sector_id": ["t", "f", "t", "f"], "exports_usd": [30.0, 10, 10, 50]})
    np.testing.assert_allclose(calc_rca(frame), [1.875, 0.25 / 0.6, (1 / 6) / 0.4, (5 / 6) / 0.6])


@pytest.fixture(scope="module")
def flows(shared_datasets):
    return combine_flows(services_flows_from_io(wiod_long(shared_datasets, (2003, 2004))), None)


def test_exports_and_imports_are_the_wiod_cells_and_balance_worldwide(flows, shared_datasets):
    io = wiod_long(shared_datasets, (2003, 2004))
    out = services_exposure(flows)
    # DEU's construction (c18) sales to foreign users in 2004, read straight off the table.
    cells = io[(io.year == 2004) & (io.row_iso3 == "DEU") & (io.row_sector == "c18")
               & (io.col_iso3 != "DEU") & (io.col_sector != "GO")]
    row = out[(out.year == 2004) & (out.iso3 == "DEU") & (out.sector_id == "construction")]
    assert row["exports_usd"].item() == pytest.approx(cells["value_usd"].sum(), rel=1e-12)
    # WIOD's rest of the world is a partner, not a country: no ROW row. World exports = world
    # imports, so the economies' balances sum to minus ROW's, hand-summed here from its cells.
    assert "ROW" not in set(out["iso3"])
    services = io[(io.row_iso3 != io.col_iso3) & (io.col_sector != "GO")
                  & io.row_sector.isin(concordance("wiod2013")["code"])]
    row_exports = services[services.row_iso3 == "ROW"].groupby("year")["value_usd"].sum()
    row_imports = services[services.col_iso3 == "ROW"].groupby("year")["value_usd"].sum()
    balance = out.groupby("year")["balance_usd"].sum()
    # atol: services_flows_from_io clips one negative bilateral total (TWN 2003, -17 M USD)
    np.testing.assert_allclose(balance, -(row_exports - row_imports).loc[balance.index], atol=2e7)
    # Services exports are a plausible share of world gross exports (about a fifth in WIOD).
    world_exports = io[(io.year == 2004) & (io.row_iso3 != io.col_iso3) & (io.col_sector != "GO")]
    share = out.loc[out.year == 2004, "exports_usd"].sum() / world_exports["value_usd"].sum()
    assert 0.1 < share < 0.35


def test_rca_world_weighted_average_is_one_for_every_country_and_stri_joins(flows):
    # sum_k (X_wk / X_w) RCA_ck = sum_k X_ck / X_c = 1 for every exporter c; the world is every
    # exporter of the table, WIOD's rest of the world included (it has no row of its own).
    out = services_exposure(flows)
    y = out[out.year == 2004]
    world = flows[flows.year == 2004].groupby("sector_id")["value_usd"].sum()
    world_share = y["sector_id"].map(world / world.sum())
    per_country = (world_share * y["rca"]).groupby(y["iso3"]).sum()
    np.testing.assert_allclose(per_country, 1.0, rtol=1e-9)
    stri = pd.DataFrame({"iso3": ["DEU"], "year": [2004], "sector_id": ["transport"], "stri": [0.2]})
    with_stri = services_exposure(flows, stri)
    assert with_stri["stri"].notna().sum() == 1


def test_group_exposure_follows_membership_of_the_year(flows):
    members = membership_panel(load_country_groups(), [2003, 2004])
    out = services_group_exposure(flows, members)
    eu = out[(out.group_id == "EU") & (out.sector_id == "transport")].set_index(["iso3", "year"])
    assert not eu.loc[("POL", 2003), "is_member"] and eu.loc[("POL", 2004), "is_member"]
    # Ten countries joined on 1 May 2004: the EU's share of Germany's transport exports jumps.
    assert eu.loc[("DEU", 2004), "export_share"] > eu.loc[("DEU", 2003), "export_share"]
    assert out[["export_share", "import_share"]].stack().between(0, 1).all()


def test_batis_replaces_wiod_in_its_years_and_rejects_unknown_codes(flows):
    batis = pd.DataFrame({"year": 2004, "reporter_iso3": "USA",
                          "partner_iso3": ["GBR", "GBR", "WLD", "WLD"], "ebops2010_code": ["SF", "SG", "SG", "SF"],
                          "flow": "export", "value_usd": [5.0, 7.0, 30.0, 10.0]})
    combined = combine_flows(flows.drop(columns="source"), services_flows_from_batis(batis))
    y2004 = combined[combined.year == 2004]
    assert set(y2004["source"]) == {"batis"} and y2004["value_usd"].sum() == 12.0  # bilateral rows only
    assert set(combined.loc[combined.year == 2003, "source"]) == {"input_output"}
    with pytest.raises(ValueError, match="SX"):
        services_flows_from_batis(batis.assign(ebops2010_code="SX"))
    # Exposure: the world rows where there are (30 + 10), not the sum of partners (7 + 5).
    out = services_exposure(flows, batis=batis).set_index(["year", "iso3", "sector_id"])
    assert out.loc[(2004, "USA", "financial_insurance"), "exports_usd"] == 40.0
    assert out.loc[(2004, "USA", "financial_insurance"), "source"] == "batis"
    assert set(out.loc[2003, "source"]) == {"input_output"} and set(out.loc[2004, "source"]) == {"batis"}
    with pytest.raises(ValueError, match="neither was given"):
        services_exposure(None)


def test_exposure_from_real_batis_rows_sums_complete_sectors_only_and_keeps_the_rca_identity(shared_datasets):
    """Real 2016 BaTIS-shaped rows (UN Comtrade services exports by EBOPS 2010 component). A
    sector total is the hand sum of its components where all are published, else null: Brazil
    publishes SF (insurance, 784 M USD) but not SG, so it has no financial_insurance number and,
    its basket being incomplete, no RCA at all (the old code wrote 7.84e8 and an RCA of 0.30)."""
    from tests.contracts.services_frames import batis_canonical

    batis = batis_canonical(shared_datasets)
    out = services_exposure(None, batis=batis).set_index(["iso3", "sector_id"])
    components = {"financial_insurance": {"SF", "SG"}, "transport": {"SC"}, "travel_tourism": {"SD"}}
    for (iso3, sector), row in out.loc[out.index.get_level_values(1).isin(list(components))].iterrows():
        own = batis[(batis.reporter_iso3 == iso3) & batis.ebops2010_code.isin(components[sector])]
        if set(own["ebops2010_code"]) == components[sector]:
            assert row["exports_usd"] == pytest.approx(own["value_usd"].sum(), rel=1e-12)
        else:
            assert np.isnan(row["exports_usd"]), (iso3, sector)
    brazil = out.loc["BRA"]
    assert np.isnan(brazil.loc["financial_insurance", "exports_usd"]) and brazil["rca"].isna().all()
    partial = ["ABW", "AZE", "BRA", "BRN", "COG", "DMA", "DZA", "ECU", "JOR", "JPN", "KHM", "MMR"]
    assert out.loc[partial, "rca"].isna().all()
    # RCA over the reporters with a complete basket (every sector of the year published):
    # sum_k (X_wk / X_w) RCA_ck = 1 with X_w, X_wk summed here over those reporters only.
    sectors = out.index.get_level_values(1).nunique()
    known = out["exports_usd"].notna().groupby(level=0).sum()
    complete = out.loc[known[known == sectors].index, ["exports_usd", "rca"]].reset_index()
    assert 30 < complete["iso3"].nunique() < 60
    world = complete.groupby("sector_id")["exports_usd"].sum()
    weighted = (complete["sector_id"].map(world / world.sum()) * complete["rca"]).groupby(complete["iso3"]).sum()
    negative = complete.loc[complete["exports_usd"] < 0, "iso3"]  # BoP net recording: BWA, SK
    assert len(negative) >= 1 and complete.loc[complete["exports_usd"] < 0, "rca"].isna().all()
    np.testing.assert_allclose(weighted[~weighted.index.isin(negative)], 1.0, rtol=1e-9)
    assert out.loc[~out.index.get_level_values(0).isin(complete["iso3"]), "rca"].isna().all()
    # The rows carry exports only: imports were not published, so they and the balance stay null
    # (the old code wrote imports 0 and balance = exports).
    assert out["imports_usd"].isna().all() and out["balance_usd"].isna().all()
    assert set(out["source"]) == {"batis"}


def test_a_sector_total_needs_every_component_and_a_listed_zero_stays_zero():
    """Hand-built BaTIS rows (partner WLD). USA publishes SF and SG exports but only the SG
    import; GBR exports SF only and lists an import of SJ as 0. financial_insurance = SF + SG
    (services_sectors.yaml): with SF or SG missing the total is null, never the other part
    alone (the old code wrote GBR 5.0 and USA imports 12.0). A published 0 is a 0."""
    batis = pd.DataFrame({"year": 2016, "reporter_iso3": ["USA", "USA", "USA", "GBR", "GBR"], "partner_iso3": "WLD",
                          "ebops2010_code": ["SF", "SG", "SG", "SF", "SJ"],
                          "flow": ["export", "export", "import", "export", "import"],
                          "value_usd": [10.0, 30.0, 12.0, 5.0, 0.0]})
    out = services_exposure(None, batis=batis).set_index(["iso3", "sector_id"])
    usa, gbr = out.loc[("USA", "financial_insurance")], out.loc[("GBR", "financial_insurance")]
    assert usa["exports_usd"] == 40.0 and np.isnan(usa["imports_usd"]) and np.isnan(usa["balance_usd"])
    assert np.isnan(gbr["exports_usd"]) and np.isnan(gbr["imports_usd"]) and np.isnan(gbr["rca"])
    sj = out.loc[("GBR", "other_business")]
    assert sj["imports_usd"] == 0.0 and np.isnan(sj["exports_usd"]) and np.isnan(sj["rca"])
    # The year's basket is financial_insurance and other_business; nobody exports both: no RCA.
    assert out["rca"].isna().all()


def test_rca_is_null_for_an_incomplete_basket_and_the_world_leaves_it_out():
    """Hand-built exports of two sectors t, f. A and B publish both; C publishes t only.
    RCA is computed over A and B: world t = 30 + 10 = 40, f = 10 + 50 = 60 (with C's 100 of t
    counted, A's transport RCA would be (30/40) / (140/200) = 1.07 instead of 1.875)."""
    frame = pd.DataFrame({"year": 2000, "iso3": ["A", "A", "B", "B", "C", "C"],
                          "sector_id": ["t", "f", "t", "f", "t", "f"],
                          "exports_usd": [30.0, 10, 10, 50, 100, np.nan]})
    rca = calc_rca(frame)
    np.testing.assert_allclose(rca[:4], [1.875, 0.25 / 0.6, (1 / 6) / 0.4, (5 / 6) / 0.6])
    assert rca[4:].isna().all()
    # a sector row missing altogether is as incomplete as a null one
    assert calc_rca(frame.iloc[:5])[4:].isna().all()


def test_group_shares_are_null_where_the_total_is_missing_or_zero():
    """Hand-built flows of one sector, group G = {B}. A exports 10 to B and 30 to C and imports
    nothing listed: export share 10/40, import share null (no total). C exports nothing: export
    share null, import share 5/75. D exports 40 to C only: export share 0 (a known total, none
    to G). E's only flow (to B) is 0: its export share is 0/0, null. The old code wrote 0."""
    flows = pd.DataFrame({"year": 2000, "sector_id": "t",
                          "exporter_iso3": ["A", "A", "B", "B", "D", "E"],
                          "importer_iso3": ["B", "C", "C", "D", "C", "B"],
                          "value_usd": [10.0, 30.0, 5.0, 8.0, 40.0, 0.0]})
    members = pd.DataFrame({"year": [2000], "group_id": ["G"], "iso3": ["B"]})
    out = services_group_exposure(flows, members).set_index("iso3")
    assert out.loc["A", "export_share"] == pytest.approx(0.25) and np.isnan(out.loc["A", "import_share"])
    assert np.isnan(out.loc["C", "export_share"]) and out.loc["C", "import_share"] == pytest.approx(5 / 75)
    assert out.loc["D", "export_share"] == 0.0 and out.loc["D", "import_share"] == pytest.approx(1.0)
    assert np.isnan(out.loc["E", "export_share"])


def test_services_tables_pass_their_contracts(flows):
    from pipeline.contracts import check_frame, load_contract

    members = membership_panel(load_country_groups(), [2003, 2004])
    for frame, table in ((services_exposure(flows), "services_exposure"),
                         (services_group_exposure(flows, members), "services_group_exposure")):
        _, report = check_frame(frame, load_contract(table), "WIOD 2003-2004")
        assert report.passed, report.message()
