"""Country groups: dated spells, membership by year (1 July rule), user files, bad files."""
from __future__ import annotations

import time

import pandas as pd
import pytest

from pipeline.reference.codes import country_codes
from pipeline.reference.groups import (
    GROUPS_COLUMNS,
    GroupDefinitionError,
    load_country_groups,
    members_in_year,
    membership_panel,
)


@pytest.fixture(scope="module")
def groups() -> pd.DataFrame:
    return load_country_groups()


# Composite reporting codes (BLX ...) are members through their constituents (issue 12 part 1),
# but they are not member states: counts of members leave them out.
COMPOSITES = {"BLX", "SCG", "CSK", "YUG", "SUN", "SVR", "SVU", "ANT", "SCU"}


def members(groups: pd.DataFrame, group_id: str, year: int) -> set[str]:
    m = members_in_year(groups, year)
    return set(m.loc[m["group_id"] == group_id, "iso3"]) - COMPOSITES


@pytest.mark.parametrize(
    ("group_id", "iso3", "year", "expected"),
    [
        ("EU", "GBR", 2019, True),
        ("EU", "GBR", 2020, False),  # last day 2020-01-31, before 1 July
        ("EU", "GBR", 2021, False),
        ("TTIP", "GBR", 2019, True),
        ("TTIP", "GBR", 2020, False),  # leaves TTIP with the EU
        ("TTIP", "GBR", 2021, False),
        ("TTIP", "GBR", 2014, True),
        ("TTIP", "GBR", 2013, False),  # talks opened 2013-07-08, after 1 July 2013
        ("TTIP", "GBR", 2012, False),
        ("TTIP", "USA", 2014, True),
        ("TTIP", "USA", 2013, False),
        ("TTIP", "HRV", 2014, True),  # EU member since 2013-07-01, included via EU
        ("BRICS", "EGY", 2024, True),
        ("BRICS", "EGY", 2023, False),
        ("BRICS", "ZAF", 2011, True),
        ("BRICS", "ZAF", 2010, False),  # invited 2010-12-24
        ("BRICS", "IDN", 2025, True),
        ("BRICS", "IDN", 2024, False),
        ("BRICS", "BRA", 2006, True),  # dated 2006-01-01 so that 2006 counts
        ("BRICS", "BRA", 2007, True),
        ("BRICS", "BRA", 2005, False),
        ("BRICS", "SAU", 2025, False),  # invited, never confirmed
        ("EU", "HRV", 2013, True),  # joined 2013-07-01 = 1 July
        ("EU", "HRV", 2012, False),
        ("EU", "DEU", 1960, True),
        ("OECD", "CRI", 2020, False),
        ("OECD", "CRI", 2021, True),
        ("OECD", "ITA", 1962, True),
        ("TISA", "FRA", 2016, True),  # the EU through its member states
        ("TISA", "FRA", 2012, False),
        ("TISA", "GBR", 2020, False),
        ("TISA", "TWN", 2016, True),
        ("TISA", "URY", 2015, True),  # took part early 2015, left 2015-09-07
        ("TISA", "URY", 2016, False),
        ("G7", "RUS", 2000, False),  # G8 years are not G7 membership
        ("G7", "CAN", 1976, True),  # from 1976-06-27, before 1 July
        ("G7", "CAN", 1975, False),
        ("G7", "USA", 1975, False),  # first summit 1975-11-15, after 1 July
        ("G7", "USA", 1976, True),
    ],
)
def test_membership_for_a_year(groups, group_id, iso3, year, expected):
    assert (iso3 in members(groups, group_id, year)) is expected


def test_group_sizes(groups):
    assert len(members(groups, "EU", 2019)) == 28
    assert len(members(groups, "EU", 2021)) == 27
    assert len(members(groups, "TTIP", 2019)) == 29  # USA + EU28
    assert len(members(groups, "TTIP", 2021)) == 28  # USA + EU27
    assert len(members(groups, "OECD", 2024)) == 38
    assert len(members(groups, "OECD", 2020)) == 37  # Costa Rica joined 2021-05-25
    assert len(members(groups, "G7", 2024)) == 7
    assert len(members(groups, "BRICS", 2024)) == 9
    assert len(members(groups, "BRICS", 2025)) == 10
    assert members(groups, "TTIP", 2013) == set()


def test_tisa_2016_is_22_parties_plus_the_eu28(groups):
    # 23 parties when talks paused (Nov 2016), the EU one of them. Expanding the EU into its 28
    # member states gives 22 + 28 = 50 countries; Uruguay (left 2015-09-07) is not among them.
    tisa = members(groups, "TISA", 2016)
    eu = members(groups, "EU", 2016)
    assert len(eu) == 28 and eu <= tisa
    others = tisa - eu
    assert others == {
        "AUS", "CAN", "CHL", "TWN", "COL", "CRI", "HKG", "ISL", "ISR", "JPN", "KOR",
        "LIE", "MUS", "MEX", "NZL", "NOR", "PAK", "PAN", "PER", "CHE", "TUR", "USA",
    }
    assert len(tisa) == 22 + 28 == 50


def test_frame_shape_and_types(groups):
    assert list(groups.columns) == GROUPS_COLUMNS
    assert groups["start_date"].dtype == "datetime64[ns]"
    assert groups["end_date"].dtype == "datetime64[ns]"
    assert groups["note"].map(type).eq(str).all()
    assert groups.equals(groups.sort_values(["group_id", "iso3", "start_date"]).reset_index(drop=True))
    assert set(groups["group_id"]) == {"EU", "TTIP", "TISA", "BRICS", "OECD", "G7", "SADC", "ECOWAS", "EAC",
                                       "AfCFTA", "EAEU", "ASEAN", "MERCOSUR", "SAARC", "SAFTA"}
    assert len(groups[groups["group_id"] == "EU"]) == 28 + 1  # the 28 states that joined, and BLX
    gbr = groups[(groups["group_id"] == "TTIP") & (groups["iso3"] == "GBR")].iloc[0]
    assert gbr["start_date"] == pd.Timestamp("2013-07-08")  # EU spell clipped to TTIP's start
    assert gbr["end_date"] == pd.Timestamp("2020-01-31")
    assert "member through EU" in gbr["note"]


def test_every_member_code_is_a_current_iso_code_or_a_composite(groups):
    assert set(groups["iso3"]) - COMPOSITES <= country_codes().iso


def test_panel_matches_members_in_year_and_is_fast(groups):
    years = list(range(1965, 2025))
    started = time.perf_counter()
    panel = membership_panel(groups, years)
    assert time.perf_counter() - started < 1.0
    assert list(panel.columns) == ["year", "group_id", "iso3"]
    for year in (1975, 2006, 2013, 2019, 2020, 2024):
        expected = members_in_year(groups, year).reset_index(drop=True)
        got = panel.loc[panel["year"] == year, ["group_id", "iso3"]].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, expected)


USER_GROUPS = """\
groups:
  MERCOSUR:
    name: Mercosur
    members:
      - {iso3: ARG, start: 1991-11-29}
      - {iso3: BRA, start: 1991-11-29}
      - {iso3: VEN, start: 2012-07-31, end: 2016-12-01}
  G7:
    name: G7 as a user defines it
    members:
      - {iso3: USA, start: 1975-11-15}
  EU_TALKS:
    name: EU members during some talks
    include_members_of: EU
    start: 2015-01-01
    end: 2019-12-31
    members: []
"""


def test_user_file_adds_and_replaces_groups(tmp_path):
    extra = tmp_path / "groups.yaml"
    extra.write_text(USER_GROUPS)
    groups = load_country_groups(str(extra))
    assert members(groups, "MERCOSUR", 2015) == {"ARG", "BRA", "VEN"}
    assert members(groups, "MERCOSUR", 2017) == {"ARG", "BRA"}
    assert members(groups, "G7", 2020) == {"USA"}  # replaced, not merged
    assert len(groups[groups["group_id"] == "G7"]) == 1
    assert len(members(groups, "EU", 2020)) == 27  # built-ins untouched
    assert len(members(groups, "EU_TALKS", 2019)) == 28
    assert members(groups, "EU_TALKS", 2020) == set()  # clipped to the group's end
    assert members(groups, "EU_TALKS", 2014) == set()  # and to its start


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("groups:\n  X:\n    members:\n      - {iso3: usa, start: 2000-01-01}\n", ["group X", "'usa'"]),
        ("groups:\n  X:\n    members:\n      - {iso3: US, start: 2000-01-01}\n", ["group X", "'US'"]),
        ("groups:\n  X:\n    members:\n      - {iso3: USA, start: 2001-01-01, end: 2000-01-01}\n",
         ["group X", "USA", "before start"]),
        ("groups:\n  X:\n    members:\n      - {iso3: USA}\n", ["group X", "USA", "start"]),
        ("groups:\n  X:\n    members:\n      - {start: 2000-01-01}\n", ["group X", "iso3"]),
        ("groups:\n  X:\n    members:\n      - {iso3: USA, start: 2000-01-01}\n"
         "      - {iso3: USA, start: 2005-01-01}\n", ["group X", "overlapping spells for USA"]),
        ("groups:\n  X:\n    members:\n      - {iso3: USA, start: 2000-01-01, end: 2005-01-01}\n"
         "      - {iso3: USA, start: 2005-01-01}\n", ["group X", "overlapping spells for USA"]),
        ("groups:\n  X:\n    include_members_of: NOPE\n    members: []\n", ["group X", "NOPE"]),
        ("groups:\n  X:\n    include_members_of: Y\n    members: []\n"
         "  Y:\n    include_members_of: X\n    members: []\n", ["group", "cycle"]),
        ("members: []\n", ["groups"]),
        ("groups:\n  X:\n    members:\n      - {iso3: USA, start: someday}\n", ["group X", "USA", "someday"]),
    ],
)
def test_bad_group_files_name_file_and_entry(tmp_path, body, named):
    bad = tmp_path / "bad_groups.yaml"
    bad.write_text(body)
    with pytest.raises(GroupDefinitionError) as caught:
        load_country_groups(bad)
    message = str(caught.value)
    assert str(bad) in message
    for part in named:
        assert part in message, (part, message)


def test_overlap_with_an_included_group_is_caught(tmp_path):
    # DEU is already in TTIP through the EU: listing it directly overlaps.
    extra = tmp_path / "ttip.yaml"
    extra.write_text("groups:\n  TTIP:\n    include_members_of: EU\n    start: 2013-07-08\n"
                     "    members:\n      - {iso3: DEU, start: 2014-01-01}\n")
    with pytest.raises(GroupDefinitionError, match="group TTIP has overlapping spells for DEU"):
        load_country_groups(extra)


def test_error_is_a_value_error_and_missing_file_is_named(tmp_path):
    assert issubclass(GroupDefinitionError, ValueError)
    with pytest.raises(GroupDefinitionError, match="nowhere.yaml"):
        load_country_groups(tmp_path / "nowhere.yaml")


def test_first_and_last_day_are_inclusive_around_1_july(tmp_path):
    extra = tmp_path / "edge.yaml"
    extra.write_text("groups:\n  EDGE:\n    members:\n"
                     "      - {iso3: ABW, start: 2000-07-01, end: 2010-07-01}\n"
                     "      - {iso3: BRB, start: 2000-07-02, end: 2010-06-30}\n")
    groups = load_country_groups(extra)
    assert members(groups, "EDGE", 2000) == {"ABW"}  # starts on 1 July: counts
    assert members(groups, "EDGE", 2001) == {"ABW", "BRB"}
    assert members(groups, "EDGE", 2010) == {"ABW"}  # last day 1 July: counts
    assert members(groups, "EDGE", 2011) == set()
