"""Strategic dependencies from ``bilateral_product_trade`` one year partition at a time, the sums
over flows in DuckDB (issue 17: the product table is never loaded whole into pandas).

The table is :func:`pipeline.metrics.dependency.strategic_table`'s: the European Commission's
three criteria (SWD(2021) 352; :mod:`pipeline.metrics.strategic`) for every evaluated unit,
product and year. Only the engine differs: per year and classification DuckDB joins the flows
(:mod:`pipeline.metrics.product_flows_sql`, undeclared partners kept as in ``strategic_table``)
with the units' members and inside suppliers (small frames from
:func:`~pipeline.metrics.strategic.evaluation_units`) and returns what the criteria read per
unit and product (:func:`~pipeline.metrics.strategic.unit_aggregates`: imports, extra-group
imports, supplier HHI, top supplier, the unit's exports); the criteria, the flag and the sector
labels are :func:`~pipeline.metrics.strategic.criteria` in pandas.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipeline.contracts.sql import session
from pipeline.metrics.dependency import covered_countries
from pipeline.metrics.product_concentration_sql import present_by_year
from pipeline.metrics.product_flows import classifications
from pipeline.metrics.product_flows_sql import (
    excluded_codes, flows_sql, not_in, year_exports_by_product, year_pair_flows,
)
from pipeline.metrics.strategic import AGGREGATE_COLUMNS, criteria, evaluation_units, world_supply_hhi
from pipeline.reference.composites import without_covered_composites

if TYPE_CHECKING:
    from pipeline.warehouse.parquet import PartitionedTable


def unit_aggregates_sql(con, files: Sequence[str], year: int, classification: str, members: pd.DataFrame,
                        inside: pd.DataFrame) -> pd.DataFrame:
    """:func:`pipeline.metrics.strategic.unit_aggregates` of one year's flows of one
    classification (undeclared partners kept), computed in DuckDB: :data:`AGGREGATE_COLUMNS`.
    Shares among supplier economies only (undeclared partners are no supplier); the top
    supplier is the largest share, ties to the first code."""
    members, inside = members[members["year"] == year], inside[inside["year"] == year]
    if members.empty:
        return pd.DataFrame(columns=AGGREGATE_COLUMNS)
    con.register("unit_members", members[["unit", "iso3"]].astype(str))
    con.register("unit_inside", inside[["unit", "partner_iso3"]].astype(str))
    try:
        query = f"""
            WITH flows AS ({flows_sql(files, classification, keep_unallocated=True)}),
            imp AS (
                SELECT m.unit, f.product_code, f.exporter_iso3 AS partner_iso3, sum(f.value_usd) AS value_usd
                FROM flows f JOIN unit_members m ON f.importer_iso3 = m.iso3
                GROUP BY m.unit, f.product_code, f.exporter_iso3),
            extra AS (SELECT * FROM imp ANTI JOIN unit_inside USING (unit, partner_iso3)),
            named AS (
                SELECT *, value_usd / sum(value_usd) OVER (PARTITION BY unit, product_code) AS share
                FROM extra WHERE {not_in("partner_iso3", excluded_codes(False))}),
            suppliers AS (
                SELECT unit, product_code, sum(share * share) AS supplier_hhi,
                       first(partner_iso3 ORDER BY share DESC, partner_iso3) AS top_supplier_iso3,
                       max(share) AS top_supplier_share
                FROM named GROUP BY unit, product_code),
            totals AS (SELECT unit, product_code, sum(value_usd) AS imports_usd FROM imp GROUP BY unit, product_code),
            extra_totals AS (
                SELECT unit, product_code, sum(value_usd) AS extra_group_imports_usd FROM extra
                GROUP BY unit, product_code),
            exports AS (
                SELECT m.unit, f.product_code, sum(f.value_usd) AS unit_exports_usd
                FROM flows f JOIN unit_members m ON f.exporter_iso3 = m.iso3 GROUP BY m.unit, f.product_code)
            SELECT * FROM totals
            LEFT JOIN extra_totals USING (unit, product_code)
            LEFT JOIN suppliers USING (unit, product_code)
            LEFT JOIN exports USING (unit, product_code)
            ORDER BY unit, product_code"""
        frame = con.execute(query).df()
    finally:
        con.unregister("unit_members")
        con.unregister("unit_inside")
    for col in ("unit", "product_code"):
        frame[col] = frame[col].astype(str)
    frame["top_supplier_iso3"] = frame["top_supplier_iso3"].astype(object).where(frame["top_supplier_iso3"].notna())
    frame["year"] = int(year)
    return frame[AGGREGATE_COLUMNS]


def _year_table(con, files: Sequence[str], year: int, name: str, reference: str | None, membership: pd.DataFrame,
                config: dict[str, Any]) -> pd.DataFrame | None:
    """One classification's rows of one year (None when no unit is evaluated)."""
    spec = classifications()[name]
    pairs = year_pair_flows(con, files, year, name, keep_unallocated=True)
    complete = None
    if not spec["world_complete"]:
        # Imports are mirror flows and exports feed criterion 3: both sides must be held in full.
        ref = year_pair_flows(con, files, year, reference, keep_unallocated=True) if reference else None
        importers = covered_countries(pairs, ref, "importer_iso3", unknown_ok=False)
        exporters = covered_countries(pairs, ref, "exporter_iso3", unknown_ok=False)
        complete = importers[["iso3", "year"]].merge(exporters[["iso3", "year"]], on=["iso3", "year"])
        if complete.empty:
            return None
    members, inside = evaluation_units(pairs, membership, config, complete)
    table = criteria(unit_aggregates_sql(con, files, year, name, members, inside), members, config)
    if not spec["nomenclature"]:
        table[["strategic_sector", "strategic_sector_match"]] = pd.NA  # Atlas "3" is no HS chapter
    if spec["world_complete"]:
        exports = year_exports_by_product(con, files, year, name, keep_unallocated=True)
        table = table.merge(world_supply_hhi(exports.rename(columns={"iso3": "exporter_iso3"})),
                            on=["year", "product_code"], how="left")
    else:
        table["world_supply_hhi"] = float("nan")
    return table.assign(product_classification=name)


def strategic_by_year(products: PartitionedTable, membership: pd.DataFrame, config: dict[str, Any],
                      memory_limit: str = "2GB", threads: int = 2) -> pd.DataFrame:
    """``strategic_dependencies`` from the published product table one year partition at a time
    (module docstring); equals :func:`pipeline.metrics.dependency.strategic_table` of the whole
    table. Units evaluated on a partial classification are those whose imports and exports it
    holds in full against the first world-complete classification of the table (as there)."""
    frames: dict[str, list[pd.DataFrame]] = {}
    with session(memory_limit, threads) as con:
        by_year, present = present_by_year(con, products)
        wanted = [c for c in config["classifications"] if c in present]
        complete = [c for c in wanted + present if classifications()[c]["world_complete"]]
        reference = complete[0] if complete else None
        for year, names in by_year.items():
            files = products.files(year)
            for name in (c for c in wanted if c in names):
                table = _year_table(con, files, year, name, reference if reference in names else None, membership,
                                    config)
                if table is not None:
                    frames.setdefault(name, []).append(table)
    if not frames:
        return pd.DataFrame()
    out = pd.concat([f for name in wanted for f in frames.get(name, [])], ignore_index=True)
    return without_covered_composites(out, code="unit", by=("year", "product_classification"))
