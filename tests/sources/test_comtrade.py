"""Comtrade v1 parsing on the recorded bytes; the client on the local server; the key stays secret."""
from __future__ import annotations

import pytest

from pipeline.sources.api_parsing import ApiFormatError
from pipeline.sources.comtrade import ComtradeClient, parse_data, parse_reference, records_to_frame
from pipeline.sources.http import HttpClient, HttpError
from pipeline.sources.landing import LandingZone
from tests.sources.conftest import API_KEY

DIR = "comtrade"


def _body(shared_api_responses, fragment):
    [path] = [p for p in (shared_api_responses / DIR).iterdir()
              if fragment in p.name and not p.name.endswith(".meta.json")]
    return path.read_bytes()


def test_recorded_records_map_to_canonical_rows(shared_api_responses):
    count, records = parse_data(_body(shared_api_responses, "TOTAL__200_count4__2024-11-15"), "u")
    codes = parse_reference(_body(shared_api_responses, "Reporters.json"), "u", "reporterCode", "reporterCodeIsoAlpha3")
    frame = records_to_frame(records, {**codes, 0: "WLD"})
    assert count == 4 and set(frame["reporter_iso3"]) == {"CHN"}
    assert len(frame) == 4 and set(frame["flow"]) <= {"import", "export"}
    arg = frame[(frame["partner_iso3"] == "ARG") & (frame["flow"] == "import")]
    assert arg["value_usd"].iloc[0] == pytest.approx(6804128143.0)


def test_recorded_empty_answer_is_empty(shared_api_responses):
    count, records = parse_data(_body(shared_api_responses, "cmd200__200_EMPTY_count0__2024-11-15"), "u")
    assert count == 0 and records == []


@pytest.mark.parametrize("fragment", ["invalid_subscription_key", "missing_subscription_key"])
def test_recorded_401_answers_are_errors(shared_api_responses, fragment):
    with pytest.raises(ApiFormatError, match="401"):
        parse_data(_body(shared_api_responses, fragment), "u")


def _client(server, tmp_path, keyed: bool, key: str | None = None):
    headers = {"Ocp-Apim-Subscription-Key": key} if key else {}
    http = HttpClient("comtrade", server.url, LandingZone(tmp_path, "comtrade"), secrets=(key or "",),
                      headers=headers, sleep=lambda s: None)
    return ComtradeClient(http, keyed=keyed)


def test_values_equal_the_source_panel(api_server, api_data, tmp_path):
    frame = _client(api_server, tmp_path, keyed=False).fetch_reporters(["KEN", "DEU"], [2008])
    source = api_data.trade[(api_data.trade.exp.isin(["KEN", "DEU"])) & (api_data.trade.time == 2008)]
    merged = frame.merge(source, left_on=["reporter_iso3", "partner_iso3"], right_on=["exp", "imp"])
    assert len(merged) > 300 and (merged["value_usd"] == merged["export"]).all()
    assert set(frame["flow"]) == {"export"}


def test_a_capped_preview_answer_is_never_taken_as_complete(api_server, tmp_path):
    api_server.inject("/public/v1/preview", "capped")
    with pytest.raises(ApiFormatError, match="cap of 500.*incomplete"):
        _client(api_server, tmp_path, keyed=False).fetch_reporters(["KEN"], [2008])


def test_a_renamed_field_is_named(api_server, tmp_path):
    api_server.inject("/public/v1/preview", "rename")
    with pytest.raises(ApiFormatError, match="primaryValue"):
        _client(api_server, tmp_path, keyed=False).fetch_reporters(["KEN"], [2008])


def test_the_api_key_never_leaks(api_server, tmp_path, caplog):
    client = _client(api_server, tmp_path, keyed=True, key=API_KEY)
    frame = client.fetch_reporters(["KEN"], [2008])
    assert len(frame) > 100
    assert all(r["headers"].get("Ocp-Apim-Subscription-Key") == API_KEY
               for r in api_server.requests if r["path"].startswith("/data/"))
    wrong = _client(api_server, tmp_path / "wrong", keyed=True, key="wrong-" + API_KEY)
    with pytest.raises(HttpError) as caught:
        wrong.fetch_reporters(["KEN"], [2012])
    assert "401" in str(caught.value) and API_KEY not in str(caught.value)
    stored = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    assert API_KEY.encode() not in stored and all(API_KEY not in r["query"] for r in api_server.requests)
    assert API_KEY not in caplog.text


def test_reporter_code_in_force_for_the_year(api_server, tmp_path):
    client = _client(api_server, tmp_path, keyed=False)
    assert client.reporter_code("DEU", 1988) == 280 and client.reporter_code("DEU", 2008) == 276
    with pytest.raises(ApiFormatError, match="no reporter code for XXX"):
        client.reporter_code("XXX", 2008)


def test_hs_detail_maps_to_declared_classifications(shared_api_responses, shared_datasets):
    """Real BACI HS 2017 subheadings of South Africa's 2020 exports, in the recorded Comtrade
    record shape as the keyed API reports them (classificationCode H5), map to ``HS17_6``; the
    same flows summed to chapters map to ``HS17_2``; both are declared for the product metrics."""
    import copy
    import json

    import pandas as pd

    from pipeline.metrics.product_flows import product_classifications_present

    template = json.loads(_body(shared_api_responses, "TOTAL__200_count4__2024-11-15"))["data"][0]
    codes = parse_reference(_body(shared_api_responses, "Reporters.json"), "u", "reporterCode", "reporterCodeIsoAlpha3")
    to_m49 = {iso: m49 for m49, iso in codes.items()}
    baci = pd.read_csv(shared_datasets / "baci_hs6_bilateral_zaf_afg/baci_hs17_2020_v202301_exports_zaf_afg.csv.gz",
                       dtype={"hs6": str})
    zaf = baci[(baci["exporter_iso3"] == "ZAF") & baci["importer_iso3"].isin(["DEU", "CHN", "USA"])]
    chapters = zaf.assign(hs6=zaf["hs6"].str[:2]).groupby(["importer_iso3", "hs6"], as_index=False)["value_kusd"].sum()

    def records(rows):
        out = []
        for r in rows.itertuples(index=False):
            rec = copy.deepcopy(template)
            rec.update({"reporterCode": to_m49["ZAF"], "partnerCode": to_m49[r.importer_iso3], "flowCode": "X",
                        "refYear": 2020, "cmdCode": r.hs6, "classificationCode": "H5",
                        "primaryValue": r.value_kusd * 1000})
            out.append(rec)
        return out

    frame = records_to_frame(records(zaf) + records(chapters), codes)
    assert set(frame["product_classification"]) == {"HS17_6", "HS17_2"}
    assert product_classifications_present(frame) == ["HS17_6", "HS17_2"]  # finest first
    by_class = frame.groupby("product_classification")["value_usd"].sum()
    assert by_class["HS17_6"] == pytest.approx(by_class["HS17_2"], rel=1e-12) == zaf["value_kusd"].sum() * 1000
    with pytest.raises(ApiFormatError, match="'H9'"):
        records_to_frame([{**records(zaf.head(1))[0], "classificationCode": "H9"}], codes)
    with pytest.raises(ApiFormatError, match="'99999'"):
        records_to_frame([{**records(zaf.head(1))[0], "cmdCode": "99999"}], codes)


def test_commodity_groups_are_separate_queries_and_totals_always_come():
    from pipeline.sources.comtrade import commodity_queries

    assert commodity_queries("TOTAL") == ["TOTAL"]
    assert commodity_queries("AG2") == ["TOTAL", "AG2"]
    assert commodity_queries("ag6, 8542,8541,TOTAL") == ["TOTAL", "AG6", "8542,8541"]
    with pytest.raises(ValueError, match="AG9"):
        commodity_queries("AG9")


def test_other_asia_nes_is_taiwan_not_uns(shared_api_responses):
    # A recorded China 2010 record with its partner set to 490 "Other Asia, nes", which the
    # recorded Reporters.json codes as S19 (Taiwan; country_codes.yaml alias S19 -> TWN; the
    # partner list partnerAreas.json, not recorded, gives the same S19 for 490).
    # Old code checked validity before resolving aliases, so Taiwan's trade became UNS.
    import json
    body = _body(shared_api_responses, "TOTAL__200_count4__2024-11-15")
    record = {**json.loads(body)["data"][0], "partnerCode": 490, "partnerISO": "S19", "partnerDesc": "Other Asia, nes"}
    reference = json.loads(_body(shared_api_responses, "Reporters.json"))["results"]
    [other_asia] = [r for r in reference if r["reporterCode"] == 490]
    assert other_asia["reporterCodeIsoAlpha3"] == "S19"  # the ISO field Comtrade gives 490
    codes = parse_reference(_body(shared_api_responses, "Reporters.json"), "u", "reporterCode", "reporterCodeIsoAlpha3")
    frame = records_to_frame([record], {**codes, 0: "WLD", 490: other_asia["reporterCodeIsoAlpha3"]})
    assert list(frame["partner_iso3"]) == ["TWN"]
    assert frame["value_usd"].iloc[0] == pytest.approx(record["primaryValue"])
