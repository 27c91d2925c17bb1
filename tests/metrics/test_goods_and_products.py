"""The two goods tables joined for the product metrics (pipeline/metrics/product_flows.py
``goods_and_products``): a totals table published before the product split (it still holds the
product rows) is refused, since its product rows would be counted twice beside
``bilateral_product_trade``. Real rows: the Comtrade/DTA totals and the BACI HS6 extracts."""
from __future__ import annotations

import pandas as pd
import pytest

from pipeline.metrics.product_flows import goods_and_products
from pipeline.sources.files import FilesSource, read_file_input
from pipeline.transform.canonical import finalize_bilateral_goods_trade


@pytest.fixture(scope="module")
def tables(shared_datasets):
    source = FilesSource(shared_datasets)

    def read(table, dataset):
        return finalize_bilateral_goods_trade([read_file_input(i) for i in source.discover(table)
                                               if i.provenance.dataset_id == dataset])
    return read("bilateral_goods_trade", "penppml_comtrade_dta"), read("bilateral_product_trade", "baci_hs92_zaf_afg")


def test_split_tables_are_stacked_once(tables):
    totals, products = tables
    both = goods_and_products(totals, products)
    assert len(both) == len(totals) + len(products)
    # South Africa's 2021 BACI exports, summed from the extract itself, appear once.
    zaf = both[(both["product_code"] != "TOTAL") & (both["reporter_iso3"] == "ZAF")]
    assert zaf["value_usd"].sum() == pytest.approx(products.loc[products["reporter_iso3"] == "ZAF", "value_usd"].sum())


def test_a_totals_table_published_before_the_split_is_refused(tables):
    totals, products = tables
    pre_split = pd.concat([totals, products], ignore_index=True)  # what bilateral_goods_trade 1.0 held
    with pytest.raises(ValueError, match=rf"holds {len(products):,} product rows.*baci_hs92_zaf_afg.*"
                                         r"counted twice.*materialize core__bilateral_goods_trade"):
        goods_and_products(pre_split, products)
