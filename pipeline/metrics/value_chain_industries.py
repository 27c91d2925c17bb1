"""Value added in exports by exporting industry (the country-industry view of TiVA).

With ``A``, ``v`` and the exports matrix ``E`` (N x R) of :mod:`pipeline.metrics.value_chains`,
for an industry ``i`` of region ``c(i)`` with gross exports ``e_i``:

    dva_i = e_i * sum_{k in c(i)} v_k L_ki        (domestic value added in its exports)
    fva_i = e_i - dva_i                           (foreign value added; v L = 1')
    dvx_i = v_i * sum_{c != c(i)} (L E)_{i,c}      (its value added in other regions' exports)

Participation by industry, in percent:

    gvc_backward_pct_i = 100 * fva_i / e_i        (TiVA EXGR_FVASH by exporting industry)
    gvc_forward_pct_i  = 100 * dvx_i / EXGR_c(i)  (TiVA EXGR_DVAFXSH by industry, Guide 5.12)

The forward share divides by the COUNTRY's total gross exports ``EXGR_c``, as TiVA does, so
an economy's industry shares add up to its country share ``DVX_c / EXGR_c``. (Divided by the
industry's own exports instead, upstream industries with little direct exports reached
91,020%, TWN c17 2011: a ratio with no TiVA counterpart, no longer published.)

The column sums ``sum_{k in c} v_k L_k.`` come from one transposed solve
``(I - A)' Y = V_R`` (``V_R`` holds ``v`` masked to each region), sharing the LU
factorisation with ``L E`` and the country tables (:func:`pipeline.metrics.leontief.solve_year`); summing over a region's industries gives the country DVA, FVA and
DVX of :func:`pipeline.metrics.value_chains.value_chain_year` (OECD TiVA EXGR_DVA and EXGR_FVA by
exporting industry; dvx_i is the industry's value added in foreign exports, the forward side
FEXDVAP / EXGR_DVAFXSH of OECD 2021, Guide to OECD's TiVA Indicators, 5.12-5.13). ``v`` is
the input-output residual of :func:`pipeline.metrics.io_tables.calc_v` (value added plus net
product taxes and international transport margins), not WIOD's VA row.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.metrics.io_tables import IOTable
from pipeline.metrics.leontief import SolvedYear, as_solved


def industry_value_chains(year: IOTable | SolvedYear) -> pd.DataFrame:
    """``iso3, sector, year, exgr_usd, dva_usd, fva_usd, dvx_usd`` and participation (%)."""
    system = as_solved(year)
    table, v, exports_by_region = system.table, system.v, system.exports
    region = table.region_of_row
    r = len(table.regions)
    through, domestic_share = system.through_exports, system.domestic_share
    rows = np.arange(len(v))
    exgr = exports_by_region[rows, region]
    dva = exgr * domestic_share[rows, region]
    fva = exgr - dva
    dvx = v * (through.sum(axis=1) - through[rows, region])
    country_exgr = exports_by_region.sum(axis=0)[region]
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = lambda part, base: np.where(base > 0, 100 * part / base, np.nan)  # noqa: E731
        return pd.DataFrame({
            "iso3": np.asarray(table.regions)[region],
            "sector": np.tile(table.industries, r), "year": table.year,
            "exgr_usd": exgr, "dva_usd": dva, "fva_usd": fva, "dvx_usd": dvx,
            "gvc_backward_pct": pct(fva, exgr), "gvc_forward_pct": pct(dvx, country_exgr),
        })
