"""UNCTAD commodity dependence: the HS6 flag file, a worked example and real exporters."""
from __future__ import annotations

import pandas as pd
import pytest

from pipeline.metrics.commodity import FLAG_FILE, commodity_export_share, load_primary_flags, primary_fraction


@pytest.fixture(scope="module")
def flags(shared_datasets):
    return load_primary_flags(shared_datasets / FLAG_FILE)


def test_flags_follow_the_unctad_definition(flags):
    hs92 = flags[flags["hs_version"] == "HS1992"].set_index("hs6")["unctad_primary"]
    assert hs92["010111"] and hs92["270900"]          # live horses (SITC 0), crude oil (SITC 3)
    assert hs92["710812"] and hs92["740311"]          # gold (971), refined copper (68)
    assert hs92["710210"]                             # diamonds unsorted (667)
    assert not hs92["870323"] and not hs92["854211"]  # cars, integrated circuits


def test_fraction_of_headings_and_chapters(flags):
    frac = primary_fraction(pd.Series(["27", "2709", "87", "71", "270900"]), flags, "HS1992")
    assert frac.iloc[1] == 1.0 and frac.iloc[4] == 1.0 and frac.iloc[2] == 0.0
    assert frac.iloc[3] == pytest.approx(36 / 50)     # chapter 71: 36 of 50 subheadings; jewellery (7113-7118) is not primary
    with pytest.raises(ValueError, match="HS1988"):
        primary_fraction(pd.Series(["27"]), flags, "HS1988")


def test_share_by_hand():
    exports = pd.DataFrame({"iso3": ["X", "X", "X"], "year": 2019, "product_code": ["a", "b", "c"],
                            "value_usd": [60.0, 30.0, 10.0]})
    fraction = pd.Series({"a": 1.0, "b": 0.0, "c": 0.5})
    share = commodity_export_share(exports, fraction)
    assert share["commodity_export_share"].iloc[0] == pytest.approx(0.65)  # (60 + 0 + 5) / 100
    unflagged = commodity_export_share(exports, pd.Series({"a": 1.0}))     # b, c unknown: left out
    assert unflagged["commodity_export_share"].iloc[0] == pytest.approx(1.0)


def test_real_exporters(product_bilateral, flags):
    from pipeline.metrics.dependency import product_concentration_table

    table = product_concentration_table(product_bilateral, flags).set_index(
        ["iso3", "year", "product_classification"])["commodity_export_share"]
    assert table.dropna().between(0, 1).all()
    assert table[("AGO", 2019, "HS92_2_4")] > 0.95     # crude oil and diamonds
    assert table[("MUS", 2019, "HS92_2_4")] < 0.6      # textiles, processed fish and sugar
    # South Africa 2021 at HS6 (BACI): gold, ores, coal and PGMs, between half and 80%.
    assert 0.5 < table[("ZAF", 2021, "HS92_6")] < 0.8
