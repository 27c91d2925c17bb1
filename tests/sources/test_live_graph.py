"""Tier 3 for the live sources: the whole graph in live mode against the local API server.

Only the base URLs change: the real clients, raw assets, landing zone, contract gate and IO
manager run as in production, against a server answering in the World Bank and Comtrade
formats (and OECD SDMX-CSV for BaTIS and TiVA) with the real values of ``../shared/datasets``. Faults injected on that server end
either in a correct result or in a clear error with nothing bad published and the bodies that
did arrive kept; the API key never appears anywhere the pipeline writes.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from assets.definitions import defs
from assets.selection import refresh_selection, selected_keys
from pipeline.warehouse import read_table
from tests.env import digests, environment
from tests.sources.conftest import API_KEY, INDICATORS, serving

pytestmark = pytest.mark.slow

REPORTERS = ("ZAF", "KEN", "BRA")
YEARS = (2008, 2012)  # years of the Comtrade/DTA panel the server answers from (KEN reports to 2008)
ROOT = Path(__file__).resolve().parents[2]


def live_refresh(server, warehouse: Path, **overrides: str) -> dg.ExecuteInProcessResult:
    settings = dict(
        TRADE_SOURCES="live", TRADE_BULK_DIR="", TRADE_WAREHOUSE_DIR=str(warehouse),
        TRADE_MANIFEST=str(ROOT / "pipeline/sources/manifests/shared_datasets.yaml"),
        TRADE_COUNTRY_GROUPS_FILE="", TRADE_API_CACHE_HOURS="24",
        WORLD_BANK_API_URL=server.url + "/v2", WORLD_BANK_INDICATORS=",".join(INDICATORS),
        COMTRADE_API_URL=server.url, COMTRADE_API_KEY=API_KEY,
        COMTRADE_REPORTERS=",".join(REPORTERS), COMTRADE_YEARS=",".join(map(str, YEARS)),
        COMTRADE_COMMODITIES="TOTAL",
        OECD_SDMX_API_URL=server.url + "/sdmx/public/rest", OECD_PARTNERS="W", OECD_YEARS="",
        OECD_TIVA_INDICATORS="EXGR_FVA", OECD_INCREMENTAL="true",
        # The local server has no rate limit: the APIs' own (20 to 60 a minute) slept ~4 minutes
        # of the suite away. The limiter itself is tested in tests/sources/test_rate_limits.py.
        TRADE_RATE_LIMITS="127.0.0.1=0",
    )
    settings.update(overrides)
    selection, _ = refresh_selection(settings)  # what `make run` runs with these settings
    with environment(**settings):
        return defs.resolve_job_def("refresh").execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), raise_on_error=False,
            asset_selection=selected_keys(defs, selection))


def materialization(result, key: str) -> dict:
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == key]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def messages(result) -> str:
    """Everything the run told its event log: messages, failures, metadata."""
    return "\n".join(str(e) for e in result.all_events)


@pytest.fixture(scope="module")
def live_server(api_data, oecd_data):
    with serving(api_data) as server:
        server.oecd = oecd_data
        yield server


@pytest.fixture(scope="module")
def first_run(live_server, tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("live_warehouse")
    return live_refresh(live_server, warehouse), warehouse


def test_live_refresh_publishes_the_source_values(first_run, api_data):
    result, warehouse = first_run
    assert result.success, messages(result)[-3000:]
    macro = read_table(warehouse, "macro_indicators")
    source = api_data.wdi.dropna(subset=["value"]).rename(columns={"country_code": "iso3"})
    merged = source.merge(macro, left_on=["iso3", "year", "indicator"],
                          right_on=["iso3", "year", "indicator_code"], how="left")
    assert len(macro.dropna(subset=["value"])) == len(source)
    assert (merged["value_y"] == merged["value_x"]).all()
    assert set(macro["source"]) == {"worldbank_api"}
    goods = read_table(warehouse, "bilateral_goods_trade")
    assert set(goods["reporter_iso3"]) == set(REPORTERS) and set(goods["year"]) == set(YEARS)
    zaf = goods[(goods["reporter_iso3"] == "ZAF") & (goods["year"] == 2012) & (goods["flow"] == "export")]
    panel = api_data.trade[(api_data.trade["exp"] == "ZAF") & (api_data.trade["time"] == 2012)
                           & api_data.trade["imp"].isin(list(api_data.iso_to_m49))]
    by_partner = zaf.set_index("partner_iso3")["value_usd"]
    assert by_partner.sum() == pytest.approx(panel["export"].sum(), rel=1e-12)
    assert by_partner["DEU"] == pytest.approx(panel.set_index("imp").loc["DEU", "export"], rel=1e-12)


def test_raw_assets_record_what_the_refresh_cost(first_run, live_server):
    result, warehouse = first_run
    wb = materialization(result, "raw_worldbank__indicators")
    ct = materialization(result, "raw_comtrade__goods_trade")
    assert wb["requests"] >= 1 + len(INDICATORS) and wb["bytes"] > 100_000 and wb["cache_hits"] == 0
    assert ct["requests"] == 2 + len(REPORTERS) * len(YEARS) * 2  # reference lists + (X, M) queries
    assert wb["requests_per_minute"] == ct["requests_per_minute"] == "no limit (TRADE_RATE_LIMITS)"
    landed = json.loads(next((warehouse / "_raw").glob("raw_comtrade__goods_trade.json")).read_text())
    assert landed[0]["provenance"]["location"] == str(warehouse / "landing" / "comtrade")
    sidecars = list((warehouse / "landing" / "comtrade").glob("*.meta.json"))
    assert len(sidecars) == ct["requests"]


def test_branches_without_a_source_are_left_out_by_name(first_run):
    result, _ = first_run
    done = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert {"core__macro_indicators", "core__bilateral_goods_trade", "out__country_trade_profile",
            "out__country_group_exposure"} <= done
    assert not done & {"core__input_output", "core__gravity_panel", "out__value_chain_exposure",
                       "out__agreement_impacts", "out__strategic_dependencies", "out__country_scorecard"}
    _, reasons = refresh_selection({"TRADE_SOURCES": "live", "COMTRADE_COMMODITIES": "TOTAL"})
    assert any("TRADE_BULK_DIR" in r for r in reasons) and any("product-level" in r for r in reasons)
    hybrid, reasons = refresh_selection({"TRADE_SOURCES": "live", "TRADE_BULK_DIR": "/data",
                                         "COMTRADE_COMMODITIES": "AG2"})
    left_out = dg.AssetSelection.all() - hybrid
    keys = {k.to_user_string() for k in left_out.resolve(defs.resolve_asset_graph())}
    assert keys == {"out__revealed_comparative_advantage", "out__strategic_dependencies", "out__country_scorecard",
                    "out__end_use_trade"}
    assert len(reasons) == 1 and "not the world" in reasons[0]


def test_the_api_key_never_leaks(first_run, live_server):
    result, warehouse = first_run
    assert any(r["headers"].get("Ocp-Apim-Subscription-Key") == API_KEY for r in live_server.requests)
    for path in warehouse.rglob("*"):  # landing bodies and sidecars, Parquet data and metadata
        if path.is_file():
            assert API_KEY.encode() not in path.read_bytes(), path
    assert API_KEY not in messages(result)


def test_a_rerun_reads_the_landing_zone_and_asks_nothing(first_run, live_server, tmp_path):
    _, warehouse = first_run
    copy = tmp_path / "warehouse"
    shutil.copytree(warehouse, copy)
    seen = len(live_server.requests)
    result = live_refresh(live_server, copy, OECD_INCREMENTAL="false")
    assert result.success
    assert len(live_server.requests) == seen
    assert materialization(result, "raw_worldbank__indicators")["cache_hits"] >= 1 + len(INDICATORS)


@pytest.mark.parametrize("faults", [("429",), ("500", "503", "500")])
def test_transient_faults_end_in_the_correct_result(first_run, live_server, tmp_path, faults):
    _, warehouse = first_run
    live_server.inject(f"/v2/country/all/indicator/{INDICATORS[0]}", *faults)
    result = live_refresh(live_server, tmp_path / "warehouse")
    assert result.success
    assert materialization(result, "raw_worldbank__indicators")["retries"] == len(faults)
    assert read_table(tmp_path / "warehouse", "macro_indicators").equals(read_table(warehouse, "macro_indicators"))


@pytest.mark.parametrize("path, fault, expected", [
    (f"/v2/country/all/indicator/{INDICATORS[1]}", "truncated", "does not parse"),
    (f"/v2/country/all/indicator/{INDICATORS[1]}", "html200", "HTML"),
    (f"/v2/country/all/indicator/{INDICATORS[1]}", "empty", "empty body"),
    (f"/v2/country/all/indicator/{INDICATORS[1]}", "rename", "lacks field"),
    ("/public/v1/preview/C/A/HS", "rename", "lacks field"),
    ("/sdmx/public/rest/data/OECD.SDD.TPS,DSD_BATIS@DF_BATIS", "rename", "lacks column(s) ['OBS_VALUE']"),
    ("/sdmx/public/rest/data/OECD.SDD.TPS,DSD_BATIS@DF_BATIS", "html200", "HTML"),
    ("/sdmx/public/rest/data/OECD.TAD.TPD,DSD_STRI@DF_STRI_MAIN", "rename", "lacks column(s) ['OBS_VALUE']"),
])
def test_bad_answers_fail_by_name_and_publish_nothing(first_run, live_server, tmp_path, path, fault, expected):
    _, warehouse = first_run
    copy = tmp_path / "warehouse"
    shutil.copytree(warehouse, copy)
    before = digests(copy)
    live_server.inject(path, fault)
    result = live_refresh(live_server, copy, COMTRADE_API_KEY="", TRADE_API_CACHE_HOURS="0",
                          OECD_INCREMENTAL="false")
    assert not result.success
    failures = [e.step_failure_data.error.message for e in result.all_events if e.is_step_failure]
    assert any(expected in m and "127.0.0.1" in m and "nothing was published" in m for m in failures), \
        "\n".join(failures)
    assert digests(copy) == before
    source = {"/v2": "worldbank", "/pu": "comtrade", "/sd": "oecd"}[path[:3]]
    rejected = [json.loads(p.read_text()) for p in (copy / "landing" / source).glob("*.meta.json")]
    assert any(m.get("rejected") for m in rejected)  # the bad body is kept for inspection
    assert pd.Series([m["size_bytes"] for m in rejected]).gt(0).any()


def test_oecd_tables_and_services_exposure_carry_the_served_values(first_run, live_server):
    result, warehouse = first_run
    served = live_server.oecd.flows["DSD_BATIS@DF_BATIS"].rows.dropna(subset=["OBS_VALUE"])
    batis = read_table(warehouse, "services_trade")
    assert len(batis) == len(served) and set(batis["partner_iso3"]) == {"WLD"}
    assert set(batis["flow"]) == {"export"} and set(batis["year"]) == {2016}
    usa = served[served["REF_AREA"] == "USA"].set_index("SERVICE")["OBS_VALUE"] * 1e6
    published = batis[batis["reporter_iso3"] == "USA"].set_index("ebops2010_code")["value_usd"]
    assert list(published.sort_index().index) == list(usa.sort_index().index)
    assert (published.sort_index().to_numpy() == usa.sort_index().to_numpy()).all()  # exact: repr-written
    # Financial and insurance = EBOPS SF + SG; BaTIS is the source of every row (no WIOD here).
    exposure = read_table(warehouse, "services_exposure")
    assert set(exposure["source"]) == {"batis"}
    fin = exposure.set_index(["iso3", "sector_id"]).loc[("USA", "financial_insurance"), "exports_usd"]
    assert fin == pytest.approx(usa.reindex(["SF", "SG"]).sum(), rel=1e-12)
    tiva = read_table(warehouse, "value_added_trade")
    totals = live_server.oecd.tiva_totals.set_index("iso3")
    share = tiva[tiva["unit"] == "pct"].set_index("iso3")["value"]
    expected = totals.loc[list(share.index), "gvc_backward_pct"].to_numpy()
    assert len(share) == len(totals) and np.allclose(share.to_numpy(), expected, rtol=1e-12, atol=0)
    assert materialization(result, "raw_oecd__batis")["updated_after"] == "none (full refresh)"


def test_an_oecd_refresh_asks_only_for_revisions_and_keeps_the_published_tables(first_run, live_server, tmp_path):
    _, warehouse = first_run
    copy = tmp_path / "warehouse"
    shutil.copytree(warehouse, copy)
    seen = len(live_server.requests)
    result = live_refresh(live_server, copy)
    assert result.success, messages(result)[-3000:]
    asked = [r for r in live_server.requests[seen:] if r["path"].startswith("/sdmx/")]
    assert len(asked) == 4 and all("updatedAfter=" in r["query"] for r in asked)  # BaTIS, TiVA, 2 x STRI
    assert materialization(result, "raw_oecd__tiva")["updated_after"].endswith("Z")
    assert materialization(result, "raw_oecd__stri")["updated_after"].endswith("Z")
    for table in ("services_trade", "value_added_trade", "services_exposure", "services_restrictiveness",
                  "services_restrictiveness_profile"):
        assert read_table(copy, table).equals(read_table(warehouse, table)), table


def test_hs_chapters_from_the_live_api_feed_the_product_metrics(live_server, api_data, tmp_path):
    """COMTRADE_COMMODITIES=AG2: South Africa's 2020 exports by HS chapter (real BACI values
    served in Comtrade's shape, classificationCode H5) land as ``HS17_2`` and feed the product
    metrics that need no world-complete classification; goods totals are always asked for too."""
    warehouse = tmp_path / "warehouse"
    result = live_refresh(live_server, warehouse, COMTRADE_REPORTERS="ZAF", COMTRADE_YEARS="2020",
                          COMTRADE_COMMODITIES="AG2")
    assert result.success, messages(result)[-3000:]
    totals = read_table(warehouse, "bilateral_goods_trade")
    everything = read_table(warehouse, "bilateral_product_trade")  # issue 17: products are their own table
    assert set(totals["product_classification"]) == {"TOTAL"} and set(totals["year"]) == {2020}
    assert set(everything["product_classification"]) == {"HS17_2"} and set(everything["year"]) == {2020}
    goods = everything
    _, chapters = api_data.hs_exports("ZAF", 2020, 2)
    served = chapters[chapters["importer_iso3"].isin(list(api_data.iso_to_m49))]
    deu = goods[goods["partner_iso3"] == "DEU"].set_index("product_code")["value_usd"].sort_index()
    expected = served[served["importer_iso3"] == "DEU"].set_index("code")["value_kusd"].sort_index() * 1000
    assert list(deu.index) == list(expected.index) and np.allclose(deu.to_numpy(), expected.to_numpy(), rtol=1e-12)
    assert goods["value_usd"].sum() == pytest.approx(served["value_kusd"].sum() * 1000, rel=1e-12)
    concentration = read_table(warehouse, "export_product_concentration")
    zaf = concentration[(concentration["iso3"] == "ZAF") & (concentration["year"] == 2020)]
    assert list(zaf["product_classification"]) == ["HS17_2"]
    shares = served.groupby("code")["value_kusd"].sum() / served["value_kusd"].sum()
    assert zaf["product_hhi"].iloc[0] == pytest.approx((shares ** 2).sum(), rel=1e-9)


def test_stri_from_the_api_carries_the_served_values(first_run, live_server):
    """Both STRI dataflows land in services_restrictiveness unchanged: the Digital STRI as the OECD
    answered it (China 2020: 0.3470705), the sectoral rows as served (the intra-EEA file's values
    standing in for DF_STRI_MAIN, tests/oecd_server.py). BaTIS's 2016 meets them in services
    exposure (Greece, Poland and Slovenia are in both): Poland's transport STRI is the mean of its 9
    transport and logistics sectors."""
    result, warehouse = first_run
    stri = read_table(warehouse, "services_restrictiveness")
    assert set(stri["source"]) == {"oecd_api"} and len(stri) == 2730 + 15720
    value = stri.set_index(["iso3", "year", "index_id", "sector_id", "policy_area"])["value"]
    assert value[("CHN", 2020, "digital", "TOTAL", "composite")] == 0.3470704555511475
    served = live_server.oecd.flows["DSD_STRI@DF_STRI_MAIN"].rows
    pol = served[(served["REF_AREA"] == "POL") & (served["TIME_PERIOD"] == "2016") & (served["MEASURE"] == "STRI")]
    for sector, expected in zip(pol["ACTIVITY"], pol["OBS_VALUE"]):
        assert value[("POL", 2016, "sectoral", sector, "composite")] == expected
    transport = pol[pol["ACTIVITY"].isin(["TRAIR", "TRMAR", "TRROF", "TRRAI", "CR", "LSCAR", "LSCUS", "LSFGT", "LSSTG"])]
    exposure = read_table(warehouse, "services_exposure").set_index(["iso3", "year", "sector_id"])
    assert len(transport) == 9 and exposure.loc[("POL", 2016, "transport"), "stri_index"] == "sectoral"
    assert exposure.loc[("POL", 2016, "transport"), "stri"] == pytest.approx(transport["OBS_VALUE"].mean(), rel=1e-12)
    profile = read_table(warehouse, "services_restrictiveness_profile")
    brics = profile[(profile["unit"] == "BRICS") & (profile["index_id"] == "digital")
                    & (profile["policy_area"] == "composite") & (profile["year"] == 2020)]
    digital = stri[(stri["index_id"] == "digital") & (stri["policy_area"] == "composite") & (stri["year"] == 2020)]
    five = digital[digital["iso3"].isin(["BRA", "RUS", "IND", "CHN", "ZAF"])]["value"]
    assert len(five) == 5 and brics["value"].item() == pytest.approx(five.mean(), rel=1e-12)
    assert "plot" in materialization(result, "out__services_restrictiveness")


def test_an_undeclared_stri_measure_stops_at_the_contract(first_run, live_server, tmp_path):
    """A Digital STRI answer with a MEASURE the dataflow does not declare (CLAS1_11 for CLAS1_7)
    reads fine as SDMX-CSV; the contract of services_restrictiveness names the column and the
    count, and the published tables stay as they were."""
    _, warehouse = first_run
    copy = tmp_path / "warehouse"
    shutil.copytree(warehouse, copy)
    before = digests(copy)
    live_server.inject("/sdmx/public/rest/data/OECD.TAD.TPD,DSD_STRI@DF_STRI_DIGITAL", "replace:CLAS1_7:CLAS1_11")
    result = live_refresh(live_server, copy, TRADE_API_CACHE_HOURS="0", OECD_INCREMENTAL="false")
    assert not result.success
    [check] = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert check.asset_key.to_user_string() == "core__services_restrictiveness"
    [finding] = check.metadata["failures"].value
    assert finding["column"] == "policy_area" and finding["failing_rows"] == 455 and "stri.yaml" in finding["fix"]
    assert digests(copy) == before
