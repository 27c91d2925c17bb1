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


def collinear_columns(xt: np.ndarray, weights: np.ndarray, tol: float = 1e-9) -> list[int]:
    """Columns that are (numerically) linear combinations of earlier ones or of the effects.

    Sequential test on the weighted cross-product, as ``reghdfe``'s ``rmcoll``: a column whose
    squared norm left after projecting on the kept columns is below ``tol`` times its own
    squared norm (before absorbing, columns of all zeros count as collinear).
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
