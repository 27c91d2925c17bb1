"""Separation in Poisson models: observations whose fitted mean is zero at the supremum.

When a linear combination ``z = X g + sum_k D_k a_k`` of the regressors and fixed effects is
zero wherever ``y > 0`` and non-negative (positive somewhere) where ``y = 0``, the Poisson
likelihood rises without bound along ``-z``: the maximum likelihood estimate does not exist
and a naive IRLS drifts while some coefficients run off to infinity. Santos Silva &
Tenreyro (2010) and Correia, Guimaraes & Zylkin (2021, "Verifying the existence of maximum
likelihood estimates for generalized linear models", Econometrics Journal) show that
dropping the observations with ``z_i > 0`` gives the estimates of the remaining parameters
that do exist. Two checks, as in Stata's ``ppmlhdfe``:

- ``fe``: a fixed-effect group whose outcome is zero in every observation (its effect would
  be ``-inf``); dropped, together with the singletons that this leaves, to a fixed point.
- ``relu``: the iterated rectifier of Correia et al. (2021, section 4.2). Start from
  ``u = 1{y = 0}``; regress ``u`` on the regressors and fixed effects by least squares with
  weight ``K`` (large) on ``y > 0`` and 1 on ``y = 0``; set ``u_i = max(xb_i, 0)`` on
  ``y = 0``; repeat until every fitted ``xb_i`` on ``y = 0`` is ``>= 0``. Then ``z = xb``
  certifies separation and ``xb_i > 0`` marks the separated observations.
"""
from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import lsmr

from pipeline.gravity.absorb import FixedEffects, singleton_mask


def zero_fe_groups_mask(y: np.ndarray, fe: FixedEffects | None, drop_singletons: bool = True
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Rows in a fixed-effect group with ``sum(y) == 0``, and singleton rows, to a fixed point.

    Returns
    -------
    separated, singletons : ndarray of bool
        Rows separated by a fixed effect; rows dropped because they became (or were) alone
        in a fixed-effect group.
    """
    separated = np.zeros(len(y), dtype=bool)
    singletons = np.zeros(len(y), dtype=bool)
    if fe is None or not fe.codes:
        return separated, singletons
    while True:
        changed = False
        for code in fe.codes:
            keep = ~(separated | singletons)
            total = np.bincount(code[keep], weights=y[keep], minlength=code.max() + 1)
            zero = (total[code] <= 0) & keep
            if zero.any():
                separated |= zero
                changed = True
        if drop_singletons:
            keep = ~(separated | singletons)
            single = singleton_mask(fe.subset(keep))
            if single.any():
                singletons[np.flatnonzero(keep)[single]] = True
                changed = True
        if not changed:
            return separated, singletons


def relu_separated(y: np.ndarray, x: np.ndarray | None, fe: FixedEffects | None,
                   tol: float = 1e-5, max_iter: int = 1000) -> np.ndarray:
    """Boolean mask of observations separated by the regressors and fixed effects (ReLU).

    Each iteration solves the least-squares problem with equality constraints
    ``min sum_{y=0} (u_i - z_i)^2  s.t.  z_i = 0 where y_i > 0`` by the method of weighting
    (weight ``M = eps^(-1/2)`` on the constrained rows, Van Loan 1985), with the implied
    tolerance ``epsilon = u'u / M * max(|X_free|_1 / |X_fixed|_1, 1)^2`` (floored at 1e-8),
    as ``ppmlhdfe`` does. Fitted values within ``[-0.1 delta, delta]`` of zero
    (``delta = epsilon + tol``) count as zero.

    Parameters
    ----------
    y : ndarray
        Outcome, ``>= 0``.
    x : ndarray or None
        Regressors (n x p), including a constant column when there are no fixed effects.
    fe : FixedEffects or None
        Fixed effects on the same rows.
    """
    boundary = y <= 0
    if not boundary.any():
        return np.zeros(len(y), dtype=bool)
    design = _design(x, fe, len(y))
    big = np.ceil(np.finfo(float).eps ** -0.5)
    weights = np.where(boundary, 1.0, big)
    norm_free = _norm1(design, boundary)
    norm_fixed = _norm1(design, ~boundary)
    u = boundary.astype(float)
    weighted_fit = WeightedFit(design, weights)  # the weights never change: factorise once
    for _ in range(max_iter):
        fitted = weighted_fit(u)
        resid = u - fitted
        epsilon = max(float(u @ u) / big * max(norm_free / max(norm_fixed, 1e-300), 1.0) ** 2, 1e-8)
        delta = epsilon + tol
        xbd = np.where(boundary, fitted, 0.0)
        xbd[boundary & (xbd >= -0.1 * delta) & (xbd <= delta)] = 0.0
        if (xbd[boundary] >= 0).all():
            return boundary & (xbd > 0)
        resid[np.abs(resid) < 1e-12] = 0.0
        if resid[boundary].min() >= 0:
            # normal equations: z'e = 0 with z >= 0 means no separated obs. is left unseen
            xbd[boundary & (resid > delta)] = 0.0
            return boundary & (xbd > 0)
        u = np.where(boundary, np.maximum(xbd, 0.0), 0.0)
    raise RuntimeError(f"separation check (ReLU) did not converge in {max_iter} iterations")


def _design(x: np.ndarray | None, fe: FixedEffects | None, n: int) -> sparse.csr_matrix:
    """``[X, D_1, ..., D_K]`` with one dummy column per fixed-effect level."""
    blocks = [] if x is None else [sparse.csr_matrix(x)]
    for code, size in zip(fe.codes if fe else [], fe.sizes if fe else []):
        blocks.append(sparse.csr_matrix((np.ones(n), (np.arange(n), code)), shape=(n, size)))
    return sparse.hstack(blocks, format="csr")


def _norm1(design: sparse.csr_matrix, rows: np.ndarray) -> float:
    """Matrix 1-norm (largest absolute column sum) of the selected rows."""
    sub = design[np.flatnonzero(rows)]
    return float(abs(sub).sum(axis=0).max()) if sub.shape[0] else 0.0


class WeightedFit:
    """Fitted values of the weighted least-squares regression of any ``u`` on ``design``.

    Only ``u`` changes between the ReLU iterations, so the weighted design
    ``A = W^(1/2) D`` is factorised once. Tiny designs (``n * p <= DENSE_LIMIT``): a
    column-pivoted QR, ``A P = Q R``, with the numerical rank
    ``r`` read off ``|R_jj|`` (as ``numpy.linalg.matrix_rank``); the fitted values are the
    projection ``W^(-1/2) Q_r Q_r' W^(1/2) u``, the same whatever coefficients a
    rank-deficient design admits. Larger ones: LSMR
    (Fong & Saunders 2011), which copes with the ill-conditioning that the weighting
    creates, with the column scaling of the design as a (Jacobi) preconditioner, computed
    once. LSMR's stopping reason ``istop`` is checked: when it stops on its iteration limit
    (7) or a condition-number limit (3, 6) its answer is not a least-squares solution, so the
    dense QR is used instead, if the design has at most ``DENSE_FALLBACK_LIMIT`` cells, else
    a RuntimeError says so (a wrong fit would mark the wrong observations as separated).
    """

    # cells of the dense design: a QR costs ~2 n p^2 (measured here: 4,692 x 143 took 1-5 s
    # on the shared machine, LSMR 0.03 s; 7,744 x 2,288 over a minute), so only tiny designs
    DENSE_LIMIT = 250_000
    # the fallback when LSMR fails: slow but right up to ~160 MB of dense design
    DENSE_FALLBACK_LIMIT = 20_000_000
    LSMR_MAXITER = 10_000
    # istop: 0 x = 0 solves, 1/2 (atol/btol) and 4/5 (machine precision) solutions
    LSMR_SOLVED = (0, 1, 2, 4, 5)

    def __init__(self, design: sparse.csr_matrix, weights: np.ndarray):
        self.design = design
        self.sw = np.sqrt(weights)
        self.weighted = sparse.diags(self.sw) @ design
        self.q = None
        if design.shape[0] * design.shape[1] <= self.DENSE_LIMIT:
            self._factorise_dense()
            return
        a = self.weighted
        scale = np.sqrt(np.asarray(a.multiply(a).sum(axis=0)).ravel())
        scale[scale == 0] = 1.0
        self.scale = scale
        self.a = a @ sparse.diags(1.0 / scale)

    def _factorise_dense(self) -> None:
        from scipy.linalg import qr

        a = self.weighted
        q, r, _ = qr(a.toarray(), mode="economic", pivoting=True, check_finite=False)
        diag = np.abs(np.diag(r))
        tol = diag.max(initial=0.0) * max(a.shape) * np.finfo(float).eps
        self.q = q[:, : int((diag > tol).sum())]

    def __call__(self, u: np.ndarray) -> np.ndarray:
        target = u * self.sw
        if self.q is None:
            coef, istop, itn = lsmr(self.a, target, atol=1e-10, btol=1e-10, conlim=1e12,
                                    maxiter=self.LSMR_MAXITER)[:3]
            if istop in self.LSMR_SOLVED:
                return self.design @ (coef / self.scale)
            n, p = self.design.shape
            if n * p > self.DENSE_FALLBACK_LIMIT:
                raise RuntimeError(
                    f"separation check (ReLU): LSMR stopped without a solution (istop={istop}, "
                    f"{itn} iterations, limit {self.LSMR_MAXITER}) on a {n:,} x {p:,} design, "
                    f"too large for the dense fallback ({self.DENSE_FALLBACK_LIMIT:,} cells); "
                    "rescale the regressors (e.g. logs, thousands) or run "
                    "separation=('fe',) and check separation another way")
            self._factorise_dense()  # once: later calls use the QR
        return self.q @ (self.q.T @ target) / self.sw
