"""Bilateral trade costs for a counterfactual, recovered from an estimated gravity panel.

The Advanced Guide's two-stage procedure (Yotov et al. 2016, ch. 2, application 2, after
Anderson & Yotov 2016):

1. PPML on the panel with exporter-year, importer-year and pair fixed effects and the
   agreement dummy ``rta``: ``X_ijt = exp(pi_it + chi_jt + gamma_ij + b rta_ijt)``. As in the
   book, pair effects are symmetric (``gamma_ij = gamma_ji``, its ``pair_id``; ``symmetric=False``
   gives one per direction) and all domestic pairs share one, the base (``gamma_ii = 0``), so that
   ``t_bar_ij = exp(gamma_ij)`` is international trade costs relative to domestic ones
   (``t_bar_ii = 1``). Standard errors are clustered by pair with every domestic pair its own
   cluster, as the book's ``RTAsEffects.do`` does (``replace pair_id = pair_id + 100000 if
   exporter == importer`` before ``cluster(pair_id)``): the shared ``DOMESTIC`` level is for the
   fixed effect only; as one cluster it would merge the 69 domestic pairs (s.e. 0.114 instead of
   the book's 0.102 for NAFTA).
2. Pairs without a pair effect (no trade in any year: dropped by PPML) get
   ``t_bar_ij = exp(x_ij c + e_i + m_j)`` from a PPML of ``t_bar_ij`` on exporter and importer
   effects and ``x_ij = ln distance, contiguity, common language, colony`` over the
   international pairs of the baseline year.

Baseline costs ``t_ij = t_bar_ij exp(b rta_ij)``; scenario costs
``t'_ij = t_ij exp(b' (rta'_ij - rta_ij))`` with ``b'`` the estimated ``b`` or a given value.
With the fitted fixed effects of step 1, ``exp(pi_i + chi_j) t_ij`` is the fitted trade of
the baseline year, which the GE baseline reproduces (same row and column sums).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.gravity.ppml import fit_ppml
from pipeline.gravity.result import FitResult

DOMESTIC = "DOMESTIC"
CLUSTER = "pair_cluster"
FILL_COVARIATES = ["ln_dist", "contiguity", "common_language", "colony"]


@dataclass(frozen=True)
class CostTable:
    """Trade costs of the baseline year.

    Attributes
    ----------
    pairs : DataFrame
        ``exporter, importer, rta, t_bar, t_baseline, filled`` for every pair of the
        baseline year (``filled``: ``t_bar`` predicted by the stage-2 regression).
    coefficient : float
        The estimated agreement coefficient ``b``.
    std_error : float
    fit : FitResult
        The stage-1 panel regression.
    fill_fit : FitResult or None
        The stage-2 regression (None when no pair needed filling).
    """

    pairs: pd.DataFrame
    coefficient: float
    std_error: float
    fit: FitResult
    fill_fit: FitResult | None = None


def add_pair_column(panel: pd.DataFrame, symmetric: bool = True) -> pd.DataFrame:
    """``pair`` = ``"A_B"`` for international pairs (``A < B`` alphabetically when
    ``symmetric``, else exporter first), one ``DOMESTIC`` level for every domestic pair (the
    fixed effect); ``pair_cluster`` = ``pair`` but ``"A_A"`` for domestic pair A (the cluster)."""
    exporter, importer = panel["exporter"].astype(str), panel["importer"].astype(str)
    if symmetric:
        first = exporter.where(exporter < importer, importer)
        second = importer.where(exporter < importer, exporter)
    else:
        first, second = exporter, importer
    own = first + "_" + second
    return panel.assign(pair=own.where(exporter != importer, DOMESTIC), **{CLUSTER: own})


def _fill_missing(year_rows: pd.DataFrame, covariates: list[str],
                  where: str) -> tuple[pd.Series, FitResult | None]:
    """Stage 2: predict ``t_bar`` for international pairs without a pair effect."""
    missing = year_rows["t_bar"].isna()
    if not missing.any():
        return year_rows["t_bar"], None
    international = year_rows["exporter"] != year_rows["importer"]
    lacking = [c for c in covariates
               if c not in year_rows or year_rows.loc[international, c].isna().any()]
    if lacking:
        sample = (year_rows.loc[missing, "exporter"] + "->" + year_rows.loc[missing, "importer"])
        raise ValueError(
            f"{where}: {int(missing.sum())} pairs (e.g. {sample.head(5).tolist()}) have no trade in "
            f"any year, so no pair effect, and the panel lacks {lacking} to predict their costs; "
            "use a panel with distance, contiguity, common language and colony, or drop those "
            "countries")
    known = year_rows[~missing & international]
    res = fit_ppml(known, "t_bar", covariates, ["exporter", "importer"])
    exp_fe = res.fixed_effects["exporter"]
    imp_fe = res.fixed_effects["importer"]
    todo = year_rows[missing]
    eta = (todo[covariates].to_numpy(float) @ res.params[covariates].to_numpy()
           + todo["exporter"].map(exp_fe).to_numpy() + todo["importer"].map(imp_fe).to_numpy())
    if np.isnan(eta).any():
        raise ValueError(f"{where}: cannot predict costs for pairs whose exporter or importer has no "
                         "other international trade; drop those countries")
    filled = year_rows["t_bar"].copy()
    filled[missing] = np.exp(eta)
    return filled, res


def recover_costs(panel: pd.DataFrame, baseline_year: int, fill_covariates: list[str] | None = None,
                  fill_missing: bool = True, symmetric: bool = True,
                  where: str = "gravity panel") -> CostTable:
    """Stage 1 and 2 on ``panel`` (columns ``exporter, importer, year, trade, rta`` and,
    for the fill, :data:`FILL_COVARIATES`); every exporter-importer pair of the baseline year
    must be a row (domestic pairs included).

    ``fill_missing=False`` leaves ``t_bar = 0`` for pairs without a pair effect (no trade in
    the model), which makes the GE baseline equal the panel's fitted trade exactly.
    """
    covariates = FILL_COVARIATES if fill_covariates is None else fill_covariates
    frame = add_pair_column(panel, symmetric)
    year_rows = frame[frame["year"] == baseline_year]
    n = year_rows["exporter"].nunique()
    if year_rows.empty:
        raise ValueError(f"{where}: no rows in baseline year {baseline_year}; years present: "
                         f"{sorted(frame['year'].unique())}")
    if len(year_rows) != n * n or year_rows["importer"].nunique() != n:
        raise ValueError(f"{where}: baseline year {baseline_year} has {len(year_rows)} rows for "
                         f"{n} exporters; GE needs every pair incl. domestic ({n * n} rows)")
    fit = fit_ppml(frame, "trade", ["rta"], [("exporter", "year"), ("importer", "year"), "pair"],
                   cluster=CLUSTER)
    if "rta" not in fit.params.index or not fit.converged:
        raise ValueError(f"{where}: the agreement coefficient could not be estimated "
                         f"(converged={fit.converged}, omitted={fit.omitted}): the agreement "
                         "dummy must vary within pairs over the years")
    pair_fe = fit.fixed_effects["pair"]
    if DOMESTIC not in pair_fe.index:
        raise ValueError(f"{where}: no domestic flows (exporter == importer) in the panel; GE "
                         "needs intra-national trade")
    gamma = pair_fe - pair_fe[DOMESTIC]
    rows = year_rows[["exporter", "importer", "pair", "rta", *[c for c in covariates if c in year_rows]]]
    rows = rows.assign(t_bar=np.exp(rows["pair"].map(gamma)))
    filled, fill_fit = rows["t_bar"].isna(), None
    if fill_missing:
        t_bar, fill_fit = _fill_missing(rows, covariates, where)
        rows = rows.assign(t_bar=t_bar)
    else:
        rows = rows.assign(t_bar=rows["t_bar"].fillna(0.0))
    b = float(fit.params["rta"])
    rows = rows.assign(filled=filled & fill_missing,
                       t_baseline=rows["t_bar"] * np.exp(b * rows["rta"]))
    pairs = rows[["exporter", "importer", "rta", "t_bar", "t_baseline", "filled"]].reset_index(drop=True)
    return CostTable(pairs, b, float(fit.std_errors["rta"]), fit, fill_fit)


def scenario_costs(pairs: pd.DataFrame, rta_scenario: pd.Series, coefficient: float) -> pd.Series:
    """``t'_ij = t_ij exp(b' (rta'_ij - rta_ij))`` aligned to ``pairs``."""
    return pairs["t_baseline"] * np.exp(coefficient * (rta_scenario - pairs["rta"]))


def to_matrix(pairs: pd.DataFrame, values: pd.Series, countries: list[str]) -> np.ndarray:
    """Square matrix (exporter rows, importer columns) in the order of ``countries``."""
    index = {c: k for k, c in enumerate(countries)}
    matrix = np.full((len(countries), len(countries)), np.nan)
    matrix[pairs["exporter"].map(index).to_numpy(), pairs["importer"].map(index).to_numpy()] = values
    return matrix
