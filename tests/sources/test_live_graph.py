"""Tier 3 for the live sources: the whole graph in live mode against the local API server.

Only the base URLs change: the real clients, raw assets, landing zone, contract gate and IO
manager run as in production, against a server answering in the World Bank and Comtrade
formats with the real values of ``../shared/datasets``. Faults injected on that server end
either in a correct result or in a clear error with nothing bad published and the bodies that
did arrive kept; the API key never appears anywhere the pipeline writes.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from assets.definitions import defs
from assets.selection import refresh_selection, selected_keys
from pipeline.warehouse import read_table
from tests.env import environment
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
    )
    settings.update(overrides)
    selection, _ = refresh_selection(settings)  # what `make run` runs with these settings
    with environment(**settings):
        return defs.resolve_job_def("refresh").execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), raise_on_error=False,
            asset_selection=selected_keys(defs, selection))


def digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*.parquet"))}


def materialization(result, key: str) -> dict:
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == key]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def messages(result) -> str:
    """Everything the run told its event log: messages, failures, metadata."""
    return "\n".join(str(e) for e in result.all_events)


@pytest.fixture(scope="module")
def live_server(api_data):
    with serving(api_data) as server:
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
    assert reasons == [] and hybrid == dg.AssetSelection.all()


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
    result = live_refresh(live_server, copy)
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
])
def test_bad_answers_fail_by_name_and_publish_nothing(first_run, live_server, tmp_path, path, fault, expected):
    _, warehouse = first_run
    copy = tmp_path / "warehouse"
    shutil.copytree(warehouse, copy)
    before = digests(copy)
    live_server.inject(path, fault)
    result = live_refresh(live_server, copy, COMTRADE_API_KEY="", TRADE_API_CACHE_HOURS="0")
    assert not result.success
    failures = [e.step_failure_data.error.message for e in result.all_events if e.is_step_failure]
    assert any(expected in m and "127.0.0.1" in m and "nothing was published" in m for m in failures), \
        "\n".join(failures)
    assert digests(copy) == before
    source = "worldbank" if path.startswith("/v2") else "comtrade"
    rejected = [json.loads(p.read_text()) for p in (copy / "landing" / source).glob("*.meta.json")]
    assert any(m.get("rejected") for m in rejected)  # the bad body is kept for inspection
    assert pd.Series([m["size_bytes"] for m in rejected]).gt(0).any()
