"""Confidence intervals for a scenario's general-equilibrium results by Monte Carlo.

The method of ``MonteCarloGE`` in USITC's ``gegravity`` (Herman 2021, v0.3): draw the agreement coefficient from its estimated sampling distribution,
``b_k ~ N(b_hat, se(b_hat)^2)``, re-solve the counterfactual for each draw and report
percentiles of every country's results across the draws. Here each draw keeps the calibrated
baseline equilibrium (it reproduces the baseline year's fitted flows whatever the draw) and
changes the scenario's costs, ``t'_ij(b_k) = t_ij exp(b_k (rta'_ij - rta_ij))``, then solves
the full-endowment GE (:func:`pipeline.gravity.ge.solver.full_endowment_ge`, all draws at once
in :mod:`pipeline.gravity.ge.batch`) from the baseline. With ``se = 0`` (a given coefficient,
or zero variance) every draw is the point estimate and the interval collapses onto it.

Output per country: the ``low`` and ``high`` percentiles (5th and 95th by default) of the
percent change in real GDP ``Y_i / P_i`` and in international exports, in percent.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.gravity.ge.batch import full_endowment_batch
from pipeline.gravity.ge.solver import Equilibrium

CHUNK = 100  # draws solved together: 100 x N x N costs (8 MB at the 69-country panel)
INTERVAL_COLUMNS = ["pct_change_real_gdp_p05", "pct_change_real_gdp_p95",
                    "pct_change_exports_p05", "pct_change_exports_p95"]


@dataclass(frozen=True)
class MonteCarlo:
    """Per-draw results: ``coefficients`` (k,), ``real_gdp`` and ``exports`` (k, N), percent."""

    coefficients: np.ndarray
    real_gdp: np.ndarray
    exports: np.ndarray

    def intervals(self, countries: list[str], low: float = 5.0, high: float = 95.0
                  ) -> pd.DataFrame:
        """``iso3`` and :data:`INTERVAL_COLUMNS` (percentiles ``low``/``high`` of the draws)."""
        def pct(values, q):
            return np.percentile(values, q, axis=0)

        return pd.DataFrame({
            "iso3": countries,
            INTERVAL_COLUMNS[0]: pct(self.real_gdp, low), INTERVAL_COLUMNS[1]: pct(self.real_gdp, high),
            INTERVAL_COLUMNS[2]: pct(self.exports, low), INTERVAL_COLUMNS[3]: pct(self.exports, high),
        })


def monte_carlo_ge(base: Equilibrium, t_base: np.ndarray, rta_change: np.ndarray,
                   coefficient: float, std_error: float, draws: int, seed: int = 0,
                   tol: float = 1e-10) -> MonteCarlo:
    """Full-endowment GE at ``draws`` coefficients drawn from ``N(coefficient, std_error^2)``.

    Parameters
    ----------
    base : Equilibrium
        Calibrated baseline.
    t_base : (N, N) array
        Baseline trade costs ``t_ij = tau_ij^(1 - sigma)``.
    rta_change : (N, N) array
        ``rta'_ij - rta_ij``: the scenario's change of the agreement dummy.
    coefficient, std_error : float
        The agreement coefficient and its standard error (``0`` gives the point estimate).
    draws : int
        Number of draws (at least 1); ``seed`` makes them reproducible.
    """
    if draws < 1:
        raise ValueError(f"Monte Carlo GE: draws must be at least 1, got {draws}")
    if not np.isfinite(std_error) or std_error < 0:
        raise ValueError(f"Monte Carlo GE: the coefficient's standard error {std_error} is not a "
                         "non-negative number; check the stage-1 regression")
    rng = np.random.default_rng(seed)
    coefficients = coefficient + std_error * rng.standard_normal(draws)
    gdp0, exports0 = base.real_gdp(), base.exports()
    real_gdp = np.empty((draws, len(gdp0)))
    exports = np.empty_like(real_gdp)
    # The draws are solved together (pipeline/gravity/ge/batch.py), CHUNK at a time to bound memory.
    for start in range(0, draws, CHUNK):
        chunk = coefficients[start:start + CHUNK]
        costs = t_base[None, :, :] * np.exp(chunk[:, None, None] * rta_change[None, :, :])
        gdp, exp = full_endowment_batch(base, costs, tol=tol)
        real_gdp[start:start + len(chunk)] = 100.0 * (gdp / gdp0 - 1.0)
        exports[start:start + len(chunk)] = 100.0 * (exp / exports0 - 1.0)
    return MonteCarlo(coefficients, real_gdp, exports)
