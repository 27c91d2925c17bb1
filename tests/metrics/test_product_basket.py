"""A country's product mix is its whole export basket, whatever the destination (issue 12 review):
exports to undeclared partners (Atlas ``ANS``, areas n.e.s., bunkers) count, as they do in the
WDI merchandise total the coverage is read against; aggregates never do, and codes that are not
economies are never rows. Expected values are plain pandas on the raw Atlas CSVs, by the
definitions (HHI = sum of squared shares; Theil over the N = 10 Atlas sectors, Cadot, Carrere
and Strauss-Kahn 2011)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.reference.codes import country_codes

ATLAS = "atlas_bilateral_sections_2010_2020/atlas_bilateral_sections_2010_2020.csv.gz"
SUBSET = "atlas_bilateral_hs2hs4_subset_2010_2020/atlas_bilateral_hs2hs4_subset_2010_2020.csv.gz"


@pytest.fixture(scope="module")
def atlas(shared_datasets):
    raw = pd.read_csv(shared_datasets / ATLAS, dtype={"section_id": str})
    return raw[raw["year"].isin([2011, 2014]) & raw["exporter"].isin(["KWT", "BHR"])]


@pytest.fixture(scope="module")
def rows(product_table):
    return product_table.set_index(["iso3", "year", "product_classification"])


@pytest.mark.parametrize("iso3, year, hhi, theil, fuels", [
    ("KWT", 2014, 0.920, 2.073, 0.959),   # reviewer's figures, all non-aggregate partners
    ("BHR", 2011, None, None, 0.805),     # sector 3 is 48% of exports to economies only
])
def test_whole_basket_against_raw_atlas(rows, atlas, iso3, year, hhi, theil, fuels):
    codes = country_codes()
    own = atlas[(atlas["exporter"] == iso3) & (atlas["year"] == year) & (atlas["importer"] != iso3)]
    basket = own[~codes.is_aggregate(own["importer"])]
    assert (~codes.is_economy(basket["importer"])).any()          # ANS / n.e.s. destinations present
    x = basket.groupby("section_id")["export_value_usd"].sum()
    s, ratio = x / x.sum(), x / (x.sum() / 10)
    row = rows.loc[(iso3, year, "ATLAS_SECTION")]
    assert row["exports_usd"] == pytest.approx(x.sum(), rel=1e-9)
    assert row["product_hhi"] == pytest.approx((s ** 2).sum(), rel=1e-9)
    assert row["product_theil"] == pytest.approx((ratio[ratio > 0] * np.log(ratio[ratio > 0])).sum() / 10, rel=1e-9)
    assert s["3"] == pytest.approx(fuels, abs=5e-4)
    if hhi is not None:
        assert row["product_hhi"] == pytest.approx(hhi, abs=5e-4)
        assert row["product_theil"] == pytest.approx(theil, abs=5e-4)
    economies = own[codes.is_economy(own["importer"])].groupby("section_id")["export_value_usd"].sum()
    assert abs(economies["3"] / economies.sum() - s["3"]) > 0.04    # the old rule gave another figure


def test_no_row_for_a_code_that_is_no_economy(product_table):
    codes = country_codes()
    assert codes.is_economy(product_table["iso3"]).all()
    assert "ANS" not in set(product_table["iso3"])


def test_non_member_of_the_atlas_subset_is_no_row_of_it(rows, shared_datasets):
    """The Netherlands Antilles 2011 sends 99% of its Atlas exports to Togo, one of the subset's
    31 countries, but the subset holds none of its imports: it is no product source of its own.
    The 31 (reporters of both exports and imports in the raw subset file) are all there."""
    raw = pd.read_csv(shared_datasets / SUBSET, usecols=["exporter", "importer", "year"])
    y2011 = raw[raw["year"] == 2011]
    both = set(y2011["exporter"]) & set(y2011["importer"])
    assert "ANT" in set(y2011["exporter"]) and "ANT" not in set(y2011["importer"])
    subset = rows.xs("HS92_2_4", level="product_classification")
    held = set(subset.xs(2011, level="year").index)
    assert ("ANT", 2011) not in subset.index
    assert len(held) == 31 and held <= both
