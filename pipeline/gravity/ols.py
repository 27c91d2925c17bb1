"""Log-linear OLS gravity with absorbed fixed effects, for comparison with PPML.

``log y_i = x_i'b + sum_k alpha_k[g_k(i)] + e_i`` on the observations with ``y_i > 0``
(zeros cannot be logged: the selection that Santos Silva & Tenreyro 2006 warn about). The
fixed effects are partialled out (Frisch-Waugh-Lovell) and the slopes estimated on the
demeaned data. Errors: robust ``N/(N-K)`` or one-way clustered ``G/(G-1) (N-1)/(N-K)``
(Stata ``regress`` conventions, K = slopes; the absorbed effects are not counted, as with
``reghdfe`` when they are nested in the clusters).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.gravity.absorb import Demeaner, FixedEffects, FixedEffectSpec, singleton_mask
from pipeline.gravity.inference import collinear_columns, sandwich
from pipeline.gravity.ppml import _prepare
from pipeline.gravity.result import FitResult


def fit_ols(data: pd.DataFrame, outcome: str, regressors: list[str],
            fixed_effects: list[FixedEffectSpec] | None = None, cluster: str | None = None
            ) -> FitResult:
    """Fit ``log(outcome)`` on ``regressors`` with absorbed fixed effects (see module doc)."""
    frame, y, x, names = _prepare(data, outcome, regressors, cluster, fixed_effects)
    keep = y > 0
    specs = list(fixed_effects or [])
    fe = FixedEffects.encode(frame, specs) if specs else None
    n_single = 0
    if fe is not None:
        single = singleton_mask(fe.subset(keep))
        n_single = int(single.sum())
        keep[np.flatnonzero(keep)[single]] = False
        fe = fe.subset(keep)
    ly, xs = np.log(y[keep]), x[keep]
    if fe is None:
        xs, names = np.column_stack([np.ones(len(ly)), xs]), ["const", *names]
    ones = np.ones(len(ly))
    stacked = np.column_stack([ly, xs])
    tilde = Demeaner(fe, tol=1e-13).demean(stacked, ones, ["y", *names]) if fe else stacked
    lyt, xt = tilde[:, 0], tilde[:, 1:]
    drop = collinear_columns(xt, ones)
    omitted = [names[j] for j in drop]
    xt = np.delete(xt, drop, axis=1)
    kept = [n for j, n in enumerate(names) if j not in drop]
    beta = np.linalg.lstsq(xt, lyt, rcond=None)[0]
    resid = lyt - xt @ beta
    n, k = len(ly), xt.shape[1]
    clusters = frame.loc[keep, cluster].to_numpy() if cluster else None
    vcov = sandwich(xt, resid, ones, clusters) * (
        (n - 1) / (n - k) if clusters is not None else (n - 1) / (n - k))
    fitted = pd.Series(np.nan, index=data.index, name="fitted")
    fitted.iloc[np.flatnonzero(keep)] = np.exp(ly - resid)
    return FitResult(
        params=pd.Series(beta, index=kept, name="estimate"),
        vcov=pd.DataFrame(vcov, index=kept, columns=kept), nobs=n, converged=True,
        iterations=1, dropped_obs=int(len(y) - n), separated_obs=0, singleton_obs=n_single,
        deviance=float(resid @ resid), omitted=omitted, fitted=fitted,
        n_clusters=int(len(np.unique(clusters))) if clusters is not None else None,
        estimator="ols",
    )
