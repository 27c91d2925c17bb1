"""OECD STRI: published values equal the files, the policy areas add up, ranks and group averages
recomputed by hand from the file rows, STRI sectors in TiSA-style sectors.

Expected values are read from the two shared files with ``json`` / ``csv`` here, never through
the pipeline's readers; group memberships are written out below from the groups' official lists
(BRICS: brics.br; EU: european-union.europa.eu; OECD: oecd.org ratification list; TiSA: Global
Affairs Canada's 23 parties), not taken from country_groups.yaml.
"""
from __future__ import annotations

import csv
import json

import numpy as np
import pandas as pd
import pytest

from pipeline.contracts import check_frame, load_contract
from pipeline.metrics.restrictiveness import restrictiveness_profile, stri_by_services_sector
from pipeline.reference.groups import load_country_groups, membership_panel
from pipeline.reference.stri import stri_reference
from pipeline.sources.files import FilesSource
from pipeline.transform import canonical

DIGITAL = "oecd_stri_digital_2020_2024/digital_trade_index_all_data.json"
EEA = "oecd_stri_intra_eea_2014_2018/OECD EEA stri.csv"
BRICS = {2020: "BRA RUS IND CHN ZAF", 2024: "BRA RUS IND CHN ZAF EGY ETH IRN ARE"}
EU27 = "AUT BEL BGR HRV CYP CZE DNK EST FIN FRA DEU GRC HUN IRL ITA LVA LTU LUX MLT NLD POL PRT ROU SVK SVN ESP SWE"
TISA_OTHERS = "AUS CAN CHL TWN COL CRI HKG ISL ISR JPN KOR LIE MUS MEX NZL NOR PAK PAN PER CHE TUR USA"
OECD_2022 = ("AUS AUT BEL CAN CHL COL CRI CZE DNK EST FIN FRA DEU GRC HUN ISL IRL ISR ITA JPN KOR LVA LTU LUX MEX "
             "NLD NZL NOR POL PRT SVK SVN ESP SWE CHE TUR GBR USA")
HAND_GROUPS = [  # (group, year, members that year)
    ("BRICS", 2020, BRICS[2020]), ("BRICS", 2023, BRICS[2020]), ("BRICS", 2024, BRICS[2024]),
    ("EU", 2022, EU27), ("TISA", 2022, f"{TISA_OTHERS} {EU27}"), ("TISA", 2024, f"{TISA_OTHERS} {EU27}"),
    ("OECD", 2022, OECD_2022), ("OECD", 2020, OECD_2022.replace("CRI ", "")),  # Costa Rica from 2021-05-25
]


@pytest.fixture(scope="module")
def digital_rows(shared_datasets) -> list[dict]:
    return json.loads((shared_datasets / DIGITAL).read_text())


@pytest.fixture(scope="module")
def eea_rows(shared_datasets) -> list[dict]:
    with (shared_datasets / EEA).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def published(shared_datasets) -> pd.DataFrame:
    """What core__services_restrictiveness publishes from the bulk files (manifest, finalize, contract)."""
    source = FilesSource(shared_datasets)
    frame = canonical.finalize_services_restrictiveness(
        [source.read(i) for i in source.discover("services_restrictiveness")])
    conformed, report = check_frame(frame, load_contract("services_restrictiveness"), "shared STRI files")
    assert report.passed, report.message()
    return conformed.astype({"year": int})


@pytest.fixture(scope="module")
def profile(published) -> pd.DataFrame:
    return restrictiveness_profile(published, membership_panel(load_country_groups(), sorted(published["year"].unique())))


def _digital(digital_rows, year: int, measure: str = "STRI") -> dict[str, float]:
    return {r["REF_AREA"]: float(r["OBS_VALUE"]) for r in digital_rows
            if r["TIME_PERIOD"] == str(year) and r["MEASURE"] == measure}


def test_published_values_are_the_files_values(published, digital_rows, eea_rows):
    areas = {**stri_reference().measures["digital"]}
    got = published.set_index(["iso3", "year", "index_id", "sector_id", "policy_area"])["value"]
    kosovo = {"XKV": "XKX"}  # the OECD's code, published as the World Bank's (country_codes.yaml)
    digital = {(kosovo.get(r["REF_AREA"], r["REF_AREA"]), int(r["TIME_PERIOD"]), "digital", "TOTAL",
                areas[r["MEASURE"]]): float(r["OBS_VALUE"]) for r in digital_rows}
    eea_areas = stri_reference().measures["intra_eea"]
    eea = {(r["COU"], int(r["YEA"]), "intra_eea", r["SECT"], eea_areas[r["CLAS"]]): float(r["EEA_STRI"])
           for r in eea_rows}
    assert len(got) == len(digital) + len(eea) == 2730 + 15720
    assert all(got[k] == v for k, v in {**digital, **eea}.items())  # exactly, every row
    china = got[("CHN", 2020, "digital", "TOTAL", "composite")]
    assert china == 0.3470704555511475 and round(china, 7) == 0.3470705  # OECD: 0.3470705


def test_the_five_policy_areas_add_up_to_the_composite_to_rounding(digital_rows, eea_rows):
    """The additivity holds on both files, not exactly: the Digital STRI misses by at most 3.7e-8
    (the API's values are float32 sums written out as doubles), the intra-EEA file by 1.2e-8 (9 decimals)."""
    def gaps(rows, key, code, value):
        frame = pd.DataFrame({"key": [key(r) for r in rows], "code": [r[code] for r in rows],
                              "value": [float(r[value]) for r in rows]})
        wide = frame.pivot(index="key", columns="code", values="value")
        return (wide.drop(columns="STRI").sum(axis=1) - wide["STRI"]).abs(), wide.shape

    digital, shape = gaps(digital_rows, lambda r: (r["REF_AREA"], r["TIME_PERIOD"]), "MEASURE", "OBS_VALUE")
    assert shape == (455, 6) and 1e-9 < digital.max() <= 3.8e-8
    eea, shape = gaps(eea_rows, lambda r: (r["COU"], r["SECT"], r["YEA"]), "CLAS", "EEA_STRI")
    assert shape == (2620, 6) and 1e-9 < eea.max() <= 1.3e-8


def test_ranks_by_hand(profile, digital_rows):
    for measure, area in (("STRI", "composite"), ("CLAS1_9", "intellectual_property")):  # the latter has ties at 0
        values = _digital(digital_rows, 2022, measure)
        values["XKX"] = values.pop("XKV")
        rows = profile[(profile["unit_type"] == "economy") & (profile["year"] == 2022)
                       & (profile["index_id"] == "digital") & (profile["policy_area"] == area)].set_index("unit")
        assert set(rows.index) == set(values) and (rows["economies_ranked"] == 91).all()
        for iso3, value in values.items():
            assert rows.loc[iso3, "rank_most_restrictive"] == 1 + sum(v > value for v in values.values()), iso3
    zeros = rows[rows["value"] == 0]  # intellectual_property, 2022: ties share the best rank
    assert len(zeros) > 1 and set(zeros["rank_most_restrictive"]) == {1 + int((rows["value"] > 0).sum())}


@pytest.mark.parametrize("group, year, members", HAND_GROUPS)
def test_group_averages_by_hand(profile, digital_rows, group, year, members):
    values = _digital(digital_rows, year)
    covered = [values[m] for m in members.split() if m in values]
    [row] = profile[(profile["unit"] == group) & (profile["year"] == year) & (profile["index_id"] == "digital")
                    & (profile["policy_area"] == "composite")].to_dict("records")
    assert row["value"] == pytest.approx(sum(covered) / len(covered), rel=1e-12)
    assert row["members_covered"] == len(covered) and row["group_members"] == len(members.split())
    assert row["unit_type"] == "group" and pd.isna(row["rank_most_restrictive"])


def test_brics_coverage_of_the_digital_stri(profile):
    """Ethiopia is the only 2024 entrant the Digital STRI covers (not Egypt, Iran, the UAE)."""
    brics = profile[(profile["unit"] == "BRICS") & (profile["index_id"] == "digital")
                    & (profile["policy_area"] == "composite")].set_index("year")
    assert list(brics["members_covered"]) == [5, 5, 5, 5, 6] and brics.loc[2024, "group_members"] == 9


def test_every_stri_sector_has_one_tisa_sector_and_the_files_name(eea_rows):
    names = {r["SECT"]: r["Sector"] for r in eea_rows}
    reference = stri_reference()
    assert reference.sectors == names  # the 22 OECD.Stat sectors, named as the file names them
    assert {r["CLAS"]: r["Classification"] for r in eea_rows}.keys() == reference.measures["intra_eea"].keys()


def _eea_mean(eea_rows, iso3: str, year: int, sectors: str) -> tuple[float, int]:
    values = [float(r["EEA_STRI"]) for r in eea_rows if r["COU"] == iso3 and r["YEA"] == str(year)
              and r["CLAS"] == "STRI" and r["SECT"] in sectors.split()]
    return sum(values) / len(values), len(values)


def test_stri_sectors_average_into_tisa_sectors(published, eea_rows):
    table = stri_by_services_sector(published).set_index(["iso3", "year", "sector_id"])
    transport = "TRAIR TRMAR TRROF TRRAI CR LSCAR LSCUS LSFGT LSSTG"
    for iso3, n in (("DEU", 9), ("AUT", 8)):  # Austria is landlocked: no maritime transport index
        mean, count = _eea_mean(eea_rows, iso3, 2016, transport)
        assert count == n and table.loc[(iso3, 2016, "transport"), "stri"] == pytest.approx(mean, rel=1e-12)
    # Telecom is in the file for 2018 only: computer services alone before.
    assert table.loc[("DEU", 2016, "telecom_computer_information"), "stri"] == \
        pytest.approx(_eea_mean(eea_rows, "DEU", 2016, "CS")[0], rel=1e-12)
    assert table.loc[("DEU", 2018, "telecom_computer_information"), "stri"] == \
        pytest.approx(_eea_mean(eea_rows, "DEU", 2018, "CS TC")[0], rel=1e-12)
    # The Digital STRI (sector TOTAL) has no TiSA-style sector; in the bulk files only intra-EEA is sectoral.
    assert set(table["stri_index"]) == {"intra_eea"} and set(table.index.get_level_values("iso3")) == \
        set(published.loc[published["index_id"] == "intra_eea", "iso3"])
    assert not table.index.get_level_values("sector_id").isin(["travel_tourism", "government"]).any()


def test_the_mfn_index_is_preferred_where_it_covers_the_sector(published):
    """Selection rule only: real DEU 2016 intra-EEA rows, with the air transport row also offered
    as the sectoral (MFN) index; transport then comes from that one sector, named sectoral."""
    deu = published[(published["iso3"] == "DEU") & (published["year"] == 2016)]
    air = deu[(deu["sector_id"] == "TRAIR") & (deu["policy_area"] == "composite")].assign(index_id="sectoral")
    table = stri_by_services_sector(pd.concat([deu, air])).set_index("sector_id")
    assert table.loc["transport", "stri_index"] == "sectoral" and table.loc["transport", "stri"] == air["value"].item()
    assert table.loc["construction", "stri_index"] == "intra_eea"
    assert np.isfinite(table["stri"]).all()
