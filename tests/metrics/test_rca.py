"""Balassa RCA: a worked example and the weighted identities on the real Atlas world data."""
from __future__ import annotations

import pandas as pd
import pytest

from pipeline.metrics.dependency import rca_table
from pipeline.metrics.rca import balassa_rca, rca_by_year


def test_rca_by_hand():
    # World: A exports 80 of k1 and 20 of k2; B exports 20 of k1 and 80 of k2. X_w = 200.
    # RCA(A, k1) = (80/100) / (100/200) = 1.6; RCA(A, k2) = (20/100) / (100/200) = 0.4.
    exports = pd.DataFrame({"iso3": ["A", "A", "B", "B"], "year": 2020, "product_code": ["k1", "k2", "k1", "k2"],
                            "value_usd": [80.0, 20.0, 20.0, 80.0]})
    rca = balassa_rca(exports).set_index(["iso3", "product_code"])["rca"]
    assert rca[("A", "k1")] == pytest.approx(1.6) and rca[("A", "k2")] == pytest.approx(0.4)
    assert rca[("B", "k2")] == pytest.approx(1.6)


def test_rca_edge_cases():
    # A single product exported by everyone: RCA 1 for all. A zero export: RCA 0, not NaN.
    single = pd.DataFrame({"iso3": ["A", "B"], "year": 2020, "product_code": "k", "value_usd": [3.0, 9.0]})
    assert balassa_rca(single)["rca"].tolist() == pytest.approx([1.0, 1.0])
    zero = pd.DataFrame({"iso3": ["A", "A", "B"], "year": 2020, "product_code": ["k1", "k2", "k1"],
                         "value_usd": [0.0, 5.0, 5.0]})
    out = balassa_rca(zero).set_index(["iso3", "product_code"])["rca"]
    assert out[("A", "k1")] == 0.0 and out[("A", "k2")] == pytest.approx(2.0)


def test_rca_identities_on_real_atlas_sectors(product_bilateral):
    rca = rca_table(product_bilateral)
    assert set(rca["product_classification"]) == {"ATLAS_SECTION"}  # only world-complete ones
    assert set(rca["year"]) == set(range(2010, 2021))
    # Export shares of each country sum to 1.
    assert rca.groupby(["iso3", "year"])["export_share"].sum().to_numpy() == pytest.approx(1.0)
    # RCA of the world is 1: weighted by each country's share of world exports, per product
    # (in years where no composite row was left out: ANT 2011 and 2018 stay in the world total)...
    rca = rca[~rca["year"].isin([2011, 2018])]
    totals = rca.groupby(["iso3", "year"])["export_value_usd"].transform("sum")
    world = rca.groupby("year")["export_value_usd"].transform("sum")
    weighted = (rca["rca"] * totals / world).groupby([rca["year"], rca["product_code"]]).sum()
    assert weighted.to_numpy() == pytest.approx(1.0)
    # ... and, per country, weighted by world product shares (over the products it exports,
    # the remainder being products with RCA 0).
    per_country = (rca["rca"] * rca["world_share"]).groupby([rca["iso3"], rca["year"]]).sum()
    assert per_country.to_numpy() == pytest.approx(1.0)
    # Plausibility: Angola (crude oil) has a revealed advantage in Minerals, Germany in Vehicles.
    key = rca.set_index(["iso3", "year", "product_code"])["rca"]
    assert key[("AGO", 2019, "3")] > 5 and key[("DEU", 2019, "6")] > 1.5


@pytest.fixture(scope="module")
def by_year(product_partitions) -> pd.DataFrame:
    return rca_by_year(product_partitions)


def test_rca_by_year_equals_the_pandas_table_on_real_rows(product_bilateral, by_year):
    """The published path (DuckDB, one year partition at a time) against the pandas table of the
    whole frame: the same rows and columns, values within 1e-12 relative."""
    expected = rca_table(product_bilateral)
    got = by_year
    assert list(got.columns) == list(expected.columns)
    assert len(got) == len(expected) > 2000
    key = ["iso3", "year", "product_classification", "product_code"]
    pd.testing.assert_frame_equal(got[key], expected[key])
    for col in ("export_value_usd", "export_share", "world_share", "rca"):
        rel = (got[col] - expected[col]).abs() / expected[col].abs().where(expected[col] != 0, 1.0)
        assert rel.max() <= 1e-12, col
    assert not got[(got["iso3"] == "ANT") & got["year"].isin([2011, 2018])].size  # covered composite left out


def test_rca_by_year_against_balassa_from_the_raw_rows(product_bilateral, by_year):
    """Balassa's definition computed here from the raw Atlas sector rows of 2019 (exports of
    economies to economies, ANS and aggregates out), for Angola in Minerals (sector 3)."""
    rows = product_bilateral[(product_bilateral["product_classification"] == "ATLAS_SECTION")
                             & (product_bilateral["year"] == 2019) & (product_bilateral["flow"] == "export")]
    rows = rows[~rows["reporter_iso3"].isin(["ANS", "WLD", "ROW"]) & ~rows["partner_iso3"].isin(["ANS", "WLD", "ROW"])]
    x_ck = rows.loc[(rows["reporter_iso3"] == "AGO") & (rows["product_code"] == "3"), "value_usd"].sum()
    x_c = rows.loc[rows["reporter_iso3"] == "AGO", "value_usd"].sum()
    x_wk = rows.loc[rows["product_code"] == "3", "value_usd"].sum()
    x_w = rows["value_usd"].sum()
    got = by_year.set_index(["iso3", "year", "product_classification", "product_code"])
    row = got.loc[("AGO", 2019, "ATLAS_SECTION", "3")]
    assert row["export_value_usd"] == pytest.approx(x_ck, rel=1e-12)
    assert row["export_share"] == pytest.approx(x_ck / x_c, rel=1e-12)
    assert row["world_share"] == pytest.approx(x_wk / x_w, rel=1e-12)
    assert row["rca"] == pytest.approx((x_ck / x_c) / (x_wk / x_w), rel=1e-12) and row["rca"] > 5
