"""The Advanced Guide's own full-endowment loop (chapter 2, application 2, step III.b), for
the validation of the NAFTA scenario.

The book (Stata ``RTAsEffects.do``; R: ``tradepolicy`` vignette) iterates PPML regressions
with exporter and importer effects and the log of counterfactual costs as an offset. Such a
regression's fitted flows are the structural gravity flows whose rows and columns sum to
those of the dependent variable, i.e. :func:`pipeline.gravity.ge.solver.solve_resistances`
at those sums; the effects follow with the reference importer's effect at 0. This module
replays the book's steps with that exact solve in place of each regression, with the
vignette's stopping rule: stop when ``|max(dp)|`` and ``sd(dp)`` of the change in the
price-change vector between iterations are both below ``tol`` (a signed maximum).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.gravity.ge.solver import solve_resistances


def _ppml_offset(flows: np.ndarray, costs: np.ndarray, ref: int):
    """``exp`` of exporter and importer effects (importer ``ref`` = 0) and fitted flows."""
    rows, cols = flows.sum(axis=1), flows.sum(axis=0)
    omr, imr, _ = solve_resistances(costs, rows, cols, ref, tol=1e-13)
    exp_importer = cols / (cols[ref] * imr)
    exp_exporter = rows * cols[ref] / (rows.sum() * omr)
    return exp_exporter, exp_importer, np.outer(exp_exporter, exp_importer) * costs


@dataclass(frozen=True)
class BookResult:
    iterations: int
    price_steps: list[float]  # |max| of the change in the price-change vector, per iteration
    table: dict[str, np.ndarray]  # the book's columns, effects of the agreement in percent


def book_full_endowment(trade: np.ndarray, t_base: np.ndarray, t_new: np.ndarray, ref: int,
                        sigma: float = 7.0, tol: float = 1e-3, max_iter: int = 50) -> BookResult:
    power = 1.0 / (1.0 - sigma)
    y, e = trade.sum(axis=1), trade.sum(axis=0)
    e_r, phi = e[ref], e / y
    a_bln, b_bln, fit_bln = _ppml_offset(trade, t_base, ref)
    a0, b0, fit0 = _ppml_offset(trade, t_new, ref)
    fit_cfl = fit0
    change_p = ((a0 / e_r) / (a_bln / e_r)) ** power
    omr0, imr0 = y * e_r / a0, e / (b0 * e_r)
    change_omr, change_imr = np.ones_like(y), np.ones_like(y)
    er0, previous, steps, e1 = e_r, 0.0, [], e
    max_dif = sd_dif = 1.0
    while (sd_dif > tol or max_dif > tol) and len(steps) < max_iter:
        flows = fit0 * np.outer(change_p, change_p) / np.outer(change_omr, change_imr)
        a1, b1, fit1 = _ppml_offset(flows, t_new, ref)
        y1 = fit1.sum(axis=1)
        e1 = phi * y1
        er1 = e1[ref]
        change_p1 = ((a1 / er1) / (a0 / er0)) ** power
        omr1, imr1 = y1 * er1 / a1, e1 / (b1 * er1)
        dif = change_p - previous
        max_dif, sd_dif, previous = abs(np.max(dif)), np.std(dif, ddof=1), change_p
        steps.append(float(np.max(np.abs(dif))))
        change_omr, change_imr = omr1 / omr0, imr1 / imr0
        omr0, imr0, change_p, a0, b0, fit0, er0 = omr1, imr1, change_p1, a1, b1, fit1, er1
    p_full = ((a0 / er0) / (a_bln / e_r)) ** power
    y_full, e_full = p_full * y, p_full * e
    omr_full, imr_full = y_full * er0 / a0, e1 / (b0 * er0)
    x_full = np.outer(y_full, e_full) * t_new / np.outer(omr_full, imr_full)
    omr_bln, imr_bln = y * e_r / a_bln, e / (b_bln * e_r)

    def exports(x):
        return x.sum(axis=1) - np.diag(x)

    table = {
        "exports_conditional": (exports(fit_bln) / exports(fit_cfl) - 1) * 100,
        "exports_full": (exports(fit_bln) / exports(x_full) - 1) * 100,
        "real_gdp": ((y / imr_bln ** power) / (y_full / imr_full ** power) - 1) * 100,
        "imr": ((imr_bln / imr_full) ** power - 1) * 100,
        "omr": ((omr_bln / omr_full) ** power - 1) * 100,
        "producer_price": (1 - p_full) * 100,
    }
    return BookResult(len(steps), steps, table)
