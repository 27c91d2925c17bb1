"""Covariance estimators and linear combinations of coefficients.

Conventions of Stata's ``ppmlhdfe`` (Correia, Guimaraes & Zylkin 2020), so that results
match the published literature:

- robust: ``V = N/(N-1) H^-1 M H^-1``, ``H = X~' W X~``, ``M = sum_i s_i s_i'``;
- one-way cluster: ``M = sum_g (sum_{i in g} s_i)(sum_{i in g} s_i)'`` and the factor
  ``G/(G-1)`` only;

with ``X~`` the regressors after absorbing the fixed effects, ``W`` the final IRLS weights
and scores ``s_i = x~_i e_i`` (``e_i = y_i - mu_i`` for PPML, the OLS residual for OLS).
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def sandwich(xt: np.ndarray, resid: np.ndarray, weights: np.ndarray,
             clusters: np.ndarray | None = None, bread_weights: np.ndarray | None = None
             ) -> np.ndarray:
    """Robust or one-way cluster-robust covariance of the coefficients (see module doc).

    For PPML, ``weights = mu`` (bread) and ``resid = y - mu``; for OLS, ``weights = 1``.
    """
    k = xt.shape[1]
    if k == 0:
        return np.empty((0, 0))
    n = len(resid)
    bread = np.linalg.inv(xt.T @ (xt * weights[:, None]))
    scores = xt * resid[:, None]
    if clusters is None:
        meat = scores.T @ scores * n / (n - 1)
    else:
        codes, uniques = pd.factorize(clusters)
        g = len(uniques)
        summed = np.zeros((g, k))
        np.add.at(summed, codes, scores)
        meat = summed.T @ summed * g / (g - 1)
    return bread @ meat @ bread


ABSORBED = "collinear with the fixed effects"


def screen_collinear(xt: np.ndarray, x: np.ndarray, weights: np.ndarray, names: list[str],
                     tol: float = 1e-9, absorbed: bool = True) -> dict[int, str]:
    """Columns to omit, with the reason: absorbed by the fixed effects, or collinear with others.

    With fixed effects (``absorbed``), a column is *absorbed* when the weighted squared norm
    left after the within transformation, ``|x~_j|^2_W``, is below ``tol`` times its
    weighted *centred* squared norm ``sum_i w_i (x_ij - xbar_j)^2``, ``xbar_j`` the weighted
    mean (e.g. exporter GDP beside exporter-year effects, distance beside pair effects). The
    centring is right because every set of fixed effects spans the constant: the level of a
    column is absorbed anyway, only its spread can be explained or not (reghdfe compares
    the partialled-out variance with the variance, likewise). Against the uncentred norm, a
    column with a large level, e.g. ``ln_dist + 1e5``, would look absorbed and be dropped. A
    relative test (not an absolute one) is needed because an absorbed column's demeaned values
    are rounding noise of size ~1e-13 that a solver turns into coefficients of 1e12. A column
    constant to float precision (spread below 1e-12 of its level) is absorbed too. Without
    fixed effects (``absorbed=False``, ``xt`` is ``x``) no column is absorbed. The remaining
    columns go through the sequential test of :func:`collinear_columns` (as Stata's
    ``_rmcoll``). ``xt`` must be demeaned tightly.

    Returns
    -------
    dict of int to str
        Column index to reason, e.g. ``{2: "collinear with the fixed effects"}``.
    """
    sw = np.sqrt(weights)
    reasons: dict[int, str] = {}
    if absorbed:
        mean = weights @ x / weights.sum()
        raw = np.sum((x * sw[:, None]) ** 2, axis=0)
        centred = np.sum(((x - mean) * sw[:, None]) ** 2, axis=0)
        left = np.sum((xt * sw[:, None]) ** 2, axis=0)
        # a constant's centred norm is rounding noise (~1e-32 of the raw one): relative 1e-24
        constant = centred <= 1e-24 * np.maximum(raw, 1e-300)
        reasons = {j: ABSORBED for j in range(x.shape[1])
                   if constant[j] or left[j] <= tol * centred[j]}
    alive = [j for j in range(x.shape[1]) if j not in reasons]
    for pos in collinear_columns(xt[:, alive], weights, tol):
        j = alive[pos]
        others = [names[k] for k in alive[:pos] if k not in reasons]
        reasons[j] = f"collinear with {', '.join(others)}"
    return dict(sorted(reasons.items()))


def collinear_columns(xt: np.ndarray, weights: np.ndarray, tol: float = 1e-9) -> list[int]:
    """Columns that are (numerically) linear combinations of earlier ones.

    Sequential test on the weighted columns, as ``_rmcoll``: a column whose squared norm
    left after projecting on the kept columns is below ``tol`` times its own squared norm is
    dropped (a column of zeros too).
    """
    keep: list[int] = []
    dropped: list[int] = []
    sw = np.sqrt(weights)
    xw = xt * sw[:, None]
    for j in range(xw.shape[1]):
        col = xw[:, j]
        norm2 = float(col @ col)
        if norm2 <= 1e-300:
            dropped.append(j)
            continue
        if keep:
            basis = xw[:, keep]
            coef, *_ = np.linalg.lstsq(basis, col, rcond=None)
            left = col - basis @ coef
            if float(left @ left) <= tol * norm2:
                dropped.append(j)
                continue
        keep.append(j)
    return dropped


def lincom(result, weights: dict[str, float]) -> tuple[float, float]:
    """Linear combination ``a'b`` of coefficients and its delta-method standard error.

    ``se = sqrt(a' V a)``; e.g. the total effect of an agreement and its phase-in lags,
    ``lincom(res, {"rta": 1, "rta_lag4": 1, "rta_lag8": 1, "rta_lag12": 1})``.
    """
    missing = [name for name in weights if name not in result.params.index]
    if missing:
        raise KeyError(f"lincom: {missing} not among the estimated terms "
                       f"{list(result.params.index)} (omitted: {result.omitted})")
    a = pd.Series(weights, dtype=float).reindex(result.params.index, fill_value=0.0).to_numpy()
    estimate = float(a @ result.params.to_numpy())
    se = float(np.sqrt(a @ result.vcov.to_numpy() @ a))
    return estimate, se
