"""All years of the canonical input-output table through the value-chain accounting."""
from __future__ import annotations

import pandas as pd

from pipeline.metrics.io_tables import io_table_from_long
from pipeline.metrics.value_chain_industries import industry_value_chains
from pipeline.metrics.value_chains import absorption_by_group, value_chain_year


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
    out = {"totals": pd.concat(totals, ignore_index=True),
           "industries": pd.concat(industries, ignore_index=True),
           "partners": pd.concat(partners, ignore_index=True)}
    if membership is not None:
        out["absorption"] = pd.concat(absorbed, ignore_index=True)
    return out
