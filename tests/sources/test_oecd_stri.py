"""The STRI client against the local OECD server: DF_STRI_DIGITAL serves the OECD's own answer in
../shared (every dimension as the API gave it), DF_STRI_MAIN the intra-EEA file's sectoral values
as a stand-in (tests/oecd_server.py). Expected values are read from the files directly.
"""
from __future__ import annotations

import json

import pandas as pd
import pytest

from pipeline.sources.api_parsing import ApiFormatError
from pipeline.sources.landing import LandingZone
from pipeline.sources.oecd import STRI_COLUMNS, fetch_stri
from tests.oecd_server import LAST_UPDATED
from tests.sources.conftest import oecd_test_client as _client


def test_stri_values_equal_the_files(oecd_server, shared_datasets, tmp_path):
    """Both STRI dataflows, one 8-dimension query each; every served value comes back exactly
    (China's 2020 Digital STRI 0.3470705, as the OECD publishes it to 7 digits)."""
    client, _ = _client(oecd_server, tmp_path)
    frame = fetch_stri(client)
    assert list(frame.columns) == STRI_COLUMNS
    paths = [r["path"] for r in oecd_server.requests[-2:]]
    assert paths == ["/sdmx/public/rest/data/OECD.TAD.TPD,DSD_STRI@DF_STRI_DIGITAL,1.0/A.......",
                     "/sdmx/public/rest/data/OECD.TAD.TPD,DSD_STRI@DF_STRI_MAIN,1.0/A......."]
    records = json.loads((shared_datasets / "oecd_stri_digital_2020_2024/digital_trade_index_all_data.json").read_text())
    digital = frame[frame["index_id"] == "digital"].set_index(["iso3", "year", "measure_code"])["value"]
    expected = {(r["REF_AREA"], int(r["TIME_PERIOD"]), r["MEASURE"]): float(r["OBS_VALUE"]) for r in records}
    assert len(digital) == len(expected) == 2730 and set(frame.loc[frame["index_id"] == "digital", "sector_id"]) == {"TOTAL"}
    assert all(digital[k] == v for k, v in expected.items())
    assert digital[("CHN", 2020, "STRI")] == 0.3470704555511475 and round(digital[("CHN", 2020, "STRI")], 7) == 0.3470705
    eea = pd.read_csv(shared_datasets / "oecd_stri_intra_eea_2014_2018/OECD EEA stri.csv")
    sectoral = frame[frame["index_id"] == "sectoral"].set_index(["iso3", "year", "sector_id", "measure_code"])["value"]
    served = eea.set_index(["COU", "YEA", "SECT", "CLAS"])["EEA_STRI"]
    assert len(sectoral) == len(served) == 15720
    assert (sectoral.sort_index().to_numpy() == served.sort_index().to_numpy()).all()
    assert fetch_stri(client, updated_after=LAST_UPDATED).empty  # nothing revised: NoRecordsFound, both flows


def test_stri_bad_answers_are_named(oecd_server, tmp_path):
    oecd_server.inject("/sdmx/public/rest/data/OECD.TAD.TPD,DSD_STRI@DF_STRI_DIGITAL", "rename")
    client, _ = _client(oecd_server, tmp_path)
    with pytest.raises(ApiFormatError, match=r"lacks column\(s\) \['OBS_VALUE'\]") as caught:
        fetch_stri(client)
    assert "DSD_STRI@DF_STRI_DIGITAL" in str(caught.value) and LandingZone(tmp_path, "oecd").entries()[0]["rejected"]


def test_stri_transient_faults_end_in_the_same_answer(oecd_server, tmp_path):
    oecd_server.inject("/sdmx/public/rest/data/OECD.TAD.TPD,DSD_STRI@DF_STRI_MAIN", "429", "503")
    client, delays = _client(oecd_server, tmp_path, per_minute=None)
    faulty = fetch_stri(client)
    clean, _ = _client(oecd_server, tmp_path / "again", per_minute=None)
    pd.testing.assert_frame_equal(faulty, fetch_stri(clean))
    assert client.stats.retries == 2 and delays[0] == 1.0  # the server's Retry-After, then a backoff
