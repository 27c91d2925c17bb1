"""Balassa revealed comparative advantage per country and product.

:func:`rca_by_year` computes the published table from ``bilateral_product_trade`` one year
partition at a time, the flows in DuckDB (:mod:`pipeline.metrics.product_flows_sql`) and only
each year's exports by product (countries x products) in pandas;
:func:`pipeline.metrics.dependency.rca_table` computes the same from a frame of the whole table.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from pipeline.contracts.sql import session
from pipeline.metrics.product_flows import classifications
from pipeline.metrics.product_flows_sql import classifications_in, year_exports_by_product
from pipeline.reference.composites import without_covered_composites

if TYPE_CHECKING:
    from pipeline.warehouse.parquet import PartitionedTable


def balassa_rca(exports: pd.DataFrame) -> pd.DataFrame:
    """Balassa (1965) index of revealed comparative advantage.

    :math:`RCA_{c,k} = \\frac{x_{c,k} / X_c}{x_{w,k} / X_w}` with :math:`x_{c,k}` country c's
    exports of product k, :math:`X_c = \\sum_k x_{c,k}`, :math:`x_{w,k} = \\sum_c x_{c,k}` and
    :math:`X_w = \\sum_{c,k} x_{c,k}`, per year. Unitless; > 1 means product k weighs more in
    c's exports than in world exports. Identities: :math:`\\sum_c (X_c/X_w) RCA_{c,k} = 1` for
    every product and :math:`\\sum_k (x_{w,k}/X_w) RCA_{c,k} = 1` for every country. The world
    is the set of exporters given, so ``exports`` must cover every exporter (a world-complete
    classification).

    ``exports``: ``iso3, year, product_code, value_usd``. Returns those columns plus
    ``export_share`` (:math:`x_{c,k}/X_c`, 0..1), ``world_share`` (:math:`x_{w,k}/X_w`) and
    ``rca``; rows of zero exports are kept with RCA 0 where given.
    """
    work = exports.copy()
    country_total = work.groupby(["iso3", "year"])["value_usd"].transform("sum")
    product_total = work.groupby(["year", "product_code"])["value_usd"].transform("sum")
    world_total = work.groupby("year")["value_usd"].transform("sum")
    work["export_share"] = work["value_usd"] / country_total.where(country_total > 0)
    work["world_share"] = product_total / world_total.where(world_total > 0)
    work["rca"] = work["export_share"] / work["world_share"].where(work["world_share"] > 0)
    return work


def rca_of_flows(exports: pd.DataFrame, classification: str) -> pd.DataFrame:
    """:func:`balassa_rca` of one world-complete classification's flows, given as each
    exporter's exports by product (``iso3, year, product_code, value_usd``: any number of
    years, each its own world), labelled with the classification."""
    return balassa_rca(exports).assign(product_classification=classification)


def published_rca(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The ``revealed_comparative_advantage`` table from :func:`rca_of_flows` frames: values
    as ``export_value_usd``, no composite code beside its constituents in a year
    (:func:`~pipeline.reference.composites.without_covered_composites`), sorted by year, country,
    classification and product. Empty (the gate adds the columns) without any frame."""
    if not frames:
        return pd.DataFrame()  # no world-complete classification
    out = pd.concat(frames, ignore_index=True).rename(columns={"value_usd": "export_value_usd"})
    out = without_covered_composites(out, by=("year", "product_classification"))
    return out.sort_values(["year", "iso3", "product_classification", "product_code"]).reset_index(drop=True)


def rca_by_year(products: PartitionedTable, memory_limit: str = "2GB", threads: int = 2) -> pd.DataFrame:
    """Balassa RCA per country, product and year for every world-complete classification of the
    published ``bilateral_product_trade``, one DuckDB pass per year partition: the flows of
    :func:`pipeline.metrics.product_flows.product_flows` summed to exports by product in
    DuckDB (bounded by ``memory_limit``, spilling beyond it), the index in pandas on those
    small per-year frames. Equals :func:`pipeline.metrics.dependency.rca_table` of the whole
    table; memory does not grow with the number of years."""
    frames = []
    with session(memory_limit, threads) as con:
        products.attach(con)
        for year in products.values():
            files = products.files(year)
            for name in classifications_in(con, files):
                if classifications()[name]["world_complete"]:
                    frames.append(rca_of_flows(year_exports_by_product(con, files, year, name), name))
    return published_rca(frames)
