"""Log-linear OLS gravity with absorbed fixed effects, for comparison with PPML.

``log y_i = x_i'b + sum_k alpha_k[g_k(i)] + e_i`` on the observations with ``y_i > 0``
(zeros cannot be logged: the selection that Santos Silva & Tenreyro 2006 warn about). The
fixed effects are partialled out (Frisch-Waugh-Lovell) and the slopes estimated on the
demeaned data. Errors: robust ``N/(N-K)`` or one-way clustered ``G/(G-1) (N-1)/(N-K)``,
the conventions of Stata's ``regress`` with the effects as dummies, which the Advanced Guide
runs (``RTAsEffects.do``: ``regress ln_trade EXPORTER_TIME_FE* IMPORTER_TIME_FE* ...,
cluster(pair_id)``): ``K`` counts the slopes *and* the absorbed effects' parameters,
``K_fe = G_1 + sum_{k>1} (G_k - c_k)`` with ``c_k`` the connected components of the
bipartite graph of effects 1 and k (exact for two effects; ``reghdfe``'s count otherwise).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.gravity.absorb import Demeaner, FixedEffects, FixedEffectSpec, singleton_mask
from pipeline.gravity.inference import sandwich, screen_collinear
from pipeline.gravity.ppml import _prepare
from pipeline.gravity.result import FitResult


def fit_ols(data: pd.DataFrame, outcome: str, regressors: list[str],
            fixed_effects: list[FixedEffectSpec] | None = None, cluster: str | None = None
            ) -> FitResult:
    """Fit ``log(outcome)`` on ``regressors`` with absorbed fixed effects (see module doc)."""
    frame, y, x, names = _prepare(data, outcome, regressors, cluster, fixed_effects, "OLS")
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
    reasons = screen_collinear(xt, xs, ones, names, absorbed=fe is not None)
    omitted = [names[j] for j in reasons]
    xt = np.delete(xt, list(reasons), axis=1)
    kept = [n for j, n in enumerate(names) if j not in reasons]
    beta = np.linalg.lstsq(xt, lyt, rcond=None)[0]
    resid = lyt - xt @ beta
    n, k = len(ly), xt.shape[1] + (absorbed_dof(fe) if fe else 0)
    clusters = frame.loc[keep, cluster].to_numpy() if cluster else None
    # sandwich() applies N/(N-1) (robust) or G/(G-1) (cluster); (N-1)/(N-K) completes regress's
    vcov = sandwich(xt, resid, ones, clusters) * (n - 1) / (n - k)
    fitted = pd.Series(np.nan, index=data.index, name="fitted")
    fitted.iloc[np.flatnonzero(keep)] = np.exp(ly - resid)
    return FitResult(
        params=pd.Series(beta, index=kept, name="estimate"),
        vcov=pd.DataFrame(vcov, index=kept, columns=kept), nobs=n, converged=True,
        iterations=1, dropped_obs=int(len(y) - n), separated_obs=0, singleton_obs=n_single,
        deviance=float(resid @ resid), omitted=omitted, fitted=fitted,
        omitted_reasons={names[j]: why for j, why in reasons.items()},
        n_clusters=int(len(np.unique(clusters))) if clusters is not None else None,
        estimator="ols",
    )


def absorbed_dof(fe: FixedEffects) -> int:
    """Parameters the fixed effects absorb: the rank of their dummies (see module doc)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    first, size = fe.codes[0], fe.sizes[0]
    dof = size
    for code, g in zip(fe.codes[1:], fe.sizes[1:]):
        graph = coo_matrix((np.ones(len(code)), (first, code + size)), shape=(size + g,) * 2)
        n_comp = connected_components(graph, directed=False)[0]
        dof += g - n_comp  # one level per connected component is already spanned
    return dof
