"""Separation: the 18 test datasets of Stata's ppmlhdfe (Correia, Guimaraes & Zylkin)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.gravity import fit_ppml
from pipeline.gravity.absorb import FixedEffects
from pipeline.gravity.separation import relu_separated, zero_fe_groups_mask

CASES = [f"{i:02d}" for i in range(1, 19)]


def _load(shared_datasets, case):
    frame = pd.read_csv(shared_datasets / f"ppmlhdfe_separation/{case}.csv")
    xs = [c for c in frame.columns if c.startswith("x")]
    ids = [c for c in frame.columns if c.startswith("id")]
    return frame, xs, ids


@pytest.mark.parametrize("case", CASES)
def test_separated_observations_match_ppmlhdfe(shared_datasets, case):
    frame, xs, ids = _load(shared_datasets, case)
    y = frame["y"].to_numpy(float)
    fe = FixedEffects.encode(frame, ids) if ids else None
    separated, singletons = zero_fe_groups_mask(y, fe)
    keep = ~(separated | singletons)
    x = frame[xs].to_numpy(float)[keep] if xs else np.empty((keep.sum(), 0))
    if fe is None:
        x = np.column_stack([np.ones(keep.sum()), x])
    relu = relu_separated(y[keep], x if x.shape[1] else None, fe.subset(keep) if fe else None)
    separated[np.flatnonzero(keep)[relu]] = True
    expected = frame["separated"].to_numpy() == 1
    assert np.flatnonzero(separated).tolist() == np.flatnonzero(expected).tolist()


@pytest.mark.parametrize("case", CASES)
def test_fit_drops_them_and_stays_finite(shared_datasets, case):
    frame, xs, ids = _load(shared_datasets, case)
    res = fit_ppml(frame, "y", xs, fixed_effects=ids or None)
    assert res.converged
    assert res.separated_obs == int(frame["separated"].sum())
    assert res.dropped_obs == res.separated_obs + res.singleton_obs
    assert np.isfinite(res.params).all() and np.isfinite(res.std_errors).all()
    assert res.fitted[frame["separated"] == 1].isna().all()
