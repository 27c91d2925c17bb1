"""Balassa RCA: a worked example and the weighted identities on the real Atlas world data."""
from __future__ import annotations

import pandas as pd
import pytest

from pipeline.metrics.dependency import rca_table
from pipeline.metrics.rca import balassa_rca


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
