"""Product HHI and Theil on hand-computed cases, edge cases, and on the real Atlas data."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pipeline.metrics.product_concentration import export_product_concentration, hhi, theil_index


def test_hhi_by_hand():
    # shares 0.5, 0.3, 0.2 -> 0.25 + 0.09 + 0.04 = 0.38
    assert hhi([50, 30, 20]) == pytest.approx(0.38)
    assert hhi([7.0]) == pytest.approx(1.0)            # single product
    assert hhi([10, 0, 10]) == pytest.approx(0.5)      # zeros add nothing
    assert math.isnan(hhi([0.0, 0.0]))                 # nothing exported: undefined, not 0


def test_theil_by_hand():
    # x = (3, 1), N = 2: mu = 2, T = 1/2 (1.5 ln 1.5 + 0.5 ln 0.5) = 0.1308120...
    expected = 0.5 * (1.5 * math.log(1.5) + 0.5 * math.log(0.5))
    assert theil_index([3, 1]) == pytest.approx(expected)
    assert expected == pytest.approx(0.130812, abs=1e-6)
    # Even spread: 0. One product out of N = 10: ln 10 (the maximum).
    assert theil_index([5, 5, 5, 5]) == pytest.approx(0.0)
    assert theil_index([42.0], universe=10) == pytest.approx(math.log(10))
    # Single product in a one-product universe: no concentration to measure.
    assert theil_index([42.0], universe=1) == pytest.approx(0.0)
    # Zeros among the values are products not exported (0 ln 0 = 0): same as a larger universe.
    assert theil_index([3, 1, 0, 0]) == pytest.approx(theil_index([3, 1], universe=4))
    assert math.isnan(theil_index([0, 0]))
    with pytest.raises(ValueError, match="smaller"):
        theil_index([1, 2, 3], universe=2)


def test_table_per_exporter_and_year():
    exports = pd.DataFrame({
        "iso3": ["AGO", "AGO", "AGO", "MUS"], "year": [2019, 2019, 2019, 2019],
        "product_code": ["3", "4", "9", "0"], "value_usd": [90.0, 5.0, 5.0, 10.0],
    })
    table = export_product_concentration(exports, universe=10).set_index("iso3")
    assert table.loc["AGO", "product_hhi"] == pytest.approx(0.81 + 0.0025 + 0.0025)
    assert table.loc["AGO", "n_products"] == 3 and table.loc["AGO", "exports_usd"] == pytest.approx(100.0)
    ratio = np.array([9.0, 0.5, 0.5])  # x / mu with mu = 100 / 10
    assert table.loc["AGO", "product_theil"] == pytest.approx((ratio * np.log(ratio)).sum() / 10)
    assert table.loc["MUS", "product_hhi"] == pytest.approx(1.0)
    assert table.loc["MUS", "product_theil"] == pytest.approx(math.log(10))


SUBSET = {"AGO", "BWA", "COD", "COM", "LSO", "MDG", "MWI", "MUS", "MOZ", "NAM", "SYC", "SWZ", "ZMB", "ZWE",
          "BEN", "BFA", "CPV", "CIV", "GMB", "GIN", "GNB", "LBR", "MLI", "NER", "SEN", "SLE", "TGO",
          "ARM", "KGZ", "GEO", "MDA"}  # the Atlas HS subset's MANIFEST


def test_real_atlas_sector_indices_within_bounds(product_bilateral, shared_datasets):
    from pipeline.metrics.commodity import FLAG_FILE, load_primary_flags
    from pipeline.metrics.dependency import product_concentration_table

    table = product_concentration_table(product_bilateral, load_primary_flags(shared_datasets / FLAG_FILE))
    sectors = table[table["product_classification"] == "ATLAS_SECTION"]
    assert sectors["product_hhi"].between(1 / 10 - 1e-12, 1).all()
    assert sectors["product_theil"].between(0, math.log(10) + 1e-12).all()
    # HHI >= 1/n and Theil <= ln N hold for every classification.
    assert (table["product_hhi"] >= 1 / table["n_products"] - 1e-12).all()
    # Angola exports crude oil: Minerals dominate, its sector HHI is far above Germany's.
    ago = sectors.set_index(["iso3", "year"]).loc[("AGO", 2019)]
    deu = sectors.set_index(["iso3", "year"]).loc[("DEU", 2019)]
    assert ago["product_hhi"] > 0.8 > 0.3 > deu["product_hhi"]
    # The HS subset covers its 31 countries in full; other exporters only when (nearly) all their
    # exports go to those 31 (the Netherlands Antilles in 2011, a few thousand dollars).
    hs = table[table["product_classification"] == "HS92_2_4"]
    others = hs[~hs["iso3"].isin(SUBSET)]
    assert len(others) <= 2 and (others["exports_usd"] < 1e8).all()
    assert set(hs.loc[hs["year"] == 2019, "iso3"]) == SUBSET
    assert (hs["coverage_share"] > 0.99).all()
    assert ("ZAF", 2021) in set(zip(table.loc[table["product_classification"] == "HS92_6", "iso3"],
                                    table.loc[table["product_classification"] == "HS92_6", "year"]))
    # The commodity share is a share.
    assert table["commodity_export_share"].dropna().between(0, 1).all()
