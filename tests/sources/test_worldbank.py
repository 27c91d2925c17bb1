"""World Bank v2 parsing on the recorded bytes, and the client against the local server."""
from __future__ import annotations

import math

import pytest

from pipeline.sources.api_parsing import ApiFormatError
from pipeline.sources.http import HttpClient
from pipeline.sources.landing import LandingZone
from pipeline.sources.worldbank import fetch_all_pages, fetch_indicators, parse_page, records_to_frame
from tests.sources.conftest import INDICATORS

BODIES = "worldbank/bodies"


def _body(shared_api_responses, name):
    return (shared_api_responses / BODIES / name).read_bytes()


def test_data_page_with_null_values(shared_api_responses):
    paging, records = parse_page(_body(shared_api_responses, "IndicatorValues_List_0.json"), "u")
    assert paging == {"page": 1, "pages": 323, "per_page": 50, "total": 16104}
    frame = records_to_frame(records, "u", {})
    arb_2020 = frame[(frame.iso3 == "ARB") & (frame.year == "2020")]
    assert math.isnan(arb_2020["value"].iloc[0])  # null kept as missing, not zero
    assert frame["value"].notna().sum() == 49


def test_paging_fields_sent_as_strings(shared_api_responses):
    paging, records = parse_page(_body(shared_api_responses, "Countries_List_0.json"), "u")
    assert paging == {"page": 1, "pages": 149, "per_page": 2, "total": 297}
    assert [r["id"] for r in records] == ["ABW", "AFG"]


@pytest.mark.parametrize("name", ["IndicatorValues_List_3.json", "Countries_Get_1.json"])
def test_error_returned_with_status_200_is_raised(shared_api_responses, name):
    with pytest.raises(ApiFormatError, match="refused the request .*120"):
        parse_page(_body(shared_api_responses, name), "https://api.worldbank.org/v2/x")


def test_html_error_page_with_bom_is_named(shared_api_responses):
    body = _body(shared_api_responses, "IndicatorValues_ListBySourceID_3.xml")
    assert body.startswith(b"\xef\xbb\xbf")
    with pytest.raises(ApiFormatError, match="HTML/XML page instead of"):
        parse_page(body, "https://api.worldbank.org/v2/x")


def test_every_recorded_body_parses_or_fails_by_name(shared_api_responses):
    for path in sorted((shared_api_responses / BODIES).glob("*")):
        if path.suffix not in (".json", ".xml") or path.name.endswith(".meta.json"):
            continue
        try:
            paging, records = parse_page(path.read_bytes(), path.name)
        except ApiFormatError as exc:
            assert path.name in str(exc)
        else:
            assert paging["total"] >= len(records)


def test_all_pages_fetched_values_equal_the_source(api_server, api_data, tmp_path):
    client = HttpClient("worldbank", api_server.url + "/v2", LandingZone(tmp_path, "worldbank"))
    records = fetch_all_pages(client, "country/all/indicator/NY.GDP.MKTP.CD", {"per_page": 1000})
    assert client.stats.requests == math.ceil(len(records) / 1000) > 10
    frame = records_to_frame(records, "u", {}).dropna(subset=["value"])
    source = api_data.wdi[api_data.wdi.indicator == "NY.GDP.MKTP.CD"]
    merged = frame.assign(year=frame.year.astype(int)).merge(
        source, left_on=["iso3", "year"], right_on=["country_code", "year"])
    assert len(merged) == len(frame) == len(source)
    assert (merged["value_x"] == merged["value_y"]).all()


def test_aggregates_come_from_the_api_metadata(api_server, tmp_path):
    client = HttpClient("worldbank", api_server.url + "/v2", LandingZone(tmp_path, "worldbank"))
    frame = fetch_indicators(client, INDICATORS)
    flags = frame.drop_duplicates("iso3").set_index("iso3")["is_aggregate"]
    assert flags["WLD"] and flags["HIC"] and not flags["KEN"] and not flags["USA"]


def test_a_lost_page_is_detected(api_server, tmp_path, monkeypatch):
    import pipeline.sources.worldbank as wb

    real = wb.parse_page

    def drop_second_page(body, url):
        paging, rows = real(body, url)
        return paging, ([] if paging["page"] == 2 else rows)

    monkeypatch.setattr(wb, "parse_page", drop_second_page)
    client = HttpClient("worldbank", api_server.url + "/v2", LandingZone(tmp_path, "worldbank"))
    with pytest.raises(ApiFormatError, match="announced"):
        fetch_all_pages(client, "country/all/indicator/NY.GDP.MKTP.CD", {"per_page": 1000})


@pytest.mark.parametrize(("fault", "message"), [
    ("truncated", "does not parse"), ("html200", "HTML/XML page"), ("empty", "empty body"),
    ("rename", "lacks field"),
])
def test_bad_answers_are_named_and_kept(api_server, tmp_path, fault, message):
    api_server.inject("/v2/country/all/indicator", fault)
    landing = LandingZone(tmp_path, "worldbank")
    client = HttpClient("worldbank", api_server.url + "/v2", landing)
    with pytest.raises(ApiFormatError, match=message) as caught:
        frame = records_to_frame(fetch_all_pages(client, "country/all/indicator/NE.IMP.GNFS.ZS", {"per_page": 20000}), "u", {})
    assert "127.0.0.1" in str(caught.value) or fault == "rename"
    kept = landing.entries()
    assert kept, "the raw response must be kept"
    if fault != "rename":
        assert kept[0]["rejected"]  # kept for inspection, never served from the cache again


def test_empty_result_is_an_empty_frame(api_server, tmp_path):
    api_server.inject("/v2/country/all/indicator", "empty_result")
    client = HttpClient("worldbank", api_server.url + "/v2", LandingZone(tmp_path, "worldbank"))
    records = fetch_all_pages(client, "country/all/indicator/NE.IMP.GNFS.ZS", {"per_page": 20000})
    assert records == [] and records_to_frame(records, "u", {}).empty
