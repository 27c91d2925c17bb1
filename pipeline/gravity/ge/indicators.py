"""Per-country results of a counterfactual: percent changes from the baseline.

For a quantity ``z`` with baseline ``z^0`` and scenario value ``z^1``, the percent change is
``100 (z^1 / z^0 - 1)``. With ``B`` the baseline, ``C`` the conditional and ``F`` the
full-endowment equilibrium (:mod:`pipeline.gravity.ge.solver`):

- exports: international exports ``sum_{j != i} X_ij`` (``F``; ``_conditional``: ``C``);
- producer price: factory-gate price ``p_i`` (``F``; baseline 1, numeraire ``P_r = 1``);
- omr / imr: the levels ``Pi_i = OMR_i^(1/(1-sigma))`` and ``P_j = IMR_j^(1/(1-sigma))``
  (``F``; ``_conditional``: ``C``); ``P_j`` is the consumer price index;
- output: ``Y_i = p_i Y_i^0``;
- real GDP (welfare): ``Y_i / P_i`` (the book's ``rGDP``; ``gegravity``'s "GDP change").
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.gravity.ge.solver import Equilibrium

RESULT_COLUMNS = [
    "pct_change_exports", "pct_change_exports_conditional", "pct_change_producer_price",
    "pct_change_omr", "pct_change_imr", "pct_change_omr_conditional",
    "pct_change_imr_conditional", "pct_change_output", "pct_change_real_gdp",
]


def _pct(new: np.ndarray, old: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return 100.0 * (new / old - 1.0)


def country_changes(countries: list[str], base: Equilibrium, cond: Equilibrium,
                    full: Equilibrium) -> pd.DataFrame:
    """One row per country: ``iso3``, :data:`RESULT_COLUMNS`, baseline levels
    ``baseline_output``, ``baseline_exports`` (the trade data's unit)."""
    pi0, p0 = base.resistances()
    pic, pc = cond.resistances()
    pif, pf = full.resistances()
    return pd.DataFrame({
        "iso3": countries,
        "pct_change_exports": _pct(full.exports(), base.exports()),
        "pct_change_exports_conditional": _pct(cond.exports(), base.exports()),
        "pct_change_producer_price": _pct(full.price, base.price),
        "pct_change_omr": _pct(pif, pi0),
        "pct_change_imr": _pct(pf, p0),
        "pct_change_omr_conditional": _pct(pic, pi0),
        "pct_change_imr_conditional": _pct(pc, p0),
        "pct_change_output": _pct(full.output, base.output),
        "pct_change_real_gdp": _pct(full.real_gdp(), base.real_gdp()),
        "baseline_output": base.output,
        "baseline_exports": base.exports(),
    })
