"""GE counterfactual from trade-cost variables and given coefficients (no estimation step).

The route of USITC's ``gegravity``: with gravity coefficients ``b`` estimated elsewhere and
cost variables ``x_ij`` (distance, borders, agreements, a constant ...),

    t_ij = exp(x_ij b)   in the baseline,     t'_ij = exp(x'_ij b)   in the experiment,

and output ``Y_i`` and expenditure ``E_j`` as given columns; then the baseline, conditional
and full-endowment equilibria of :mod:`pipeline.gravity.ge.solver`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.gravity.ge.indicators import country_changes
from pipeline.gravity.ge.solver import Equilibrium, baseline, conditional_ge, full_endowment_ge


def cost_matrix(frame: pd.DataFrame, coefficients: pd.Series, countries: list[str],
                exporter: str = "exporter", importer: str = "importer") -> np.ndarray:
    """``exp(x_ij b)`` as an exporter-by-importer matrix; every pair must be a row."""
    variables = list(coefficients.index)
    lacking = [v for v in variables if v not in frame]
    if lacking:
        raise ValueError(f"cost variables {lacking} are not columns of the data "
                         f"(columns: {list(frame.columns)})")
    index = {c: k for k, c in enumerate(countries)}
    rows, cols = frame[exporter].map(index), frame[importer].map(index)
    if rows.isna().any() or cols.isna().any() or len(frame) != len(countries) ** 2:
        raise ValueError(f"the data must hold every exporter-importer pair of {len(countries)} "
                         f"countries exactly once ({len(countries) ** 2} rows), got {len(frame)}")
    matrix = np.full((len(countries), len(countries)), np.nan)
    matrix[rows.to_numpy(int), cols.to_numpy(int)] = np.exp(
        frame[variables].to_numpy(float) @ coefficients.to_numpy(float))
    return matrix


def simulate_cost_variables(base_frame: pd.DataFrame, experiment_frame: pd.DataFrame,
                            coefficients: pd.Series, reference: str, sigma: float = 7.0,
                            output: str = "Y", expenditure: str = "E",
                            exporter: str = "exporter", importer: str = "importer",
                            first_order: bool = False, tol: float = 1e-12,
                            ) -> tuple[pd.DataFrame, tuple[Equilibrium, Equilibrium, Equilibrium]]:
    """Per-country changes (:func:`pipeline.gravity.ge.indicators.country_changes`) and the
    ``(baseline, conditional, full)`` equilibria. ``output``/``expenditure`` name columns
    constant within exporter/importer. ``first_order``: see
    :func:`pipeline.gravity.ge.solver.full_endowment_ge`."""
    countries = sorted(base_frame[exporter].unique())
    if reference not in countries:
        raise ValueError(f"reference country {reference} not among the exporters {countries}")
    y = base_frame.groupby(exporter)[output].first().reindex(countries).to_numpy(float)
    e = base_frame.groupby(importer)[expenditure].first().reindex(countries).to_numpy(float)
    t0 = cost_matrix(base_frame, coefficients, countries, exporter, importer)
    t1 = cost_matrix(experiment_frame, coefficients, countries, exporter, importer)
    base = baseline(t0, y, e, countries.index(reference), sigma, tol=tol)
    cond = conditional_ge(base, t1, tol=tol)
    full = full_endowment_ge(base, t1, first_order=first_order, tol=tol)
    return country_changes(countries, base, cond, full), (base, cond, full)
