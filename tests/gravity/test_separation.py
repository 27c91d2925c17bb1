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


def _relu_inputs(shared_datasets, case):
    """The case after the fixed-effect check, as ``fit_ppml`` hands it to the ReLU check:
    the frame, the rows kept, the separated mask so far and ``relu_separated``'s arguments."""
    frame, xs, ids = _load(shared_datasets, case)
    y = frame["y"].to_numpy(float)
    fe = FixedEffects.encode(frame, ids) if ids else None
    separated, singletons = zero_fe_groups_mask(y, fe)
    keep = ~(separated | singletons)
    x = frame[xs].to_numpy(float)[keep] if xs else np.empty((keep.sum(), 0))
    if fe is None:
        x = np.column_stack([np.ones(keep.sum()), x])
    args = (y[keep], x if x.shape[1] else None, fe.subset(keep) if fe else None)
    return frame, keep, separated, args


@pytest.mark.parametrize("case", CASES)
def test_separated_observations_match_ppmlhdfe(shared_datasets, case):
    frame, keep, separated, args = _relu_inputs(shared_datasets, case)
    relu = relu_separated(*args)
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


@pytest.mark.parametrize("case", CASES)
def test_relu_factorises_once_and_both_paths_agree(shared_datasets, case, monkeypatch):
    """Issue 13 part 4: the weighted design is factorised once per call however many ReLU
    iterations run, and the LSMR path (larger designs) finds ppmlhdfe's separated observations
    as the dense QR path does."""
    from pipeline.gravity import separation

    frame, keep, separated, args = _relu_inputs(shared_datasets, case)
    counts = {"factorised": 0, "solved": 0}
    real_init, real_call = separation.WeightedFit.__init__, separation.WeightedFit.__call__

    def counted_init(self, *init_args):
        counts["factorised"] += 1
        real_init(self, *init_args)

    def counted_call(self, u):
        counts["solved"] += 1
        return real_call(self, u)

    monkeypatch.setattr(separation.WeightedFit, "__init__", counted_init)
    monkeypatch.setattr(separation.WeightedFit, "__call__", counted_call)
    expected = frame["separated"].to_numpy() == 1
    for limit in (separation.WeightedFit.DENSE_LIMIT, 0):  # dense QR, then LSMR
        monkeypatch.setattr(separation.WeightedFit, "DENSE_LIMIT", limit)
        counts.update(factorised=0, solved=0)
        relu = relu_separated(*args)
        found = separated.copy()
        found[np.flatnonzero(keep)[relu]] = True
        assert np.flatnonzero(found).tolist() == np.flatnonzero(expected).tolist(), limit
        assert counts["factorised"] <= 1 and counts["solved"] >= counts["factorised"]


@pytest.mark.parametrize("case", CASES)
def test_lsmr_stopped_short_falls_back_or_raises(shared_datasets, case, monkeypatch):
    """LSMR forced to stop after 1 iteration (istop = 7, no least-squares solution): the check
    must not go on with that fit. It falls back to the dense QR and still finds ppmlhdfe's
    separated observations; with no room for the dense design it raises, naming istop."""
    from scipy.sparse.linalg import lsmr

    from pipeline.gravity import separation

    frame, keep, separated, args = _relu_inputs(shared_datasets, case)
    monkeypatch.setattr(separation.WeightedFit, "DENSE_LIMIT", 0)  # take the LSMR path
    monkeypatch.setattr(separation, "lsmr", lambda *a, **k: lsmr(*a, **{**k, "maxiter": 1}))
    relu = relu_separated(*args)
    separated[np.flatnonzero(keep)[relu]] = True
    assert separated.tolist() == (frame["separated"] == 1).tolist()
    monkeypatch.setattr(separation.WeightedFit, "DENSE_FALLBACK_LIMIT", 0)
    with pytest.raises(RuntimeError, match=r"LSMR stopped without a solution \(istop=7"):
        relu_separated(*args)
