"""Multi-regional input-output tables: from the long canonical layout to matrices, and back.

Layout assumption (WIOD 2013 and OECD ICIO alike, once mapped to the canonical
``input_output`` table): rows are (region, industry) pairs; a column is an industry of a
region (intermediate use), a final-demand category of a region (any ``col_sector`` that is
not an industry code and not ``GO``), or ``GO`` (gross output of the row industry). Regions
and industries are ordered region-major, industries sorted as in the table.

Textbook relations (Miller & Blair 2009, *Input-Output Analysis*, ch. 2):

    A = Z diag(x)^-1            technical coefficients
    L = (I - A)^-1              Leontief inverse
    v = 1' (I - A) = 1 - 1'A    input-output residual per unit of output (so that v L = 1')

What ``v`` holds depends on the table. A table that lists only intermediate use, final use and
gross output (the WIOD 2013 extract here: ``inter``, ``final``, ``output``) gives
``x_j - sum_i Z_ij`` = value added at basic prices (WIOD row VA) + taxes less subsidies on
products (TXSP) + the cif/fob and residents' / non-residents' purchase adjustments (EXP_adj,
PURR, PURNR) + international transport margins (IntTTM): every row of the table below the
intermediate block, not value added alone. WIOD's VA row is not in this
extract, so the "value added" of the value-chain tables is this wider residual, not TiVA's
VALU / PROD (VALU is value added at basic prices).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.linalg

GROSS_OUTPUT = "GO"


@dataclass(frozen=True)
class IOTable:
    """One year of an MRIO table in matrix form (values in USD).

    Attributes
    ----------
    regions, industries : list of str
        Row/column labels; ``N = len(regions) * len(industries)``.
    z : ndarray (N x N)
        Intermediate use.
    f : ndarray (N x R)
        Final demand of each region (all categories summed) for each supplying industry.
    x : ndarray (N)
        Gross output.
    """

    year: int
    regions: list[str]
    industries: list[str]
    z: np.ndarray
    f: np.ndarray
    x: np.ndarray

    @property
    def region_of_row(self) -> np.ndarray:
        """Index of the region of each of the N rows (region-major layout)."""
        return np.repeat(np.arange(len(self.regions)), len(self.industries))


def io_table_from_long(frame: pd.DataFrame | pa.Table) -> IOTable:
    """Pivot one year of the canonical ``input_output`` table (a pandas frame, or an Arrow table
    as :class:`pipeline.warehouse.parquet.PartitionedTable` reads it) back to Z, F and x.

    One pass: each row's cell in the N x (N + R + 1) block ``[Z F x]`` is looked up from its
    label codes, and one weighted ``bincount`` sums the values into it (duplicates add up)."""
    years = pd.unique(frame["year"].to_numpy())
    if len(years) != 1:
        raise ValueError(f"input_output: expected one year, got {sorted(years.tolist())}")
    row_region, regions = _codes(frame, "row_iso3")  # regions in order of first appearance
    row_sector, sectors = _codes(frame, "row_sector")
    col_region, using = _codes(frame, "col_iso3")
    col_sector, columns = _codes(frame, "col_sector")
    industries = sorted(sectors, key=_industry_order)
    r_index = {r: i for i, r in enumerate(regions)}
    s_index = {s: i for i, s in enumerate(industries)}
    if missing := [c for c in using if c not in r_index]:
        raise ValueError(f"input_output {years[0]}: using regions {missing[:5]} never supply; "
                         "the table must be square in regions")
    n_ind, r = len(industries), len(regions)
    n, width = r * n_ind, r * n_ind + r + 1
    # row of each (region code, sector code); column of each (using region code, column code)
    rows = np.array([r_index[c] for c in regions])[:, None] * n_ind + np.array([s_index[c] for c in sectors])[None, :]
    used = np.array([r_index[c] for c in using])[:, None]
    kind = np.array([_column_kind(c, s_index) for c in columns])[None, :]
    cols = np.where(kind >= 0, used * n_ind + kind, np.where(kind == FINAL, n + used, n + r))
    flat = rows[row_region, row_sector].astype(np.int64) * width + cols[col_region, col_sector]
    block = np.bincount(flat, weights=np.asarray(frame["value_usd"].to_numpy(), dtype=float), minlength=n * width)
    block = block.reshape(n, width)
    return IOTable(int(years[0]), list(regions), industries, np.ascontiguousarray(block[:, :n]),
                   np.ascontiguousarray(block[:, n:n + r]), block[:, n + r].copy())


FINAL, GROSS = -1, -2  # column kinds besides an industry's index


def _column_kind(code: str, industry_index: dict[str, int]) -> int:
    """An industry's index for intermediate use; FINAL for a final-demand category; GROSS for GO."""
    return GROSS if code == GROSS_OUTPUT else industry_index.get(code, FINAL)


def _codes(frame: pd.DataFrame | pa.Table, name: str) -> tuple[np.ndarray, list[str]]:
    """Integer codes of a label column and its labels in order of first appearance (whatever
    order a Parquet dictionary holds them in)."""
    if isinstance(frame, pd.DataFrame):
        codes, labels = pd.factorize(frame[name], sort=False)
        return codes, list(labels)
    column = frame[name]
    if not pa.types.is_dictionary(column.type):  # read as strings: encode here
        column = pa.chunked_array([pc.dictionary_encode(column.combine_chunks())])
    column = column.unify_dictionaries()  # row groups read with dictionaries of their own
    if not column.num_chunks:
        return np.zeros(0, np.int64), []
    codes = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in column.chunks])
    labels = column.chunk(0).dictionary.to_pylist()
    first = np.full(len(labels), len(codes))
    np.minimum.at(first, codes, np.arange(len(codes)))
    present = np.argsort(first, kind="stable")[: int((first < len(codes)).sum())]
    renumber = np.zeros(len(labels), np.int32)
    renumber[present] = np.arange(len(present))
    return renumber[codes], [labels[i] for i in present]


def _industry_order(code: str):
    """c1, c2, ..., c35 in numeric order; other codes alphabetically after them."""
    digits = code[1:] if code[:1].isalpha() else ""
    return (0, int(digits), code) if digits.isdigit() else (1, 0, code)


def calc_a(z: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Technical coefficients ``A = Z diag(x)^-1`` (columns of zero output stay zero)."""
    a = z / np.where(x > 0, x, 1.0)[None, :]
    a[:, ~(x > 0)] = 0.0
    return a


def calc_v(a: np.ndarray) -> np.ndarray:
    """Primary-input coefficients ``v = 1 - column sums of A`` (so that ``v L = 1'``): value added
    plus net product taxes and international transport margins per unit of output where, as in
    the WIOD extract, the table has no value-added row (module docstring)."""
    return 1.0 - a.sum(axis=0)


def calc_l(a: np.ndarray) -> np.ndarray:
    """Leontief inverse ``L = (I - A)^-1`` (use :func:`leontief_solve` when only ``L B`` is needed)."""
    return np.linalg.inv(np.eye(len(a)) - a)


def leontief_solve(a: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """``L B = (I - A)^-1 B`` by one LU factorisation, without forming ``L``."""
    lu = scipy.linalg.lu_factor(np.eye(len(a)) - a, check_finite=False)
    return scipy.linalg.lu_solve(lu, rhs, check_finite=False)
