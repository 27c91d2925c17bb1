"""All years of the canonical input-output table through the value-chain accounting.

The computation runs on the whole table, WIOD's rest of the world (``ROW``) included: it
supplies inputs, buys exports and absorbs value added, so it stays a source, partner and final
user. The published tables have rows for economies only (:meth:`CountryCodes.is_economy`):
``ROW`` is no ``iso3`` of them, only a ``partner_iso3``.
"""
from __future__ import annotations

import pandas as pd

from pipeline.metrics.io_tables import io_table_from_long
from pipeline.metrics.value_chain_industries import industry_value_chains
from pipeline.metrics.value_chains import absorption_by_group, value_chain_year
from pipeline.reference.codes import country_codes


def _economies(parts: list[pd.DataFrame]) -> pd.DataFrame:
    frame = pd.concat(parts, ignore_index=True)
    return frame[country_codes().is_economy(frame["iso3"])].reset_index(drop=True)


def value_chain_tables(input_output: pd.DataFrame, membership: pd.DataFrame | None = None
                       ) -> dict[str, pd.DataFrame]:
    """``totals``, ``industries``, ``partners`` and (with ``membership``) ``absorption``, every year.

    ``membership``: ``year, group_id, iso3`` rows (:func:`pipeline.reference.groups.membership_panel`).
    """
    totals, industries, partners, absorbed = [], [], [], []
    for _, year_frame in input_output.groupby("year", sort=True):
        table = io_table_from_long(year_frame)
        result = value_chain_year(table)
        totals.append(result["totals"])
        industries.append(industry_value_chains(table))
        partners.append(result["partners"])
        if membership is not None:
            absorbed.append(absorption_by_group(result["absorption"], table.year, membership))
    out = {"totals": _economies(totals), "industries": _economies(industries),
           "partners": _economies(partners)}
    if membership is not None:
        out["absorption"] = _economies(absorbed)
    return out
