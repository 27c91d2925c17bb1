"""High-dimensional fixed effects: encoding, singleton removal and weighted demeaning.

A fixed effect is a column name or a tuple of column names (an interaction such as
exporter x year). Each is encoded as integer codes ``0..G-1``. Demeaning solves, for every
column ``v`` of a matrix and weights ``w``,

    min_alpha  sum_i w_i (v_i - sum_k alpha_k[g_k(i)])^2

by block Gauss-Seidel over the fixed effects (the method of alternating projections of
Guimaraes & Portugal 2010 and Correia 2016, as in ``reghdfe``/``ppmlhdfe``): each sweep sets
``alpha_k += weighted group mean of the current residual`` for every k in turn. The
residual ``v - sum_k alpha_k`` is the demeaned column, and the ``alpha`` are kept so that the
next call (the next IRLS iteration, whose weights changed only a little) starts from them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

FixedEffectSpec = str | tuple[str, ...]


def fe_name(spec: FixedEffectSpec) -> str:
    """``"pair"`` or ``("exporter", "year") -> "exporter^year"``."""
    return spec if isinstance(spec, str) else "^".join(spec)


@dataclass
class FixedEffects:
    """Integer codes of each fixed effect over the estimation sample.

    Attributes
    ----------
    names : list of str
        ``fe_name`` of each spec.
    codes : list of ndarray
        Group code of every observation, ``0..G_k-1``.
    levels : list of pandas.Index
        The level (value, or tuple of values for an interaction) of each code.
    """

    names: list[str]
    codes: list[np.ndarray]
    levels: list[pd.Index]

    @classmethod
    def encode(cls, data: pd.DataFrame, specs: list[FixedEffectSpec]) -> FixedEffects:
        names, codes, levels = [], [], []
        for spec in specs:
            columns = [spec] if isinstance(spec, str) else list(spec)
            missing = [c for c in columns if c not in data.columns]
            if missing:
                raise KeyError(
                    f"fixed effect {fe_name(spec)!r}: column(s) {missing} not in the data "
                    f"(columns: {list(data.columns)}); pass existing column names"
                )
            if len(columns) == 1:
                code, level = pd.factorize(data[columns[0]], sort=True)
            else:
                index = pd.MultiIndex.from_frame(data[columns])
                code, level = pd.factorize(index, sort=True)
            if (code < 0).any():
                raise ValueError(f"fixed effect {fe_name(spec)!r} has missing values in "
                                 f"{int((code < 0).sum())} rows; drop or fill them first")
            names.append(fe_name(spec))
            codes.append(code.astype(np.int64))
            levels.append(pd.Index(level))
        return cls(names, codes, levels)

    def subset(self, keep: np.ndarray) -> FixedEffects:
        """The same effects on the rows ``keep`` (boolean), re-coded densely."""
        codes, levels = [], []
        for code, level in zip(self.codes, self.levels):
            used, new = np.unique(code[keep], return_inverse=True)
            codes.append(new.astype(np.int64))
            levels.append(level[used])
        return FixedEffects(list(self.names), codes, levels)

    @property
    def sizes(self) -> list[int]:
        return [len(level) for level in self.levels]


def singleton_mask(fe: FixedEffects) -> np.ndarray:
    """Rows that are alone in some fixed-effect group, iterated to a fixed point.

    A singleton is fitted perfectly by its own effect and carries no information about the
    slopes; ``reghdfe``/``ppmlhdfe`` drop them (Correia 2015) and so do we, which matters
    for the number of observations and hence the small-sample factors.
    """
    n = len(fe.codes[0]) if fe.codes else 0
    drop = np.zeros(n, dtype=bool)
    while True:
        changed = False
        for code in fe.codes:
            counts = np.bincount(code[~drop], minlength=code.max() + 1 if n else 0)
            single = (counts[code] == 1) & ~drop
            if single.any():
                drop |= single
                changed = True
        if not changed:
            return drop


@dataclass
class Demeaner:
    """Weighted within-transformation for one set of fixed effects and one weight vector.

    ``alphas`` holds, per demeaned column, the estimated effects of the last call, reused as
    starting values (warm start) when the same column is demeaned again with new weights.
    """

    fe: FixedEffects
    tol: float = 1e-10
    max_sweeps: int = 100_000
    alphas: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def demean(self, matrix: np.ndarray, weights: np.ndarray, keys: list[str]) -> np.ndarray:
        """Residuals of ``matrix`` (n x p) after projecting out the fixed effects.

        Converged when the largest update of any effect in a sweep is below ``tol`` times
        the column's scale. Raises ``RuntimeError`` after ``max_sweeps`` sweeps.
        """
        matrix = np.asarray(matrix, dtype=float)
        out = np.empty_like(matrix)
        wsums = [np.bincount(code, weights=weights, minlength=size)
                 for code, size in zip(self.fe.codes, self.fe.sizes)]
        wsums = [np.where(s > 0, s, 1.0) for s in wsums]
        for j, key in enumerate(keys):
            out[:, j] = self._demean_column(matrix[:, j], weights, wsums, key)
        return out

    def demean_tight(self, matrix: np.ndarray, weights: np.ndarray, keys: list[str],
                     tol: float) -> np.ndarray:
        """:meth:`demean` at tolerance ``tol`` for this call only (warm starts are kept)."""
        loose, self.tol = self.tol, tol
        try:
            return self.demean(matrix, weights, keys)
        finally:
            self.tol = loose

    def _demean_column(self, v: np.ndarray, w: np.ndarray, wsums: list[np.ndarray],
                       key: str) -> np.ndarray:
        alphas = self.alphas.get(key)
        if alphas is None:
            alphas = [np.zeros(size) for size in self.fe.sizes]
        resid = self._residual(v, alphas)
        scale = max(float(np.sqrt(np.average(v * v, weights=w))), 1e-300)
        if len(self.fe.codes) == 1:
            self._sweep(alphas, resid, w, wsums)
            self.alphas[key] = alphas
            return resid
        for _ in range(self.max_sweeps):
            # (Irons-Tuck extrapolation was measured here: slower, as each jump must
            # rebuild the residual; plain sweeps with warm starts win on gravity panels)
            if self._sweep(alphas, resid, w, wsums) <= self.tol * scale:
                break
        else:
            raise RuntimeError(
                f"demeaning of {key!r} did not converge in {self.max_sweeps} sweeps over the "
                f"fixed effects {self.fe.names}; the effects may be nearly collinear"
            )
        self.alphas[key] = alphas
        return resid

    def _residual(self, v: np.ndarray, alphas: list[np.ndarray]) -> np.ndarray:
        resid = v.copy()
        for code, alpha in zip(self.fe.codes, alphas):
            resid -= alpha[code]
        return resid

    def _sweep(self, alphas, resid, w, wsums) -> float:
        """One Gauss-Seidel pass over the effects (in place); the largest update."""
        biggest = 0.0
        for code, alpha, wsum in zip(self.fe.codes, alphas, wsums):
            step = np.bincount(code, weights=w * resid, minlength=len(alpha)) / wsum
            alpha += step
            resid -= step[code]
            biggest = max(biggest, float(np.abs(step).max()))
        return biggest
