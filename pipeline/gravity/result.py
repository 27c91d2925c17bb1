"""The result of a gravity regression (PPML or OLS with absorbed fixed effects)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class FitResult:
    """Estimates, their covariance and what was dropped.

    Attributes
    ----------
    params, std_errors : Series
        Coefficients and standard errors by regressor (``const`` without fixed effects).
    vcov : DataFrame
        Covariance matrix of ``params``.
    nobs : int
        Observations used (after dropping separated observations and singletons).
    dropped_obs : int
        Observations dropped: ``separated_obs + singleton_obs`` (+ zeros for OLS).
    fitted : Series
        Fitted mean of the outcome, aligned to the input index; NaN where dropped.
    fixed_effects : dict of str to Series
        Estimated effects by level, keyed ``"exporter^year"``, ``"pair"`` ...; with
        ``log(fitted) = X b + sum of the effects`` on every used row.
    omitted : list of str
        Regressors dropped as collinear with the fixed effects or each other.
    omitted_reasons : dict of str to str
        Why each omitted regressor was dropped (``"collinear with the fixed effects"``,
        ``"collinear with ln_dist, rta"``).
    """

    params: pd.Series
    vcov: pd.DataFrame
    nobs: int
    converged: bool
    iterations: int
    dropped_obs: int
    separated_obs: int
    singleton_obs: int
    deviance: float
    omitted: list[str]
    fitted: pd.Series
    fixed_effects: dict[str, pd.Series] = field(default_factory=dict)
    n_clusters: int | None = None
    estimator: str = "ppml"
    omitted_reasons: dict[str, str] = field(default_factory=dict)

    @property
    def std_errors(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.vcov.to_numpy())), index=self.params.index,
                         name="std_error")

    def table(self) -> pd.DataFrame:
        """Tidy coefficient table: term, estimate, std_error, z, p_value, nobs."""
        from scipy.stats import norm

        se = self.std_errors
        z = self.params / se
        return pd.DataFrame({
            "term": self.params.index, "estimate": self.params.to_numpy(),
            "std_error": se.to_numpy(), "z": z.to_numpy(),
            "p_value": 2 * norm.sf(np.abs(z.to_numpy())), "nobs": self.nobs,
        })
