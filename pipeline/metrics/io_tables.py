"""One year of a multi-regional input-output (MRIO) table as dense arrays, from the long form.

Layout assumption (the same for WIOD 2013 and OECD ICIO bulk files): the canonical
``input_output`` table has one row per non-zero cell ``(year, row_iso3, row_sector, col_iso3,
col_sector, value_usd)``. A column whose ``col_sector`` is one of the supplying industry codes
is intermediate use (``Z``); ``GO`` is the supplying industry's gross output (``x``); any
other ``col_sector`` is a final-demand category (household, government, GFCF, inventories,
...) and is summed into that region's final demand (``Y``). An OECD ICIO CSV (rows
``AUS_D01T02``.., columns ``AUS_D01T02``.. then ``AUS_HFCE``.. and ``OUT``) therefore loads
once its reader splits the ``REGION_CODE`` labels into iso3 and sector and renames ``OUT`` to
``GO``; value-added rows (``VA``/``TLS``) are not needed because ``v = 1 - 1'A``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

GROSS_OUTPUT = "GO"


@dataclass(frozen=True)
class MRIO:
    """Dense arrays of one MRIO year, regions major and industries minor (``n = R * S``).

    Attributes
    ----------
    regions, sectors : list of str
        Region (ISO3) and industry codes, in the order of the rows.
    Z : ndarray (n, n)
        Intermediate use, USD.
    Y : ndarray (n, R)
        Final demand of each region (categories summed), USD.
    x : ndarray (n,)
        Gross output, USD (as published; see ``row_imbalance``).
    """

    year: int
    regions: list[str]
    sectors: list[str]
    Z: np.ndarray
    Y: np.ndarray
    x: np.ndarray

    @property
    def n_sectors(self) -> int:
        return len(self.sectors)

    @property
    def region_of_row(self) -> np.ndarray:
        """Index of the region of each of the ``n`` rows."""
        return np.repeat(np.arange(len(self.regions)), self.n_sectors)

    def row_imbalance(self) -> np.ndarray:
        """``x - (Z 1 + Y 1)``: how far the published output is from the row sums (rounding)."""
        return self.x - self.Z.sum(axis=1) - self.Y.sum(axis=1)


def mrio_from_long(frame: pd.DataFrame, year: int | None = None) -> MRIO:
    """Pivot one year of the long ``input_output`` table into an :class:`MRIO`.

    Raises ``ValueError`` naming the year and the offending rows when the table is not square
    (an intermediate user that is not a supplying industry) or gross output is missing.
    """
    if year is not None:
        frame = frame[frame["year"] == year]
    if frame.empty:
        raise ValueError(f"input_output has no rows for year {year}: check core__input_output")
    years = frame["year"].unique()
    if len(years) != 1:
        raise ValueError(f"mrio_from_long needs one year, got {sorted(years)}: pass year=")
    regions = list(pd.unique(frame["row_iso3"]))
    sectors = list(pd.unique(frame["row_sector"]))
    n_s = len(sectors)
    n = len(regions) * n_s
    region_ix = {r: i for i, r in enumerate(regions)}
    sector_ix = {s: i for i, s in enumerate(sectors)}
    row = (frame["row_iso3"].map(region_ix).to_numpy() * n_s
           + frame["row_sector"].map(sector_ix).to_numpy())
    col_region = frame["col_iso3"].map(region_ix)
    if col_region.isna().any():
        bad = frame.loc[col_region.isna(), "col_iso3"].unique()[:5]
        raise ValueError(f"input_output {years[0]}: users {list(bad)} are not supplying regions; "
                         "the table must be square (add their rows or drop their columns)")
    col_region = col_region.to_numpy().astype(int)
    col_sector = frame["col_sector"].to_numpy()
    values = frame["value_usd"].to_numpy(dtype="float64")
    is_go = col_sector == GROSS_OUTPUT
    inter_ix = frame["col_sector"].map(sector_ix)
    is_inter = inter_ix.notna().to_numpy()
    is_final = ~is_go & ~is_inter

    Z = np.zeros((n, n))
    Y = np.zeros((n, len(regions)))
    x = np.zeros(n)
    Z_cols = col_region[is_inter] * n_s + inter_ix[is_inter].to_numpy().astype(int)
    np.add.at(Z, (row[is_inter], Z_cols), values[is_inter])
    np.add.at(Y, (row[is_final], col_region[is_final]), values[is_final])
    np.add.at(x, row[is_go], values[is_go])
    if not is_go.any():
        raise ValueError(f"input_output {years[0]}: no col_sector == 'GO' rows (gross output); "
                         "the reader must emit them")
    return MRIO(int(years[0]), regions, sectors, Z, Y, x)
