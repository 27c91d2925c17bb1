"""OECD SDMX-CSV parsing on the recorded bytes, and the OECD client against the local server.

STRI's client: tests/sources/test_oecd_stri.py.
"""
from __future__ import annotations

import copy
import time

import numpy as np
import pandas as pd
import pytest

from pipeline.sources.api_parsing import ApiFormatError
from pipeline.sources.http import HttpError
from pipeline.sources.landing import LandingZone
from pipeline.sources.oecd import (BATIS_COLUMNS, TIVA_COLUMNS, build_key, fetch_batis,
                                   fetch_dataflow, fetch_tiva, load_dataflows, make_client)
from pipeline.sources.sdmx_csv import parse_sdmx_csv, split_code
from tests.oecd_server import EBOPS_2002_TO_2010, LAST_UPDATED, iso3_of
from tests.sources.conftest import oecd_test_client as _client

RECORDED = "oecd/openbb__sdmx.oecd.org_data_DSD_BOP@DF_BOP_GBR_2020-2021__sdmx-csv2.0_labels-both__2026-03-09.csv"
URL = "https://sdmx.oecd.org/public/rest/data/OECD.SDD.TPS,DSD_BOP@DF_BOP,1.0/GBR.....A.USD_EXC.Y"
COMPONENTS = ["STRUCTURE", "STRUCTURE_ID", "ACTION", "REF_AREA", "COUNTERPART_AREA", "MEASURE", "ACCOUNTING_ENTRY",
              "FS_ENTRY", "FREQ", "UNIT_MEASURE", "ADJUSTMENT", "TIME_PERIOD", "OBS_VALUE", "OBS_STATUS",
              "UNIT_MULT", "CURRENCY", "DECIMALS"]


@pytest.fixture(scope="module")
def recorded(shared_api_responses) -> bytes:
    return (shared_api_responses / RECORDED).read_bytes()


def test_recorded_answer_parses_to_70_observations(recorded):
    assert recorded.count(b"\r\n") == 71 and recorded.endswith(b"\r\n")  # CRLF, header + 70 lines
    frame = parse_sdmx_csv(recorded, URL)
    assert len(frame) == 70
    assert [c for c in frame.columns if not c.endswith("_label") and c != "value"] == COMPONENTS
    assert set(frame["REF_AREA"]) == {"GBR"} and set(frame["REF_AREA_label"]) == {"United Kingdom"}
    # a quoted label holding a comma is one cell, split from its code
    assert "US dollars, exchange rate converted" in set(frame["UNIT_MEASURE_label"])
    assert frame["OBS_VALUE"].notna().all()


def test_not_applicable_and_unit_multiplier(recorded):
    frame = parse_sdmx_csv(recorded, URL)
    usd = frame["UNIT_MEASURE"] == "USD_EXC"
    assert frame.loc[usd, "CURRENCY"].isna().all()          # "_Z: Not applicable" -> missing
    assert (frame.loc[frame["UNIT_MEASURE"] == "XDC", "CURRENCY"] == "GBP").all()
    millions = frame["UNIT_MULT"] == "6"
    np.testing.assert_array_equal(frame.loc[millions, "value"], frame.loc[millions, "OBS_VALUE"] * 1e6)
    pct = frame["UNIT_MULT"] == "0"
    assert pct.sum() == 10 and (frame.loc[pct, "value"] == frame.loc[pct, "OBS_VALUE"]).all()


def test_every_balance_is_revenue_minus_expenditure(recorded):
    """The README's identity B = C - D, for every measure, unit and year that has all three:
    exact in national currency (integers), and to the 7 significant digits the OECD
    publishes in USD (1025694 - 1099824 = -74130 against a published -74129.38)."""
    frame = parse_sdmx_csv(recorded, URL)
    wide = frame.pivot_table(index=["MEASURE", "UNIT_MEASURE", "TIME_PERIOD"], columns="ACCOUNTING_ENTRY",
                             values="value").dropna()
    assert len(wide) == 20
    gap = (wide["B"] - (wide["C"] - wide["D"])).abs()
    xdc = wide.index.get_level_values("UNIT_MEASURE") == "XDC"
    assert (gap[xdc] == 0).all()
    assert (gap[~xdc] <= 1e-6 * wide.loc[~xdc, ["C", "D"]].abs().max(axis=1)).all()


def test_line_endings_do_not_matter(recorded):
    lf = parse_sdmx_csv(recorded.replace(b"\r\n", b"\n"), URL)
    pd.testing.assert_frame_equal(lf, parse_sdmx_csv(recorded, URL))


def test_empty_value_is_kept_missing(recorded):
    lines = recorded.split(b"\r\n")
    lines[1] = lines[1].replace(b",2021,45898,", b",2021,,")
    frame = parse_sdmx_csv(b"\r\n".join(lines), URL)
    assert len(frame) == 70 and frame["value"].isna().sum() == 1 and np.isnan(frame["OBS_VALUE"][0])


def test_header_only_is_an_empty_result(recorded):
    header = recorded.split(b"\r\n")[0] + b"\r\n"
    assert parse_sdmx_csv(header, URL).empty


@pytest.mark.parametrize(("variant", "message"), [
    (lambda b: b[: len(b) // 2], "ends mid-line"),
    (lambda b: b[: b.index(b"USD_EXC: US dollars, exch") + 20] + b"\r\n", "CSV does not parse"),
    (lambda b: b.replace(b",A: Normal value,6: Millions,GBP: Pound sterling,2: Two\r\n",
                         b",A: Normal value,6: Millions,GBP: Pound sterling\r\n", 1), "line 2 has 16 fields"),
    (lambda b: b"<!DOCTYPE html><html><head><title>Service Unavailable</title></head></html>", "HTML/XML page"),
    (lambda b: b"", "empty body"),
    (lambda b: b"\r\n  \r\n", "empty body"),
    (lambda b: b.replace(b"OBS_VALUE", b"OBS_VAL", 1), r"lacks column\(s\) \['OBS_VALUE'\]"),
    (lambda b: b.replace(b",2021,45898,", b",2021,n/a,", 1), "OBS_VALUE holds non-numbers"),
])
def test_damaged_answers_are_named(recorded, variant, message):
    with pytest.raises(ApiFormatError, match=message) as caught:
        parse_sdmx_csv(variant(recorded), URL)
    assert URL in str(caught.value)


def test_split_code():
    assert split_code("USD_EXC: US dollars, exchange rate converted") == ("USD_EXC", "US dollars, exchange rate converted")
    assert split_code("2021") == ("2021", "") and split_code("OBS_VALUE") == ("OBS_VALUE", "")


def test_configuration_keys():
    spec = load_dataflows()
    flows = spec["dataflows"]
    assert set(flows) == {"tiva", "batis", "stri_digital", "stri_main"}
    assert build_key(flows["tiva"]) == "EXGR_FVA+FEXDVAP.._T...A"
    assert build_key(flows["batis"], {"REF_AREA": ["GBR", "FRA"]}).startswith("GBR+FRA..X+M.S.SA+SB")
    # FREQ.REF_AREA.MEASURE.ACTIVITY.METHODOLOGY.STRI_TYPE.UNIT_MEASURE.COUNTERPART_AREA, as in the
    # query that fetched the shared Digital STRI file (its MANIFEST)
    assert build_key(flows["stri_digital"]) == build_key(flows["stri_main"]) == "A......."
    with pytest.raises(ValueError, match="no dimension"):
        build_key(flows["tiva"], {"PARTNER": "W"})
    assert all(e["licence"] and e["doc_url"].startswith("https://") for e in flows.values())


def _batis_source(shared_datasets) -> pd.Series:
    source = pd.read_csv(shared_datasets / "services_trade/un_comtrade_ebops2002_services_exports_2016.csv")
    source["iso3"] = source["country"].map(iso3_of)
    source["ebops"] = source["ebops2002_code"].map(EBOPS_2002_TO_2010)
    return source.groupby(["iso3", "ebops"])["export_value_usd"].sum()


def test_batis_values_equal_the_source(oecd_server, shared_datasets, tmp_path):
    client, delays = _client(oecd_server, tmp_path)
    frame = fetch_batis(client, years=(2016, 2016))
    assert list(frame.columns) == BATIS_COLUMNS
    assert set(frame["flow"]) == {"export"} and set(frame["partner_iso3"]) == {"WLD"}
    assert (frame["year"] == 2016).all()
    source = _batis_source(shared_datasets)
    served = frame.dropna(subset=["value_usd"]).set_index(["reporter_iso3", "ebops2010_code"])["value_usd"]
    assert len(served) == len(source) > 600 and served.index.is_unique
    np.testing.assert_allclose(served.sort_index(), source.sort_index(), rtol=1e-12)
    assert frame["value_usd"].isna().sum() == 80 * 10 - len(source)  # unreported: kept as missing
    sent = oecd_server.requests[-1]
    assert sent["path"].endswith("/data/OECD.SDD.TPS,DSD_BATIS@DF_BATIS,1.0/..X+M.S.SA+SB+SC+SD+SE+SF+SG+SH+SI+SJ+SK+SL.A.USD_EXC.B")
    assert "dimensionAtObservation=AllDimensions" in sent["query"] and "startPeriod=2016" in sent["query"]
    assert sent["headers"]["Accept"] == "application/vnd.sdmx.data+csv; version=2.0.0; labels=both"
    assert client.per_minute == 20 and delays == []


def test_tiva_values_equal_the_value_chain_code(oecd_server, oecd_data, tmp_path):
    client, _ = _client(oecd_server, tmp_path)
    frame = fetch_tiva(client, reporters=["DEU", "CHN", "KOR"], partners=["W"], indicators=["EXGR_FVA"])
    assert list(frame.columns) == TIVA_COLUMNS and len(frame) == 6
    assert set(frame["partner_iso3"]) == {"WLD"} and set(frame["unit"]) == {"pct", "usd"}
    source = oecd_data.tiva_totals.set_index("iso3")  # pipeline.metrics.value_chains on WIOD 2011
    pct = frame[frame.unit == "pct"].set_index("iso3")["value"]
    usd = frame[frame.unit == "usd"].set_index("iso3")["value"]
    np.testing.assert_allclose(pct, source.loc[pct.index, "gvc_backward_pct"], rtol=1e-15)
    np.testing.assert_allclose(usd, source.loc[usd.index, "fva_usd"], rtol=1e-12)  # USD million x 10**6
    assert pct.between(0, 100).all() and (frame["year"] == 2011).all()


def test_no_records_found_is_an_empty_result(oecd_server, tmp_path):
    client, _ = _client(oecd_server, tmp_path)
    frame = fetch_batis(client, reporters=["ATA"])  # nothing matches: OECD's 404 NoRecordsFound
    assert frame.empty and list(frame.columns) == BATIS_COLUMNS
    assert LandingZone(tmp_path, "oecd").entries()[0]["status"] == 404


def test_updated_after_is_sent_and_filters(oecd_server, tmp_path):
    client, _ = _client(oecd_server, tmp_path)
    assert not fetch_batis(client, reporters=["USA"], updated_after="2024-06-01T12:00:00+02:00").empty
    assert "updatedAfter=2024-06-01T10:00:00Z" in oecd_server.requests[-1]["query"]  # UTC, no '+'
    assert fetch_batis(client, reporters=["USA"], updated_after="2026-01-01").empty  # nothing newer


def test_a_second_run_fetches_nothing(oecd_server, tmp_path):
    client, _ = _client(oecd_server, tmp_path)
    first = fetch_batis(client, reporters=["USA", "JPN"])
    seen = len(oecd_server.requests)
    again, _ = _client(oecd_server, tmp_path)
    pd.testing.assert_frame_equal(fetch_batis(again, reporters=["USA", "JPN"]), first)
    assert len(oecd_server.requests) == seen and again.stats.cache_hits == 1 and again.stats.requests == 0


def test_rate_limit_spaces_queries(oecd_server, tmp_path):
    client, delays = _client(oecd_server, tmp_path)
    start = time.monotonic()
    fetch_batis(client, reporters=["USA"])
    fetch_batis(client, reporters=["JPN"])
    elapsed = time.monotonic() - start
    # 60 s / 20 queries: the second query waits out what remains of 3 s after the first
    # (whatever the machine's load made the first fetch take).
    assert len(delays) == 1 and 3.0 - elapsed - 1e-6 <= delays[0] <= 3.0


@pytest.mark.parametrize("faults", [("429",), ("500", "503"), ("slow",)])
def test_transient_faults_end_in_the_right_answer(oecd_server, tmp_path, faults):
    oecd_server.slow_seconds = 4.0
    oecd_server.inject("/sdmx/", *faults)
    client, delays = _client(oecd_server, tmp_path, timeout=(2.0, 1.5), per_minute=None)
    frame = fetch_batis(client, reporters=["USA"])
    # every injected fault was retried (a loaded machine may time out a further answer)
    assert len(frame) == 10 and client.stats.retries >= len(faults)
    if faults == ("429",):
        assert delays == [1.0]  # the server's Retry-After


@pytest.mark.parametrize(("fault", "message"), [
    ("truncated", "ends mid-line"), ("html200", "HTML/XML page"), ("empty", "empty body"),
    ("rename", "lacks column"),
])
def test_bad_answers_are_named_and_kept(oecd_server, tmp_path, fault, message):
    oecd_server.inject("/sdmx/", fault)
    client, _ = _client(oecd_server, tmp_path)
    with pytest.raises(ApiFormatError, match=message) as caught:
        fetch_batis(client, reporters=["USA"])
    assert "127.0.0.1" in str(caught.value) and "DSD_BATIS@DF_BATIS" in str(caught.value)
    kept = LandingZone(tmp_path, "oecd").entries()
    assert len(kept) == 1 and kept[0]["rejected"]  # body kept for inspection, never reused
    assert list((tmp_path / "landing/oecd").glob("*.body"))
    assert len(fetch_batis(client, reporters=["USA"])) == 10  # the next run fetches again


def test_persistent_failure_is_an_http_error(oecd_server, tmp_path):
    oecd_server.inject("/sdmx/", "503", "503", "503")
    client, _ = _client(oecd_server, tmp_path, max_retries=2, per_minute=None)
    with pytest.raises(HttpError, match="failed after 3 attempts"):
        fetch_batis(client, reporters=["USA"])
    kept = LandingZone(tmp_path, "oecd").entries()  # the last answer is kept, marked rejected
    assert [(e["status"], bool(e["rejected"])) for e in kept] == [(503, True)]
    assert len(fetch_batis(client, reporters=["USA"])) == 10  # and never served from the cache


def test_default_client_uses_each_dataflow_root(tmp_path):
    client = make_client(landing=LandingZone(tmp_path, "oecd"))
    assert client.base_url == "https://sdmx.oecd.org/public/rest" and client.per_minute == 20
    from pipeline.sources.oecd import _root_for
    spec = load_dataflows()
    assert _root_for(client, spec["dataflows"]["tiva"], spec) == "https://sdmx.oecd.org/sti-public/rest"
    assert _root_for(client, spec["dataflows"]["batis"], spec) == "https://sdmx.oecd.org/public/rest"
    mirror = make_client("http://mirror.example/rest")
    assert _root_for(mirror, spec["dataflows"]["tiva"], spec) == "http://mirror.example/rest"


def test_raw_frame_keeps_codes_and_labels(oecd_server, tmp_path):
    client, _ = _client(oecd_server, tmp_path)
    raw = fetch_dataflow(client, "batis", {"REF_AREA": "KOR"})
    assert set(raw["REF_AREA_label"]) == {"Korea, Republic of"}  # a quoted label with a comma
    assert raw["CURRENCY"].isna().all()  # "_Z: Not applicable"
    assert set(raw["SERVICE_label"]) >= {"Telecommunications, computer, and information services"}


def test_codes_missing_from_the_configuration_are_errors(oecd_server, tmp_path):
    client, _ = _client(oecd_server, tmp_path)
    spec = copy.deepcopy(load_dataflows())
    del spec["dataflows"]["tiva"]["units"]["USD"]
    with pytest.raises(ApiFormatError, match=r"code\(s\) \['USD'\] \(unit_code\) are not in 'units'"):
        fetch_tiva(client, reporters=["DEU"], spec=spec)
    spec["dataflows"]["batis"]["measure_filter"]["METHODOLOGY"] = ["X"]
    with pytest.raises(ApiFormatError, match="no METHODOLOGY column to filter on"):
        fetch_batis(client, reporters=["USA"], spec=spec)


def test_an_incremental_answer_replaces_only_its_observations(oecd_server, tmp_path):
    from pipeline.sources.live import OECD_KEYS, merge_update

    client = make_client(oecd_server.url + "/sdmx/public/rest", LandingZone(tmp_path, "oecd"))
    published = fetch_batis(client)
    revised = published[published["reporter_iso3"] == "USA"].dropna(subset=["value_usd"])
    revised = revised.assign(value_usd=revised["value_usd"] + 1.0)  # a revision of the US rows
    merged = merge_update(published, revised, OECD_KEYS["services_trade"])
    keys = OECD_KEYS["services_trade"]
    assert len(merged) == len(published) and not merged.duplicated(keys).any()
    both = published.merge(merged, on=keys, suffixes=("_old", "_new"))
    us = both["reporter_iso3"] == "USA"
    changed = both["value_usd_new"].ne(both["value_usd_old"]) & both["value_usd_old"].notna()
    assert changed[us & both["value_usd_old"].notna()].all() and not changed[~us].any()
    assert merge_update(None, revised, keys).equals(revised.reset_index(drop=True))
    assert merge_update(published, revised.iloc[:0], keys).equals(published)


def test_an_incremental_answer_without_revisions_keeps_the_table_and_warns_of_nothing(oecd_server, tmp_path):
    """The usual re-run: nothing revised since (OECD's 404 NoRecordsFound, an empty frame with
    untyped columns). Laying it over the table used to draw pandas' FutureWarning about empty
    entries in every live `make run` (issue 16); now the published table comes back unchanged."""
    import warnings

    from pipeline.sources.live import OECD_KEYS, merge_update

    client = make_client(oecd_server.url + "/sdmx/public/rest", LandingZone(tmp_path, "oecd"))
    published = fetch_batis(client)
    nothing = fetch_batis(client, updated_after=LAST_UPDATED)
    assert nothing.empty and list(nothing.columns) == list(published.columns)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        merged = merge_update(published, nothing, OECD_KEYS["services_trade"])
    assert merged.equals(published)
