"""out__revealed_comparative_advantage materialized by Dagster from the real product rows (Atlas +
BACI, 2018 on) published in a temporary warehouse: it reads the product table one year partition
at a time (``BY_PARTITION``), no totals input, and publishes the pandas table's figures."""
from __future__ import annotations

import dagster as dg
import numpy as np
import pandas as pd

from assets.dependency_outputs import out__revealed_comparative_advantage
from assets.io_manager import ParquetWarehouseIOManager
from pipeline.metrics.dependency import rca_table
from pipeline.warehouse.parquet import read_table
from tests.metrics.materialized import checked_output_metadata


def test_materializes_per_year_partition_with_the_pandas_figures(product_bilateral, tmp_path):
    rows = product_bilateral[product_bilateral["year"] >= 2018]

    @dg.asset(name="core__bilateral_product_trade", io_manager_key="warehouse_io_manager")
    def products():
        return rows

    asset = out__revealed_comparative_advantage
    assert set(asset.keys_by_input_name) == {"core__bilateral_product_trade"}  # no totals input
    result = dg.materialize([products, asset],
                            resources={"warehouse_io_manager": ParquetWarehouseIOManager(root=str(tmp_path))})
    meta = checked_output_metadata(result, "out__revealed_comparative_advantage", "rca")
    published = read_table(tmp_path, "revealed_comparative_advantage")
    expected = rca_table(rows)
    assert len(published) == meta["dagster/row_count"].value == len(expected) > 0
    key = ["year", "iso3", "product_classification", "product_code"]
    published = published.sort_values(key).reset_index(drop=True)
    expected = expected.sort_values(key).reset_index(drop=True)
    kinds = {"year": int, "iso3": str, "product_classification": str, "product_code": str}
    pd.testing.assert_frame_equal(published[key].astype(kinds), expected[key].astype(kinds))
    np.testing.assert_allclose(published["rca"], expected["rca"], rtol=1e-12)
    assert sorted(published["year"].unique()) == [2018, 2019, 2020]
