"""Poisson pseudo-maximum likelihood with high-dimensional fixed effects (the ppmlhdfe method).

Model: ``E[y_i | x_i, fe] = mu_i = exp(x_i'b + sum_k alpha_k[g_k(i)])`` (Santos Silva &
Tenreyro 2006), estimated by iteratively reweighted least squares (IRLS) in which every
weighted least-squares step partials the fixed effects out of the working outcome and the
regressors (Correia, Guimaraes & Zylkin 2020, "Fast Poisson estimation with
high-dimensional fixed effects", Stata Journal 20(1)):

    z = eta + (y - mu) / mu,    w = mu
    (z~, X~) = within-transformation of (z, X) with weights w
    b = (X~' W X~)^-1 X~' W z~,   eta <- z - (z~ - X~ b),   mu = exp(eta)

until the relative change of the deviance ``2 sum(y log(y/mu) - (y - mu))`` is below
``tol``. Before estimating, observations separated by the fixed effects or the regressors
are dropped (:mod:`pipeline.gravity.separation`), and so are singletons.

Standard errors follow ``ppmlhdfe``: with ``cluster=None`` the heteroskedasticity-robust
sandwich ``V = N/(N-1) H^-1 (sum_i s_i s_i') H^-1`` with ``H = X~' W X~`` and scores
``s_i = x~_i (y_i - mu_i)``; with ``cluster="col"`` the one-way cluster-robust sandwich
summing scores within clusters, times ``G/(G-1)`` only.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.gravity.absorb import Demeaner, FixedEffects, FixedEffectSpec
from pipeline.gravity.inference import sandwich, screen_collinear
from pipeline.gravity.result import FitResult
from pipeline.gravity.separation import relu_separated, zero_fe_groups_mask


INNER_TOL = 1e-12  # demeaning tolerance at convergence (relative to each column's scale)


def fit_ppml(data: pd.DataFrame, outcome: str, regressors: list[str],
             fixed_effects: list[FixedEffectSpec] | None = None, cluster: str | None = None,
             tol: float = 1e-10, max_iter: int = 1000, separation: tuple[str, ...] = ("fe", "relu"),
             ) -> FitResult:
    """Fit a Poisson model of ``outcome`` on ``regressors`` with absorbed fixed effects.

    Parameters
    ----------
    data : DataFrame
        One row per observation (e.g. exporter, importer, year).
    outcome : str
        Non-negative outcome column (trade in levels, zeros kept).
    regressors : list of str
        Slope variables. Collinear ones (after absorbing the fixed effects) are omitted and
        reported in ``res.omitted``.
    fixed_effects : list of str or tuple of str, optional
        Each a column, or a tuple of columns for an interaction (``("exporter", "year")``).
        None estimates a constant, ``res.params["const"]``.
    cluster : str, optional
        Column defining clusters for one-way cluster-robust errors; None for robust.
    tol : float
        Convergence tolerance on the relative change in deviance.
    separation : tuple of str
        Checks to run: ``"fe"`` (all-zero fixed-effect groups), ``"relu"`` (regressors and
        fixed effects jointly).

    Returns
    -------
    FitResult
        ``params``, ``std_errors``, ``vcov``, ``nobs``, ``converged``, ``dropped_obs``,
        ``fitted`` (aligned to ``data.index``, NaN where dropped), ``fixed_effects``.
    """
    separation = _separation_checks(separation)
    frame, y, x, names = _prepare(data, outcome, regressors, cluster, fixed_effects)
    specs = list(fixed_effects or [])
    fe = FixedEffects.encode(frame, specs) if specs else None
    keep = np.ones(len(y), dtype=bool)
    n_separated = n_singletons = 0
    while True:  # separation may leave singletons, whose removal may reveal separation
        sub_fe = fe.subset(keep) if fe else None
        sep, single = (zero_fe_groups_mask(y[keep], sub_fe) if "fe" in separation
                       else (np.zeros(keep.sum(), bool), np.zeros(keep.sum(), bool)))
        n_separated += int(sep.sum())
        n_singletons += int(single.sum())
        idx = np.flatnonzero(keep)
        keep[idx[sep | single]] = False
        if "relu" not in separation:
            break
        sub_fe = fe.subset(keep) if fe else None
        xr = x[keep] if fe else np.column_stack([np.ones(keep.sum()), x[keep]])
        relu = relu_separated(y[keep], xr if xr.shape[1] else None, sub_fe)
        if not relu.any():
            break
        n_separated += int(relu.sum())
        keep[np.flatnonzero(keep)[relu]] = False
    if not keep.any():
        raise ValueError(f"PPML of {outcome!r}: every observation is separated or a singleton; "
                         "check the outcome has positive values within the fixed-effect groups")
    fe = fe.subset(keep) if fe else None
    ys, xs = y[keep], x[keep]
    if fe is None:
        xs, names = np.column_stack([np.ones(len(ys)), xs]), ["const", *names]
    fit = _irls(ys, xs, names, fe, tol, max_iter)
    clusters = frame.loc[keep, cluster].to_numpy() if cluster else None
    vcov = sandwich(fit["xt"], fit["score_resid"], fit["weights"], clusters)
    fitted = pd.Series(np.nan, index=data.index, name="fitted")
    fitted.iloc[np.flatnonzero(keep)] = fit["mu"]
    kept = fit["names"]
    return FitResult(
        params=pd.Series(fit["beta"], index=kept, name="estimate"),
        vcov=pd.DataFrame(vcov, index=kept, columns=kept),
        nobs=int(len(ys)), converged=fit["converged"], iterations=fit["iterations"],
        dropped_obs=int(len(y) - len(ys)), separated_obs=n_separated,
        singleton_obs=n_singletons, deviance=fit["deviance"], omitted=fit["omitted"],
        omitted_reasons=fit["omitted_reasons"],
        fitted=fitted, fixed_effects=_effects(fe, fit) if fe else {},
        n_clusters=int(len(np.unique(clusters))) if clusters is not None else None,
        estimator="ppml",
    )


SEPARATION_CHECKS = ("fe", "relu")


def _separation_checks(separation) -> tuple[str, ...]:
    checks = (separation,) if isinstance(separation, str) else tuple(separation or ())
    unknown = [c for c in checks if c not in SEPARATION_CHECKS]
    if unknown:
        raise ValueError(f"PPML: unknown separation check(s) {unknown}; use any of "
                         f"{list(SEPARATION_CHECKS)} (ppmlhdfe's `fe` and `relu`), or () for none")
    return checks


def _prepare(data, outcome, regressors, cluster, fixed_effects, estimator="PPML"):
    """Validated outcome and regressor arrays; a clear error for each kind of bad input."""
    needed = [outcome, *regressors, *([cluster] if cluster else [])]
    for spec in fixed_effects or []:
        needed += [spec] if isinstance(spec, str) else list(spec)
    missing = [c for c in dict.fromkeys(needed) if c not in data.columns]
    if missing:
        raise KeyError(f"{estimator}: column(s) {missing} not in the data; available: "
                       f"{list(data.columns)}")
    for column in [outcome, *regressors]:
        values = data[column]
        if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
            bad = values[pd.to_numeric(values, errors="coerce").isna() & values.notna()]
            if len(bad):
                raise ValueError(f"{estimator}: column {column!r} is not numeric (values such as "
                                 f"{list(bad.unique()[:3])} in rows {list(bad.index[:5])}); "
                                 "encode it as numbers, or pass a category as a fixed effect")
    y = pd.to_numeric(data[outcome], errors="coerce").to_numpy(float)
    x = data[list(regressors)].apply(pd.to_numeric, errors="coerce").to_numpy(float) \
        if regressors else np.empty((len(data), 0))
    bad = ~np.isfinite(y) | ~np.isfinite(x).all(axis=1)
    if bad.any():
        raise ValueError(f"{estimator}: {int(bad.sum())} rows have a missing or non-numeric value in "
                         f"{[outcome, *regressors]} (first rows: {list(data.index[bad][:5])}); "
                         "drop or fill them before fitting")
    if cluster and data[cluster].isna().any():
        rows = data.index[data[cluster].isna()]
        # factorize would code them -1 and sum them into one cluster: errors shrink silently
        raise ValueError(f"{estimator}: cluster column {cluster!r} is missing in {len(rows)} rows "
                         f"(first rows: {list(rows[:5])}); fill it (e.g. the pair id) or drop "
                         "those rows: missing values are not one cluster")
    if (y < 0).any():
        raise ValueError(f"{estimator}: {outcome!r} has {int((y < 0).sum())} negative values "
                         f"(first rows: {list(data.index[y < 0][:5])}); Poisson and log-linear "
                         "gravity need a non-negative outcome")
    if not (y > 0).any():
        raise ValueError(f"{estimator}: {outcome!r} is zero in all {len(y)} rows; there is nothing "
                         "to estimate (check the unit conversion and the sample selection)")
    return data, y, x, list(regressors)


def _irls(y, x, names, fe, tol, max_iter):
    demeaner = Demeaner(fe) if fe else None
    mean = y.mean()
    mu = np.maximum((y + mean) / 2, 1e-3)
    eta = np.log(mu)
    deviance_old = np.inf
    keys = ["z", *names]
    omitted: dict[str, str] = {}
    active = list(range(x.shape[1]))
    converged = False
    inner_tol = 1e-4  # loose while far from the optimum, tightened as the deviance settles
    for iteration in range(1, max_iter + 1):
        if demeaner:
            demeaner.tol = inner_tol
        z = eta + (y - mu) / mu
        stacked = np.column_stack([z, x[:, active]])
        tilde = demeaner.demean(stacked, mu, [keys[0]] + [keys[1 + j] for j in active]) \
            if demeaner else stacked
        zt, xt = tilde[:, 0], tilde[:, 1:]
        if iteration == 1:
            # the loose first-pass demeaning cannot tell an absorbed column from a weak one
            tight = demeaner.demean_tight(x, mu, names, INNER_TOL) if demeaner else x
            reasons = screen_collinear(tight, x, mu, names, absorbed=demeaner is not None)
            omitted = {names[j]: why for j, why in reasons.items()}
            active = [a for a in active if a not in reasons]
            xt = np.delete(tight, list(reasons), axis=1)
        xw = xt * mu[:, None]
        beta = np.linalg.solve(xt.T @ xw, xw.T @ zt) if xt.shape[1] else np.empty(0)
        resid = zt - xt @ beta
        eta = z - resid
        mu = np.exp(eta)
        deviance = 2 * np.sum(np.where(y > 0, y * np.log(np.where(y > 0, y, 1) / mu), 0) - (y - mu))
        change = abs(deviance - deviance_old) / max(abs(deviance), 0.1)
        if change < tol and inner_tol <= INNER_TOL:
            converged = True
            break
        inner_tol = max(INNER_TOL, min(inner_tol, 0.1 * change))
        deviance_old = deviance
    if not converged:
        raise RuntimeError(f"PPML did not converge in {max_iter} iterations (deviance "
                           f"{deviance:.6g}); check for separation or rescale the outcome")
    kept = [names[a] for a in active]
    return {"beta": beta, "names": kept, "mu": mu, "xt": xt, "score_resid": y - mu,
            "weights": mu, "iterations": iteration, "converged": converged,
            "deviance": float(deviance), "omitted": list(omitted), "omitted_reasons": omitted,
            "demeaner": demeaner, "x": x[:, active],
            "eta": eta}


def _effects(fe, fit) -> dict[str, pd.Series]:
    """Fixed effects such that ``eta = X b + sum_k effect_k`` at the estimates.

    One more projection of ``eta - X b`` (which lies in the span of the fixed effects) on the
    fixed effects at the final weights recovers them. How a constant is split between two
    effects is not identified; the split is the projection's, the sums are exact.
    """
    offset = fit["eta"] - fit["x"] @ fit["beta"]
    demeaner = Demeaner(fe, tol=1e-14)
    demeaner.demean(offset[:, None], fit["weights"], ["offset"])
    alphas = demeaner.alphas["offset"]
    return {name: pd.Series(alpha, index=level, name=name)
            for name, alpha, level in zip(fe.names, alphas, fe.levels)}
