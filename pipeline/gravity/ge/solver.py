"""Structural gravity in general equilibrium: multilateral resistances, conditional and
full-endowment counterfactuals.

Yotov, Piermartini, Monteiro & Larch (2016), *An Advanced Guide to Trade Policy Analysis*
(WTO/UNCTAD), chapter 2; Anderson & van Wincoop (2003); Larch & Yotov (2016). Countries are
indexed ``0..N-1``; every array is ordered the same way.

Notation: ``t_ij = tau_ij^(1-sigma) > 0`` the bilateral trade costs as the gravity model
measures them (``exp`` of the pair effect plus the agreement term: higher means cheaper),
``Y_i`` output (value of shipments incl. domestic sales), ``E_j`` expenditure, ``Y = sum Y_i``,
all in one currency unit. ``OMR_i = Pi_i^(1-sigma)`` and ``IMR_j = P_j^(1-sigma)`` are the
outward and inward multilateral resistances raised to ``1 - sigma`` (the levels are
``Pi_i = OMR_i^(1/(1-sigma))``, ``P_j = IMR_j^(1/(1-sigma))``):

    X_ij  = (Y_i / Y) E_j t_ij / (OMR_i IMR_j)                                  (1)
    OMR_i = sum_j t_ij (E_j / E) / IMR_j                                          (2)
    IMR_j = sum_i t_ij (Y_i / Y) / OMR_i,    IMR_r = 1                            (3)

with ``E = sum E_j``. ``r`` is the reference country: its inward resistance (consumer price
index) is the numeraire, as in the book (Germany) and in USITC's ``gegravity``. Equations
(2)-(3) make the columns of (1) sum to expenditure, ``sum_i X_ij = E_j``, and the rows to
output, ``sum_j X_ij = Y_i E / Y``: exactly ``Y_i`` when the data are balanced (``E = Y``, as
when output and expenditure are the row and column sums of one trade matrix). Output and
expenditure enter as shares, as in ``gegravity``.

**Conditional GE**: new costs ``t'``, output and expenditure held fixed: solve (2)-(3).

**Full-endowment GE**: endowments ``Q_i`` are fixed and factory-gate prices ``p_i`` (baseline
1) adjust. CES supply ``Y_i / Y = (beta_i p_i)^(1-sigma) OMR_i`` with ``beta_i`` calibrated on
the baseline, ``Y_i = p_i Y_i^0`` and ``E_j = phi_j Y_j`` (``phi_j = E_j^0 / Y_j^0``, the
book's trade-imbalance ratio) give, at the fixed point,

    p_i^(1-sigma) = [(Y_i / Y) / OMR_i] / [(Y_i^0 / Y^0) / OMR_i^0]
    <=>  p_i = [ (Y / Y^0) (OMR_i / OMR_i^0) ]^(1/sigma)                          (4)

solved jointly with (2)-(3) at ``(t', Y(p), E(p))``. Real GDP (welfare) is ``Y_i / P_i``.

The book iterates PPML regressions to that fixed point; here (2)-(3) are solved by the
alternating (Sinkhorn-Knopp / RAS) scaling iteration and (4) by the same loop, in numpy.
``first_order=True`` stops at the book's first step (prices from the conditional change in
OMR, ``p_i = (OMR_i^c / OMR_i^0)^(1/(sigma-1))``, resistances at their conditional values):
that is what ``gegravity`` 0.3 reports as its full GE, kept for comparison.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_TOL = 1e-12
DEFAULT_MAX_ITER = 100_000


class GEConvergenceError(RuntimeError):
    """The fixed point was not reached within ``max_iter`` iterations."""


@dataclass(frozen=True)
class Equilibrium:
    """One solved state of the model (baseline, conditional or full endowment).

    Attributes
    ----------
    costs : (N, N) array, ``t_ij = tau_ij^(1-sigma)``, exporter rows.
    output, expenditure : (N,) arrays, ``Y_i`` and ``E_j``.
    omr, imr : (N,) arrays, ``Pi_i^(1-sigma)`` and ``P_j^(1-sigma)`` (``imr[reference] = 1``).
    price : (N,) array, factory-gate prices relative to the baseline (baseline: ones).
    trade : (N, N) array, ``X_ij`` by equation (1).
    iterations : int, iterations the solve took.
    """

    costs: np.ndarray
    output: np.ndarray
    expenditure: np.ndarray
    omr: np.ndarray
    imr: np.ndarray
    price: np.ndarray
    trade: np.ndarray
    reference: int
    sigma: float
    iterations: int

    def resistances(self) -> tuple[np.ndarray, np.ndarray]:
        """Levels ``(Pi_i, P_j) = (OMR^(1/(1-sigma)), IMR^(1/(1-sigma)))``."""
        power = 1.0 / (1.0 - self.sigma)
        return self.omr ** power, self.imr ** power

    def real_gdp(self) -> np.ndarray:
        """Real GDP ``Y_i / P_i`` (the book's welfare measure)."""
        return self.output / self.resistances()[1]

    def exports(self) -> np.ndarray:
        """International exports ``sum_{j != i} X_ij``."""
        return self.trade.sum(axis=1) - np.diag(self.trade)


def _check_inputs(costs: np.ndarray, output: np.ndarray, expenditure: np.ndarray,
                  reference: int) -> None:
    n = len(output)
    if costs.shape != (n, n) or expenditure.shape != (n,):
        raise ValueError(f"trade costs must be {n} x {n} and expenditure length {n} (as output); "
                         f"got costs {costs.shape}, expenditure {expenditure.shape}")
    if not 0 <= reference < n:
        raise ValueError(f"reference country index {reference} outside 0..{n - 1}")
    if not np.all(np.isfinite(costs)) or np.any(costs < 0):
        bad = np.argwhere(~np.isfinite(costs) | (costs < 0))[:5].tolist()
        raise ValueError(f"trade costs must be finite and >= 0; first bad (exporter, importer) "
                         f"cells {bad}: fill missing pairs before solving")
    for name, vec in (("output", output), ("expenditure", expenditure)):
        if not np.all(np.isfinite(vec)) or np.any(vec <= 0):
            bad = np.flatnonzero(~np.isfinite(vec) | (vec <= 0))[:5].tolist()
            raise ValueError(f"{name} must be finite and > 0; bad country indices {bad}: drop "
                             "countries without output/expenditure from the scenario")
    empty = np.flatnonzero((costs.sum(axis=1) == 0) | (costs.sum(axis=0) == 0))
    if empty.size:
        raise ValueError(f"countries {empty[:5].tolist()} have no positive trade cost as exporter "
                         "or importer (t_ij = 0 everywhere): their resistances are undefined")


def solve_resistances(costs: np.ndarray, output: np.ndarray, expenditure: np.ndarray,
                      reference: int, imr0: np.ndarray | None = None,
                      tol: float = DEFAULT_TOL, max_iter: int = DEFAULT_MAX_ITER,
                      ) -> tuple[np.ndarray, np.ndarray, int]:
    """Solve (2)-(3) for ``(OMR, IMR)`` by alternating scaling.

    Parameters
    ----------
    costs, output, expenditure : arrays as in :class:`Equilibrium`.
    reference : int, index of the country whose ``IMR`` is 1.
    imr0 : array, optional, starting values (warm start).
    tol : float, convergence when every row and (non-reference) column of (1) sums to its
        target within ``tol`` relative error.

    Returns
    -------
    omr, imr : arrays; iterations : int.

    Raises
    ------
    GEConvergenceError
        After ``max_iter`` iterations, naming the largest relative residual.
    """
    a, b = output / output.sum(), expenditure / expenditure.sum()
    imr = np.ones_like(a) if imr0 is None else imr0.copy()
    others = np.arange(len(a)) != reference
    residual = np.inf
    for iteration in range(1, max_iter + 1):
        omr = costs @ (b / imr)                                   # (2)
        new_imr = costs.T @ (a / omr)                             # (3) before normalising
        # column sums of (1) at (omr, imr) are b_j * new_imr_j / imr_j: relative residual
        residual = np.max(np.abs(new_imr[others] / imr[others] - 1.0))
        imr = np.where(others, new_imr, 1.0)
        if residual < tol:
            omr = costs @ (b / imr)
            return omr, imr, iteration
    raise GEConvergenceError(
        f"multilateral resistances did not converge in {max_iter} iterations (largest relative "
        f"budget residual {residual:.3e} > tol {tol:.1e}); check for countries that barely trade "
        "(near-zero rows/columns of trade costs), or raise max_iter / loosen tol")


def _equilibrium(costs, output, expenditure, omr, imr, price, reference, sigma,
                 iterations) -> Equilibrium:
    trade = np.outer(output / (output.sum() * omr), expenditure / imr) * costs   # (1)
    return Equilibrium(costs, output, expenditure, omr, imr, price, trade, reference,
                       float(sigma), iterations)


def baseline(costs: np.ndarray, output: np.ndarray, expenditure: np.ndarray, reference: int,
             sigma: float = 7.0, tol: float = DEFAULT_TOL,
             max_iter: int = DEFAULT_MAX_ITER) -> Equilibrium:
    """The baseline equilibrium: resistances (2)-(3) at observed output and expenditure."""
    costs, output, expenditure = (np.asarray(v, dtype=float) for v in (costs, output, expenditure))
    _check_inputs(costs, output, expenditure, reference)
    if sigma <= 1:
        raise ValueError(f"sigma must exceed 1 (got {sigma}); the book uses 7")
    omr, imr, it = solve_resistances(costs, output, expenditure, reference, tol=tol,
                                     max_iter=max_iter)
    return _equilibrium(costs, output, expenditure, omr, imr, np.ones_like(output), reference,
                        sigma, it)


def conditional_ge(base: Equilibrium, costs: np.ndarray, tol: float = DEFAULT_TOL,
                   max_iter: int = DEFAULT_MAX_ITER) -> Equilibrium:
    """Conditional GE: resistances at the new costs, output and expenditure unchanged."""
    costs = np.asarray(costs, dtype=float)
    _check_inputs(costs, base.output, base.expenditure, base.reference)
    omr, imr, it = solve_resistances(costs, base.output, base.expenditure, base.reference,
                                     imr0=base.imr, tol=tol, max_iter=max_iter)
    return _equilibrium(costs, base.output, base.expenditure, omr, imr, base.price,
                        base.reference, base.sigma, it)


def full_endowment_ge(base: Equilibrium, costs: np.ndarray, first_order: bool = False,
                      tol: float = DEFAULT_TOL, max_iter: int = DEFAULT_MAX_ITER) -> Equilibrium:
    """Full-endowment GE: factory-gate prices, output and expenditure adjust, equation (4).

    Each iteration makes one scaling sweep of (2)-(3) at the current output and expenditure
    and one price update (4); it stops when prices and the budget residuals change by less
    than ``tol`` (relative). ``first_order=True`` returns the book's first step instead.

    Raises
    ------
    GEConvergenceError
        After ``max_iter`` iterations, with the last price change and residual.
    """
    costs = np.asarray(costs, dtype=float)
    _check_inputs(costs, base.output, base.expenditure, base.reference)
    sigma, ref = base.sigma, base.reference
    y0, total0 = base.output, float(base.output.sum())
    phi = base.expenditure / base.output
    cond = conditional_ge(base, costs, tol=tol, max_iter=max_iter)
    if first_order:
        price = (cond.omr / base.omr) ** (1.0 / (sigma - 1.0))
        output = price * y0
        return _equilibrium(costs, output, phi * output, cond.omr, cond.imr, price, ref, sigma,
                            cond.iterations)
    others = np.arange(len(y0)) != ref
    price, imr = np.ones_like(y0), cond.imr.copy()
    change = residual = np.inf
    for iteration in range(1, max_iter + 1):
        output = price * y0
        total = float(output.sum())
        a, b = output / total, phi * output / float((phi * output).sum())
        omr = costs @ (b / imr)
        new_imr = costs.T @ (a / omr)
        residual = np.max(np.abs(new_imr[others] / imr[others] - 1.0))
        imr = np.where(others, new_imr, 1.0)
        omr = costs @ (b / imr)
        new_price = ((total / total0) * (omr / base.omr)) ** (1.0 / sigma)   # (4)
        change = np.max(np.abs(new_price / price - 1.0))
        price = new_price
        if change < tol and residual < tol:
            output = price * y0
            omr, imr, _ = solve_resistances(costs, output, phi * output, ref, imr0=imr, tol=tol,
                                            max_iter=max_iter)
            return _equilibrium(costs, output, phi * output, omr, imr, price, ref, sigma,
                                iteration)
    raise GEConvergenceError(
        f"full-endowment GE did not converge in {max_iter} iterations (last relative price change "
        f"{change:.3e}, budget residual {residual:.3e}, tol {tol:.1e}); raise max_iter or loosen tol")
