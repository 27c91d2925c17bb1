"""The product metrics computed one year partition at a time in DuckDB against their pandas
implementation on the whole table (the reference: both are written from the metric's definition,
and the pandas path is checked against published figures in the other tests of tests/metrics),
on the real Atlas and BACI product rows published as the warehouse publishes them."""
from __future__ import annotations

import pytest

from pipeline.metrics.product_concentration_sql import product_concentration_by_year
from tests.metrics.same_table import assert_same_table


@pytest.fixture(scope="module")
def totals(totals_bilateral):
    """The goods totals table of a bulk run (the Comtrade/DTA panel's TOTAL rows)."""
    return totals_bilateral[totals_bilateral["product_classification"] == "TOTAL"]


def test_export_product_concentration_per_year_equals_the_pandas_table(shared_datasets, product_table,
                                                                       product_partitions, totals, macro):
    """HHI/Theil/UNCTAD concentration and UNCTAD commodity dependence (HS via SITC Rev.3), with
    coverage against WDI and the Atlas as declared totals source: every row and value of
    :func:`product_concentration_table` (read whole), from the year partitions."""
    from pipeline.metrics.commodity import FLAG_FILE, load_sitc_map
    from pipeline.sources.country_product_exports import read_country_product_exports
    from pipeline.sources.files import FilesSource

    source = FilesSource(shared_datasets)
    got = product_concentration_by_year(totals, product_partitions, load_sitc_map(shared_datasets / FLAG_FILE),
                                        macro, read_country_product_exports(source), caveats=source.caveats())
    same = assert_same_table(got, product_table, ["year", "iso3", "product_classification"])
    assert same["rows"] > 3000
    # Every product source and both kinds of reference are in the comparison.
    assert set(got["product_classification"]) >= {"ATLAS_SECTION", "HS92_2_4", "HS92_6", "HS17_6"}
    assert {"WDI TX.VAL.MRCH.CD.WT", "atlas_sections"} <= set(got["coverage_reference"])
    assert got["unctad_concentration_index"].notna().sum() > 100 and got["commodity_export_share"].notna().any()


def test_strategic_dependencies_per_year_equal_the_pandas_table(strategic_reference, product_partitions, membership):
    """The European Commission's three criteria (SWD(2021) 352) for every unit (each economy, the
    EU as one unit on Atlas sectors), product and year: every row and value of
    :func:`strategic_table` (read whole), from the year partitions with the sums in DuckDB."""
    from pipeline.metrics.strategic import load_strategic_config
    from pipeline.metrics.strategic_sql import strategic_by_year

    got = strategic_by_year(product_partitions, membership, load_strategic_config())
    same = assert_same_table(got, strategic_reference, ["year", "unit", "product_classification", "product_code"])
    assert same["rows"] > 80_000
    assert got["is_dependency"].sum() > 1000 and (got["unit"] == "EU").sum() > 100
    assert set(got["product_classification"]) == {"ATLAS_SECTION", "HS92_2_4"}
    assert got["world_supply_hhi"].notna().any() and got["top_supplier_iso3"].notna().any()


def test_end_use_trade_per_year_equals_the_pandas_table(shared_datasets, end_use_reference, product_partitions,
                                                        membership):
    """UN BEC Rev.4 end use (SNA capital / intermediate / consumption, lower and upper bounds, the
    estimate split by world HS4 weights, ships) by partner group: every row and value of
    :func:`end_use_trade` (read whole), from the year partitions with the sums in DuckDB."""
    from pipeline.metrics.end_use_classes import BEC_SNA_FILE, HS_BEC_FILE
    from pipeline.metrics.end_use_sql import end_use_by_year
    from pipeline.sources.country_product_exports import read_country_product_exports
    from pipeline.sources.files import FilesSource

    paths = shared_datasets / HS_BEC_FILE, shared_datasets / BEC_SNA_FILE
    country_exports = read_country_product_exports(FilesSource(shared_datasets))
    got = end_use_by_year(product_partitions, membership, *paths, country_exports)
    key = ["year", "iso3", "product_classification", "direction", "partner_group", "end_use"]
    same = assert_same_table(got, end_use_reference, key)
    assert same["rows"] > 60_000
    assert set(got["product_classification"]) == {"HS92_2_4"}  # BACI extracts: no reference, never covered
    assert (got["value_usd_estimate"] > 0).any() and (got["ships_share"] > 0).any()


def test_profile_and_group_exposure_from_the_declared_rows_summed_per_year_equal_the_whole_table(
        product_partitions, totals_bilateral, totals, macro, membership):
    """Goods totals (one declared source per country-year: the Atlas sectors before the
    Comtrade/DTA panel), partner HHI and group shares from the totals table plus the Atlas rows
    summed per pair in DuckDB, per year partition: the profile and exposure of the whole table."""
    from pipeline.contracts.sql import session
    from pipeline.metrics.goods_sources import load_totals_precedence
    from pipeline.metrics.product_flows import goods_and_products
    from pipeline.metrics.product_flows_sql import declared_product_rows
    from pipeline.metrics.trade_profile import country_group_exposure, country_trade_profile

    with session() as con:
        declared = declared_product_rows(con, product_partitions, load_totals_precedence())
    assert set(declared["source"]) == {"atlas_sections"} and len(declared) < len(totals_bilateral) / 10
    rows = goods_and_products(totals, declared)
    got, expected = country_trade_profile(rows, macro), country_trade_profile(totals_bilateral, macro)
    same = assert_same_table(got, expected, ["iso3", "year"])
    assert same["rows"] > 4000 and set(got["source"]) == {"atlas_sections", "penppml_comtrade_dta"}
    got, expected = country_group_exposure(rows, membership), country_group_exposure(totals_bilateral, membership)
    same = assert_same_table(got, expected, ["iso3", "year", "group_id", "direction"])
    assert same["rows"] > 50_000
