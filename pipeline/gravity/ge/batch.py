"""The full-endowment GE of :mod:`pipeline.gravity.ge.solver` for many trade-cost matrices at
once (the Monte Carlo draws of :func:`pipeline.gravity.ge.uncertainty.monte_carlo_ge`).

Same equations and the same iteration, step for step, as
:func:`~pipeline.gravity.ge.solver.full_endowment_ge` (Yotov et al. 2016, *An Advanced Guide to
Trade Policy Analysis*, ch. 2, equations (1)-(4)): each draw stops at its own iteration, so a
draw's result is the one the one-at-a-time solver returns (to rounding of the summation order).
The draws only share the array operations: one batched matrix product per step instead of
hundreds of small ones (the Python loop over draws was 90 % of ``out__agreement_impacts``).
"""
from __future__ import annotations

import numpy as np

from pipeline.gravity.ge.solver import DEFAULT_MAX_ITER, DEFAULT_TOL, Equilibrium, GEConvergenceError


def _rows(costs: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``costs[d] @ v[d]`` for every draw d."""
    return np.einsum("dij,dj->di", costs, v)


def _cols(costs: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``costs[d].T @ v[d]`` for every draw d."""
    return np.einsum("dji,dj->di", costs, v)


def _worst(ratio: np.ndarray, others: np.ndarray) -> np.ndarray:
    return np.max(np.abs(ratio[:, others] - 1.0), axis=1)


def solve_resistances_batch(costs: np.ndarray, output: np.ndarray, expenditure: np.ndarray,
                            reference: int, imr0: np.ndarray, tol: float = DEFAULT_TOL,
                            max_iter: int = DEFAULT_MAX_ITER) -> tuple[np.ndarray, np.ndarray]:
    """:func:`~pipeline.gravity.ge.solver.solve_resistances` per draw: ``costs`` (D, N, N),
    ``output``/``expenditure``/``imr0`` (D, N). Returns ``(omr, imr)``, each (D, N)."""
    a = output / output.sum(axis=1, keepdims=True)
    b = expenditure / expenditure.sum(axis=1, keepdims=True)
    others = np.arange(costs.shape[1]) != reference
    imr, omr = imr0.copy(), np.empty_like(imr0)
    done = np.zeros(len(costs), dtype=bool)
    residual = np.full(len(costs), np.inf)
    for _ in range(max_iter):
        live = ~done
        c, bl, il = costs[live], b[live], imr[live]
        new_imr = _cols(c, a[live] / _rows(c, bl / il))
        residual[live] = _worst(new_imr / il, others)
        il = np.where(others, new_imr, 1.0)
        imr[live] = il
        now = residual[live] < tol
        rows = np.flatnonzero(live)[now]
        omr[rows] = _rows(c[now], bl[now] / il[now])
        done[rows] = True
        if done.all():
            return omr, imr
    raise GEConvergenceError(
        f"multilateral resistances did not converge in {max_iter} iterations for {int((~done).sum())} of "
        f"{len(costs)} draws (largest relative budget residual {residual[~done].max():.3e} > tol {tol:.1e}); "
        "raise max_iter or loosen tol")


def full_endowment_batch(base: Equilibrium, costs: np.ndarray, tol: float = DEFAULT_TOL,
                         max_iter: int = DEFAULT_MAX_ITER) -> tuple[np.ndarray, np.ndarray]:
    """Full-endowment GE at each of the (D, N, N) ``costs``: ``(real_gdp, exports)``, each
    (D, N), as :meth:`Equilibrium.real_gdp` and :meth:`Equilibrium.exports` of
    :func:`~pipeline.gravity.ge.solver.full_endowment_ge` for each draw."""
    costs = np.asarray(costs, dtype=float)
    if costs.ndim != 3 or costs.shape[1:] != base.costs.shape:
        raise ValueError(f"batched trade costs must be (draws, {len(base.output)}, {len(base.output)}); "
                         f"got {costs.shape}")
    if not np.all(np.isfinite(costs)) or np.any(costs < 0):
        raise ValueError("trade costs must be finite and >= 0 in every draw: check the agreement coefficient draws")
    draws, n = costs.shape[0], len(base.output)
    sigma, ref = base.sigma, base.reference
    y0, total0 = np.broadcast_to(base.output, (draws, n)), float(base.output.sum())
    phi = base.expenditure / base.output
    _, imr = solve_resistances_batch(costs, y0, np.broadcast_to(base.expenditure, (draws, n)), ref,
                                     np.broadcast_to(base.imr, (draws, n)).copy(), tol, max_iter)   # conditional GE
    others = np.arange(n) != ref
    price = np.ones((draws, n))
    done = np.zeros(draws, dtype=bool)
    change, residual = np.full(draws, np.inf), np.full(draws, np.inf)
    for _ in range(max_iter):
        live = ~done
        c, p, il = costs[live], price[live], imr[live]
        output = p * y0[live]
        total = output.sum(axis=1, keepdims=True)
        a, e = output / total, phi * output
        b = e / e.sum(axis=1, keepdims=True)
        new_imr = _cols(c, a / _rows(c, b / il))
        residual[live] = _worst(new_imr / il, others)
        il = np.where(others, new_imr, 1.0)
        omr = _rows(c, b / il)
        new_price = ((total / total0) * (omr / base.omr)) ** (1.0 / sigma)   # (4)
        change[live] = np.max(np.abs(new_price / p - 1.0), axis=1)
        imr[live], price[live] = il, new_price
        done[np.flatnonzero(live)[(change[live] < tol) & (residual[live] < tol)]] = True
        if done.all():
            break
    else:
        raise GEConvergenceError(
            f"full-endowment GE did not converge in {max_iter} iterations for {int((~done).sum())} of {draws} "
            f"draws (last relative price change {change[~done].max():.3e}, budget residual "
            f"{residual[~done].max():.3e}, tol {tol:.1e}); raise max_iter or loosen tol")
    output = price * y0
    expenditure = phi * output
    omr, imr = solve_resistances_batch(costs, output, expenditure, ref, imr, tol, max_iter)
    real_gdp = output / imr ** (1.0 / (1.0 - sigma))
    # (1): X_ij = Y_i E_j t_ij / (Y omr_i imr_j); exports leave out the diagonal
    weights = (expenditure / imr)[:, None, :] * costs
    scale = output / (output.sum(axis=1, keepdims=True) * omr)
    exports = scale * (weights.sum(axis=2) - np.einsum("dii->di", weights))
    return real_gdp, exports
