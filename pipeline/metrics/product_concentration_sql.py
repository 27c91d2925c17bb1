"""Export concentration and commodity dependence from ``bilateral_product_trade`` one year
partition at a time, the flows in DuckDB (issue 17: the product table is never loaded whole).

The table is :func:`pipeline.metrics.dependency.product_concentration_table`'s (HHI and Theil of
each exporter's product shares, UNCTAD's normalised HHI on SITC Rev.3 groups and UNCTAD
commodity dependence, with the coverage that decides the country's figure); only the engine
differs. Per year DuckDB sums the flows (:mod:`pipeline.metrics.product_flows_sql`, the rules of
:func:`~pipeline.metrics.product_flows.product_flows`) to what the indices read: each exporter's
exports by product, exporter x importer sums for partner reach and coverage, each exporter's
datasets and the reporters of export rows; pandas computes the indices on those per-country
frames. The goods-totals source of the coverage reference gets the product rows of a declared
totals source (Atlas sectors) summed per reporter, partner and flow, beside the totals table.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from pipeline.contracts.sql import session
from pipeline.metrics.dependency import (
    concentration_frames, country_export_sources, country_export_weights, product_sources, published_concentration,
    world_hs6,
)
from pipeline.metrics.commodity import world_weights
from pipeline.metrics.goods_sources import TotalsSource, declared_exports, load_totals_precedence
from pipeline.metrics.product_coverage import reference_exports
from pipeline.metrics.product_flows import goods_and_products, product_classifications_present
from pipeline.metrics.product_flows_sql import (
    classifications_in, declared_product_rows, year_export_reporters, year_exporter_sources, year_exports_by_product,
    year_pair_flows,
)

if TYPE_CHECKING:
    from pipeline.warehouse.parquet import PartitionedTable


def present_by_year(con, products: PartitionedTable) -> tuple[dict[int, list[str]], list[str]]:
    """Classifications of each year partition and of the whole table, finest first, equal detail
    by name (:func:`~pipeline.metrics.product_flows.product_classifications_present`: the order of
    the table read whole, whatever the row order)."""
    by_year = {int(y): classifications_in(con, products.files(y)) for y in products.values()}
    seen = list(dict.fromkeys(c for names in by_year.values() for c in names))
    return by_year, product_classifications_present(pd.DataFrame({"product_classification": seen}))


def world_weights_by_year(con, products: PartitionedTable, by_year: dict[int, list[str]], present: list[str],
                          country_exports: pd.DataFrame | None,
                          keep_unallocated: bool = True) -> tuple[pd.Series | None, str]:
    """:func:`pipeline.metrics.dependency.world_trade_weights` of the flows of ``present``
    (with or without undeclared partners): the latest year of the first world-complete HS6
    classification, its exports summed in DuckDB, else country exports."""
    hs6 = world_hs6(present)
    if hs6 is None:
        return country_export_weights(country_exports)
    year = max(y for y, names in by_year.items() if hs6 in names)
    exports = year_exports_by_product(con, products.files(year), year, hs6, keep_unallocated)
    return world_weights(exports), f"world exports {hs6} {year}"


def product_concentration_by_year(totals: pd.DataFrame, products: PartitionedTable, sitc_map: pd.DataFrame | None,
                                  macro: pd.DataFrame | None = None, country_exports: pd.DataFrame | None = None,
                                  precedence: list[TotalsSource] | None = None,
                                  caveats: dict[str, str] | None = None, memory_limit: str = "2GB",
                                  threads: int = 2) -> pd.DataFrame:
    """``export_product_concentration`` from the goods totals table ``totals`` (read whole, as
    today) and the published product table ``products`` one year partition at a time (module
    docstring); the other arguments as
    :func:`pipeline.metrics.dependency.product_concentration_table`, whose table it equals.
    Memory: one year's per-country frames, the flows bounded by ``memory_limit`` in DuckDB."""
    precedence = load_totals_precedence() if precedence is None else precedence
    frames = []
    with session(memory_limit, threads) as con:
        by_year, present = present_by_year(con, products)
        declared = goods_and_products(totals, declared_product_rows(con, products, precedence))
        reference = reference_exports(macro, declared_exports(declared, precedence))
        weights, weights_name = world_weights_by_year(con, products, by_year, present, country_exports)
        for year, names in by_year.items():
            files = products.files(year)
            names = [c for c in present if c in names]
            exports = {c: year_exports_by_product(con, files, year, c, keep_unallocated=True) for c in names}
            economy = {c: year_pair_flows(con, files, year, c) for c in present}  # empty where absent
            sources = {c: year_exporter_sources(con, files, year, c) for c in names}
            reporters = {c: year_export_reporters(con, files, year, c) for c in names}
            year_sources = product_sources(names, exports, sources, reporters, economy)
            frames += concentration_frames(year_sources, sitc_map, reference, weights, weights_name, caveats)
    frames += concentration_frames(country_export_sources(country_exports), sitc_map, reference, weights,
                                   weights_name, caveats)
    return published_concentration(frames)
