"""Leontief quantity model: technical coefficients, value-added coefficients, Leontief inverse.

Pure ``calc_*`` functions in the style of ``pymrio.tools.iomath``; formulas after Miller &
Blair (2009), *Input-Output Analysis*, 2nd ed., ch. 2. Units: ``Z`` and ``x`` in the same
currency unit; ``A``, ``v`` and ``L`` are unitless.
"""
from __future__ import annotations

import numpy as np
from scipy.linalg import lu_factor, lu_solve


def _safe_inverse_output(x: np.ndarray) -> np.ndarray:
    """``1 / x`` with 0 where ``x == 0`` (an industry with no output buys nothing)."""
    inv = np.zeros_like(x, dtype="float64")
    np.divide(1.0, x, out=inv, where=x != 0)
    return inv


def calc_A(Z: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Technical coefficients ``A = Z diag(x)^-1``, i.e. ``a_ij = z_ij / x_j`` (0 where x_j = 0)."""
    return Z * _safe_inverse_output(np.asarray(x, dtype="float64"))[None, :]


def calc_v(A: np.ndarray) -> np.ndarray:
    """Value-added coefficients ``v = 1' - 1'A`` (value added per unit of gross output).

    Equals ``VA / x`` for a table whose columns balance (``x_j = sum_i z_ij + va_j``). With it,
    ``v L = 1'`` holds exactly, which is what makes ``DVA + FVA = EXGR``.
    """
    return 1.0 - A.sum(axis=0)


def calc_L(A: np.ndarray) -> np.ndarray:
    """Leontief inverse ``L = (I - A)^-1`` (explicit; prefer :func:`factorize` for solves)."""
    return np.linalg.inv(np.eye(A.shape[0]) - A)


def factorize(A: np.ndarray):
    """LU factorization of ``I - A``, reused by :func:`solve_L` and :func:`solve_L_transposed`."""
    return lu_factor(np.eye(A.shape[0]) - A, check_finite=False)


def solve_L(lu, B: np.ndarray) -> np.ndarray:
    """``L B = (I - A)^-1 B`` from the LU factors, without forming ``L``."""
    return lu_solve(lu, B, check_finite=False)


def solve_L_transposed(lu, B: np.ndarray) -> np.ndarray:
    """``(B' L)' = L' B`` from the same LU factors: row-vector products such as ``v L``."""
    return lu_solve(lu, B, trans=1, check_finite=False)
