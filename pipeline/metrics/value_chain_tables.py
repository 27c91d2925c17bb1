"""All years of the canonical input-output table through the value-chain accounting.

The computation runs on the whole table, WIOD's rest of the world (``ROW``) included: it
supplies inputs, buys exports and absorbs value added, so it stays a source, partner and final
user. The published tables have rows for economies only (:meth:`CountryCodes.is_economy`):
``ROW`` is no ``iso3`` of them, only a ``partner_iso3``.
"""
from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pyarrow as pa

from pipeline.metrics.io_tables import io_table_from_long
from pipeline.metrics.leontief import solve_year
from pipeline.metrics.value_chain_industries import industry_value_chains
from pipeline.metrics.value_chains import absorption_by_group, value_chain_year
from pipeline.reference.codes import country_codes
from pipeline.warehouse.parquet import PartitionedTable


def _economies(parts: list[pd.DataFrame]) -> pd.DataFrame:
    frame = pd.concat(parts, ignore_index=True)
    return frame[country_codes().is_economy(frame["iso3"])].reset_index(drop=True)


IO_COLUMNS = ["year", "row_iso3", "row_sector", "col_iso3", "col_sector", "value_usd"]


def table_years(input_output: pd.DataFrame | PartitionedTable) -> Iterator[tuple[int, pd.DataFrame | pa.Table]]:
    """Each year of the long table, in ascending order: a published table one partition at a
    time (only the columns the pivot needs), a frame by grouping."""
    if isinstance(input_output, PartitionedTable):
        yield from input_output.read(IO_COLUMNS)
    else:
        yield from input_output.groupby("year", sort=True)


def value_chain_tables(input_output: pd.DataFrame | PartitionedTable, membership: pd.DataFrame | None = None
                       ) -> dict[str, pd.DataFrame]:
    """``totals``, ``industries``, ``partners`` and (with ``membership``) ``absorption``, every year.

    Each year is pivoted once and solved once (:func:`pipeline.metrics.leontief.solve_year`);
    all four tables read that one solution, and only one year's arrays are held at a time.
    ``membership``: ``year, group_id, iso3`` rows (:func:`pipeline.reference.groups.membership_panel`).
    """
    totals, industries, partners, absorbed = [], [], [], []
    for _, year_frame in table_years(input_output):
        system = solve_year(io_table_from_long(year_frame))
        result = value_chain_year(system)
        totals.append(result["totals"])
        industries.append(industry_value_chains(system))
        partners.append(result["partners"])
        if membership is not None:
            absorbed.append(absorption_by_group(result["absorption"], system.table.year, membership))
        del system, year_frame  # the next year's arrays replace these, not join them
    out = {"totals": _economies(totals), "industries": _economies(industries),
           "partners": _economies(partners)}
    if membership is not None:
        out["absorption"] = _economies(absorbed)
    return out
