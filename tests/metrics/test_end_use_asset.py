"""out__end_use_trade materialized by Dagster on the real core bilateral table (Atlas + BACI)
and the built-in country groups, into a temporary Parquet warehouse behind its contract."""
from __future__ import annotations

import dagster as dg
import pytest

from assets.end_use import out__end_use_trade
from assets.io_manager import ParquetWarehouseIOManager
from assets.resources import BulkFilesResource
from pipeline.reference.groups import load_country_groups
from pipeline.warehouse.parquet import read_table
from tests.metrics.materialized import checked_output_metadata

pytestmark = pytest.mark.slow  # reads the whole core bilateral table (about a minute)


def test_materializes_behind_its_contract_with_preview_and_plot(product_bilateral, shared_datasets, tmp_path):
    groups = load_country_groups()
    groups = groups.assign(start_date=groups["start_date"].dt.date, end_date=groups["end_date"].dt.date)

    @dg.asset(name="core__bilateral_product_trade", io_manager_key="warehouse_io_manager")
    def bilateral():  # published as year partitions: end use reads them one at a time
        return product_bilateral[product_bilateral["year"] >= 2018]

    @dg.asset(name="core__bilateral_goods_trade")
    def totals():  # no TOTAL rows: end use reads the product table only
        return product_bilateral.iloc[:0]

    @dg.asset(name="core__country_groups")
    def country_groups():
        return groups

    result = dg.materialize(
        [bilateral, totals, country_groups, out__end_use_trade],
        resources={"warehouse_io_manager": ParquetWarehouseIOManager(root=str(tmp_path)),
                   "bulk_files": BulkFilesResource(bulk_dir=str(shared_datasets)),
                   "io_manager": dg.mem_io_manager},
    )
    meta = checked_output_metadata(result, "out__end_use_trade", "end_use_share")
    published = read_table(tmp_path, "end_use_trade")
    assert len(published) == meta["dagster/row_count"].value > 0
    sen = published[(published["iso3"] == "SEN") & (published["year"] == 2019) & (published["direction"] == "imports")
                    & (published["partner_group"] == "WORLD") & (published["end_use"] == "capital")]
    assert sen["value_usd"].iloc[0] == pytest.approx(6.4845e8, rel=1e-4)  # the hand sum of tests/metrics
