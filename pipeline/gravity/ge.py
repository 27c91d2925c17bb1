"""General-equilibrium gravity: multilateral resistances and counterfactual equilibria.

Structural gravity (Anderson & van Wincoop 2003; Yotov, Piermartini, Monteiro & Larch 2016,
*An Advanced Guide to Trade Policy Analysis*, chapter 2), for N countries with bilateral trade
costs ``T_ij = t_ij^(1-sigma)`` (including i = j), output ``Y_i`` and expenditure ``E_j``:

    X_ij = (Y_i E_j / Y) * T_ij / (Pi_i^(1-sigma) P_j^(1-sigma))
    Pi_i^(1-sigma) = sum_j T_ij (E_j / Y) / P_j^(1-sigma)       (outward resistance)
    P_j^(1-sigma)  = sum_i T_ij (Y_i / Y) / Pi_i^(1-sigma)      (inward resistance)

with the reference country's ``P`` normalised to 1. Writing ``OMR_i = Pi_i^(1-sigma)`` and
``IMR_j = P_j^(1-sigma)`` the system is solved by the fixed point of the two sums
(alternating, as in Yotov et al. 2016 and USITC's gegravity).

Conditional GE keeps ``Y`` and ``E`` at their baseline and lets the resistances adjust. Full
endowment GE lets factory-gate prices adjust: from ``(beta_i p_i Pi_i)^(1-sigma) = Y_i / Y``
with endowments fixed, ``Y_i = p_i Q_i`` and ``E_j = phi_j Y_j`` (``phi`` the baseline ratio,
rescaled so that world expenditure equals world output and every market clears),

    p_i^(1-sigma) = (Y_i / Y) / OMR_i * OMR_i^0 / (Y_i^0 / Y^0)

iterated with the resistances to convergence. Real GDP (welfare) is ``Y_i / P_i``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


class GEConvergenceError(RuntimeError):
    """The resistances or prices did not converge; the message says which and how far."""


@dataclass(frozen=True)
class Equilibrium:
    """One solved equilibrium; arrays ordered like ``countries``."""

    countries: list[str]
    trade: np.ndarray          # X_ij, N x N
    output: np.ndarray         # Y_i
    expenditure: np.ndarray    # E_j
    omr: np.ndarray            # Pi_i^(1-sigma)
    imr: np.ndarray            # P_j^(1-sigma)
    price: np.ndarray          # factory-gate price p_i (baseline = 1)
    sigma: float

    @property
    def exports(self) -> np.ndarray:
        """International exports ``sum_{j != i} X_ij``."""
        return self.trade.sum(axis=1) - np.diag(self.trade)

    @property
    def inward_price_index(self) -> np.ndarray:
        """``P_j = IMR_j^(1/(1-sigma))``."""
        return self.imr ** (1.0 / (1.0 - self.sigma))

    @property
    def outward_resistance(self) -> np.ndarray:
        """``Pi_i = OMR_i^(1/(1-sigma))``."""
        return self.omr ** (1.0 / (1.0 - self.sigma))


def solve_resistances(costs: np.ndarray, output: np.ndarray, expenditure: np.ndarray,
                      reference: int, tol: float = 1e-12, max_iter: int = 10_000
                      ) -> tuple[np.ndarray, np.ndarray]:
    """``(OMR, IMR)`` solving the two resistance equations, ``IMR[reference] = 1``."""
    total = output.sum()
    y_share, e_share = output / total, expenditure / total
    imr = np.ones(len(output))
    for _ in range(max_iter):
        omr = costs @ (e_share / imr)
        new_imr = costs.T @ (y_share / omr)
        new_imr = new_imr / new_imr[reference]
        if np.max(np.abs(new_imr / imr - 1.0)) < tol:
            imr = new_imr
            omr = costs @ (e_share / imr)
            return omr, imr
        imr = new_imr
    raise GEConvergenceError(f"multilateral resistances did not converge in {max_iter} "
                             "iterations; check that every country has positive trade costs "
                             "with itself and non-negative costs elsewhere")


def structural_trade(costs, output, expenditure, omr, imr) -> np.ndarray:
    """``X_ij = Y_i E_j / Y * T_ij / (OMR_i IMR_j)``."""
    return (output[:, None] * expenditure[None, :] / output.sum()) * costs / (omr[:, None] * imr[None, :])


def baseline(countries: list[str], costs: np.ndarray, output: np.ndarray,
             expenditure: np.ndarray, sigma: float, reference: str) -> Equilibrium:
    """The baseline equilibrium of observed output and expenditure under ``costs``."""
    ref = _reference_index(countries, reference)
    omr, imr = solve_resistances(costs, output, expenditure, ref)
    return Equilibrium(list(countries), structural_trade(costs, output, expenditure, omr, imr),
                       output, expenditure, omr, imr, np.ones(len(output)), sigma)


def conditional(base: Equilibrium, costs: np.ndarray, reference: str) -> Equilibrium:
    """Resistances adjust to ``costs``; output and expenditure stay at the baseline."""
    ref = _reference_index(base.countries, reference)
    omr, imr = solve_resistances(costs, base.output, base.expenditure, ref)
    return Equilibrium(base.countries, structural_trade(costs, base.output, base.expenditure, omr, imr),
                       base.output, base.expenditure, omr, imr, base.price, base.sigma)


def full_endowment(base: Equilibrium, costs: np.ndarray, reference: str, tol: float = 1e-10,
                   max_iter: int = 2_000) -> Equilibrium:
    """Prices, output and expenditure adjust too (endowments and ``E/Y`` fixed)."""
    ref = _reference_index(base.countries, reference)
    sigma = base.sigma
    phi = base.expenditure / base.output
    y0_share = base.output / base.output.sum()
    price = np.ones(len(base.output))
    for _ in range(max_iter):
        output = price * base.output
        expenditure = phi * output
        expenditure *= output.sum() / expenditure.sum()  # world spending = world output
        omr, imr = solve_resistances(costs, output, expenditure, ref)
        target = ((output / output.sum()) / omr * base.omr / y0_share) ** (1.0 / (1.0 - sigma))
        # the price equation pins p only up to the numeraire, fixed by IMR[reference] = 1
        if np.max(np.abs(target / price - 1.0)) < tol:
            return Equilibrium(base.countries, structural_trade(costs, output, expenditure, omr, imr),
                               output, expenditure, omr, imr, target, sigma)
        price = target
    raise GEConvergenceError(f"factory-gate prices did not converge in {max_iter} iterations "
                             f"(sigma = {sigma}); try a larger sigma or check the cost changes")


def compare(base: Equilibrium, counterfactual: Equilibrium) -> pd.DataFrame:
    """Per country: % changes of exports, price, resistances and real GDP (``Y / P``)."""
    pct = lambda new, old: 100.0 * (new / old - 1.0)  # noqa: E731
    real_gdp_base = base.output / base.inward_price_index
    real_gdp_new = counterfactual.output / counterfactual.inward_price_index
    return pd.DataFrame({
        "iso3": base.countries,
        "pct_change_exports": pct(counterfactual.exports, base.exports),
        "pct_change_producer_price": pct(counterfactual.price, base.price),
        "pct_change_omr": pct(counterfactual.outward_resistance, base.outward_resistance),
        "pct_change_imr": pct(counterfactual.inward_price_index, base.inward_price_index),
        "pct_change_real_gdp": pct(real_gdp_new, real_gdp_base),
    })


def _reference_index(countries: list[str], reference: str) -> int:
    try:
        return list(countries).index(reference)
    except ValueError:
        raise ValueError(f"reference country {reference!r} is not among the {len(countries)} "
                         f"countries of the scenario (e.g. {list(countries)[:5]})") from None


def agreement_costs(costs: np.ndarray, countries: list[str], members: list[str],
                    in_force: np.ndarray, coefficient: float) -> np.ndarray:
    """Trade costs after an agreement among ``members``: ``T_ij * exp(coefficient)`` for every
    pair of distinct members without an agreement in force (``in_force[i, j] == 0``)."""
    index = [countries.index(m) for m in members if m in countries]
    new = costs.copy()
    for i in index:
        for j in index:
            if i != j and not in_force[i, j]:
                new[i, j] *= np.exp(coefficient)
    return new
