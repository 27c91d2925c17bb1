"""Trade in value added (TiVA) from one MRIO year: EXGR, DVA, FVA, DVX, value added absorbed.

Definitions follow the OECD TiVA indicators guide (OECD, *Guide to OECD TiVA Indicators*,
2021 ed., indicators EXGR, EXGR_DVA, EXGR_FVA, DEXFVAP, FFD_DVA) and Koopman, Wang & Wei
(2014, AER 104(2)): the value-added content of gross exports is

    VS = diag(v) L diag(e),   v = 1' - 1'A,   L = (I - A)^-1,

with ``e_j`` the gross exports of industry ``j`` (intermediate and final sales to every
foreign region). For an industry ``j`` of region ``s``:

* ``EXGR_j = e_j``;
* ``DVA_j  = sum_{i in s} VS_ij`` (EXGR_DVA: domestic value added in gross exports);
* ``FVA_j  = sum_{i not in s} VS_ij`` (EXGR_FVA), by source region ``r``: ``sum_{i in r}``;
* ``DVX_i  = sum_{j not in region(i)} VS_ij`` for an industry ``i`` (DEXFVAP: its value added
  in other regions' gross exports), by exporting region ``c``: ``sum_{j in c}``;
* backward participation = FVA / EXGR, forward = DVX / EXGR, participation = their sum
  (KWW 2014, sec. V; TiVA ``EXGR_FVASH`` and ``DEXFVAP`` / EXGR), all in percent;
* value added of region ``r`` absorbed by final demand of region ``d`` (FFD_DVA):
  ``sum_{i in r} v_i (L y_d)_i``.

Since ``v L = 1'`` exactly, ``DVA + FVA = EXGR`` holds to floating-point precision whatever the
rounding of the table. Nothing forms ``L``: one LU factorization of ``I - A`` serves two
multi-right-hand-side solves (``L' V_R`` and ``L [E_R, Y]``, ``R`` regions each).
Values are in the unit of the table (USD for the canonical table).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.metrics.io_tables import MRIO
from pipeline.metrics.leontief import calc_A, calc_v, factorize, solve_L, solve_L_transposed


@dataclass(frozen=True)
class ValueChains:
    """TiVA results of one year; ``n`` industries (region-major), ``R`` regions, USD.

    ``exgr, dva, fva, dvx`` are per industry ``(n,)``; ``fva_by_source[r, s]`` is region
    ``r``'s value added in region ``s``'s exports; ``dvx_by_exporter[r, c]`` the same flow seen
    from the origin (so ``dvx_by_exporter == fva_by_source`` off the diagonal);
    ``va_absorbed[r, d]`` region ``r``'s value added absorbed by region ``d``'s final demand.
    """

    exgr: np.ndarray
    dva: np.ndarray
    fva: np.ndarray
    dvx: np.ndarray
    va_by_source: np.ndarray
    dvx_by_exporter: np.ndarray
    va_absorbed: np.ndarray
    value_added: np.ndarray
    final_demand: np.ndarray

    @property
    def fva_by_source(self) -> np.ndarray:
        """``(R, R)``: value added of source ``r`` (rows) in exports of region ``s`` (cols),
        zero on the diagonal (that is DVA)."""
        out = self.va_by_source.copy()
        np.fill_diagonal(out, 0.0)
        return out


def calc_exports(mrio: MRIO) -> np.ndarray:
    """Gross exports per industry, ``e_i = sum_{j not in s} z_ij + sum_{d != s} y_id`` (USD)."""
    n_s, n_r = mrio.n_sectors, len(mrio.regions)
    region = mrio.region_of_row
    Z_by_region = mrio.Z.reshape(mrio.Z.shape[0], n_r, n_s).sum(axis=2)
    to_all = Z_by_region.sum(axis=1) + mrio.Y.sum(axis=1)
    domestic = Z_by_region[np.arange(len(region)), region] + mrio.Y[np.arange(len(region)), region]
    return to_all - domestic


def _by_region(values: np.ndarray, n_regions: int) -> np.ndarray:
    """Sum the rows of ``values`` ((n,) or (n, k)) within each region (rows are region-major)."""
    return values.reshape((n_regions, -1) + values.shape[1:]).sum(axis=1)


def calc_value_chains(mrio: MRIO) -> ValueChains:
    """EXGR, DVA, FVA, DVX and value added absorbed for one MRIO year (module docstring).

    Cost: one LU of ``I - A`` (``2n^3/3`` flops) and solves with ``3R`` right-hand sides.
    """
    n_r = len(mrio.regions)
    n = mrio.x.shape[0]
    region = mrio.region_of_row
    rows = np.arange(n)
    A = calc_A(mrio.Z, mrio.x)
    v = calc_v(A)
    e = calc_exports(mrio)
    lu = factorize(A)

    # V_R[i, r] = v_i if i in r: (V_R' L)[r, j] = value added of region r per unit of j's output.
    V_R = np.zeros((n, n_r))
    V_R[rows, region] = v
    VB = solve_L_transposed(lu, V_R).T            # (R, n)
    va_by_industry = VB * e[None, :]             # (R, n): region r's VA in exports of j
    dva = va_by_industry[region, rows]
    # Summed from the other regions' rows (not e - dva), so DVA + FVA = EXGR tests v L = 1'.
    fva = va_by_industry.sum(axis=0) - dva

    # E_R[j, c] = e_j if j in c; L [E_R, Y] gives output needed for each region's exports and
    # for each region's final demand.
    E_R = np.zeros((n, n_r))
    E_R[rows, region] = e
    out = solve_L(lu, np.hstack([E_R, mrio.Y]))
    va_in_exports_of = v[:, None] * out[:, :n_r]  # (n, R): industry i's VA in c's exports
    own = va_in_exports_of[rows, region]
    dvx = va_in_exports_of.sum(axis=1) - own
    return ValueChains(
        exgr=e, dva=dva, fva=fva, dvx=dvx,
        va_by_source=_by_region(va_by_industry.T, n_r).T,
        dvx_by_exporter=_by_region(va_in_exports_of, n_r),
        va_absorbed=_by_region(v[:, None] * out[:, n_r:], n_r),
        value_added=v * mrio.x,
        final_demand=mrio.Y.sum(axis=0),
    )


def participation_pct(fva: np.ndarray, dvx: np.ndarray, exgr: np.ndarray) -> dict[str, np.ndarray]:
    """GVC participation in percent of gross exports (NaN where EXGR = 0).

    ``backward = 100 FVA/EXGR``, ``forward = 100 DVX/EXGR``, ``participation = backward +
    forward`` (Koopman, Wang & Wei 2014; OECD TiVA EXGR_FVASH, DEXFVAP).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        back = np.where(exgr > 0, 100.0 * fva / exgr, np.nan)
        fwd = np.where(exgr > 0, 100.0 * dvx / exgr, np.nan)
    return {"gvc_backward_pct": back, "gvc_forward_pct": fwd, "gvc_participation_pct": back + fwd}
