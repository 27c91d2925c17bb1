"""Leontief model against the Miller & Blair (2009) textbook example, ch. 2.2-2.3."""
from __future__ import annotations

import numpy as np

from pipeline.metrics.leontief import (calc_A, calc_L, calc_v, factorize, solve_L,
                                       solve_L_transposed)

# Miller & Blair, Input-Output Analysis (2nd ed.), section 2.2: two sectors.
Z = np.array([[150.0, 500.0], [200.0, 100.0]])
x = np.array([1000.0, 2000.0])


def test_technical_coefficients_match_miller_blair():
    # Published A = [[.15, .25], [.20, .05]] (M&B eq. 2.8).
    np.testing.assert_allclose(calc_A(Z, x), [[0.15, 0.25], [0.20, 0.05]], atol=1e-12)


def test_leontief_inverse_matches_miller_blair():
    # Published L = [[1.2541, .3300], [.2640, 1.1221]] (M&B sec. 2.3, four decimals).
    L = calc_L(calc_A(Z, x))
    np.testing.assert_allclose(L, [[1.2541, 0.3300], [0.2640, 1.1221]], atol=5e-5)


def test_lu_solves_equal_explicit_inverse_and_reproduce_output():
    A = calc_A(Z, x)
    lu = factorize(A)
    f = np.array([[350.0], [1700.0]])  # M&B final demand f = x - Z1: L f = x
    np.testing.assert_allclose(solve_L(lu, f)[:, 0], x, rtol=1e-12)
    v = calc_v(A)
    np.testing.assert_allclose(v, [0.65, 0.70])  # VA/x: (1000-350)/1000, (2000-600)/2000
    np.testing.assert_allclose(solve_L_transposed(lu, v[:, None])[:, 0], [1.0, 1.0], rtol=1e-12)
    np.testing.assert_allclose(solve_L_transposed(lu, v[:, None])[:, 0], v @ calc_L(A))


def test_zero_output_industry_buys_nothing():
    A = calc_A(np.array([[1.0, 0.0], [2.0, 0.0]]), np.array([10.0, 0.0]))
    assert np.isfinite(A).all() and A[:, 1].sum() == 0
