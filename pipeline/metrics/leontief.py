"""One Leontief solve per table year, shared by every value-chain output.

For one MRIO year (:class:`pipeline.metrics.io_tables.IOTable`) the value-chain tables need
(Miller & Blair 2009, ch. 2; OECD 2021, *Guide to OECD's TiVA Indicators*, sections 5-6):

    A = Z diag(x)^-1,   v = 1 - 1'A,   E (N x R) the gross exports of each region's industries,
    L E and L F         (value added in exports and in final demand, TiVA EXGR_BSCI, FD_VA),
    Y = L' V_R          (V_R: v masked to each region; column sums of L by region, for the
                         domestic value-added share of each exporting industry)

with ``L = (I - A)^-1``. :func:`solve_year` factorises ``I - A`` once (LU with partial
pivoting, LAPACK ``getrf``) and solves the 2R right-hand sides of ``[E F]`` and, with the same
factors transposed, the R of ``V_R``: ``L`` itself is never formed (an explicit inverse costs
about three times the factorisation and is less accurate).

Dense, not sparse: on WIOD 2013 (2011) ``A`` has 20% non-zero cells, and SuperLU's factors
fill in to 82% of the dense matrix, so ``splu`` is no faster than ``lu_factor`` (0.21 s against
0.20 s on this machine). Not measured on a real OECD ICIO table (none in ../shared).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from pipeline.metrics.io_tables import IOTable, calc_a, calc_v


def calc_exports(table: IOTable) -> np.ndarray:
    """``E`` (N x R): column c holds the gross exports of c's industries, zero elsewhere.

    ``e_i = sum_{j not in c(i)} Z_ij + sum_{d != c(i)} F_id`` (TiVA EXGR by exporting industry):
    sales to other regions' industries and final users."""
    region = table.region_of_row
    r, n_ind = len(table.regions), len(table.industries)
    to_region = table.z.reshape(len(region), r, n_ind).sum(axis=2) + table.f  # N x R: sales by buyer
    rows = np.arange(len(region))
    exports = np.zeros((len(region), r))
    exports[rows, region] = to_region.sum(axis=1) - to_region[rows, region]
    return exports


@dataclass(frozen=True)
class SolvedYear:
    """The arrays of one year that every value-chain output reads (values in USD).

    Attributes
    ----------
    table : IOTable
    v : ndarray (N)
        ``1 - 1'A``: value added (the input-output residual, :func:`calc_v`) per unit of output.
    exports : ndarray (N x R)
        ``E`` of :func:`calc_exports`.
    through_exports : ndarray (N x R)
        ``L E``: output of every industry needed for each region's gross exports.
    through_final : ndarray (N x R)
        ``L F``: output of every industry needed for each region's final demand.
    domestic_share : ndarray (N x R)
        ``L' V_R``: row i, column c is ``sum_{k in c} v_k L_ki``, the value added of region c
        per unit of industry i's final output.
    """

    table: IOTable
    v: np.ndarray
    exports: np.ndarray
    through_exports: np.ndarray
    through_final: np.ndarray
    domestic_share: np.ndarray


def solve_year(table: IOTable) -> SolvedYear:
    """Factorise ``I - A`` once and solve for ``L E``, ``L F`` and ``L' V_R`` (3R right-hand sides)."""
    a = calc_a(table.z, table.x)
    v = calc_v(a)
    np.negative(a, out=a)
    a[np.diag_indices_from(a)] += 1.0  # I - A, in place: one N x N array less at ICIO size
    lu = scipy.linalg.lu_factor(a, overwrite_a=True, check_finite=False)
    exports = calc_exports(table)
    r = len(table.regions)
    solved = scipy.linalg.lu_solve(lu, np.hstack([exports, table.f]), check_finite=False)
    masked_v = np.zeros((len(v), r))
    masked_v[np.arange(len(v)), table.region_of_row] = v
    domestic_share = scipy.linalg.lu_solve(lu, masked_v, trans=1, check_finite=False)
    return SolvedYear(table, v, exports, solved[:, :r], solved[:, r:], domestic_share)


def as_solved(year: IOTable | SolvedYear) -> SolvedYear:
    """``year`` solved (:func:`solve_year`) unless it already is: callers given a solved year
    share its factorisation."""
    return year if isinstance(year, SolvedYear) else solve_year(year)
