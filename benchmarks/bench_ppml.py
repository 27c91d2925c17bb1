"""Benchmark: fit_ppml against pyfixest's fepois and statsmodels' GLM with dummy columns.

Same data, same run, same sample (observations that fit_ppml drops as separated or singletons
are dropped for the peers too, so that every estimator solves the same problem), and the
coefficients must agree to 1e-6 before any time is printed.

- Yotov et al. (2016) panel, 1986-2006 every 4 years, 28,566 rows: exporter-year,
  importer-year and pair effects (about 5,600 of them), errors clustered by pair. statsmodels
  runs there in a child process capped at three quarters of the available memory and at
  BENCH_STATSMODELS_MINUTES (15) per method: its default IRLS (what USITC's gme calls) takes a
  pseudo-inverse of the whole 28,236 x 5,533 design at every step (uncapped on 2026-12-01 it grew
  to 23.5 GB in about 45 minutes and was killed by the kernel), Newton steps use X'WX instead.
  A run stopped by a cap prints a lower bound on the ratio.
Separation: fit_ppml runs ppmlhdfe's all-zero-group and ReLU checks by default; pyfixest runs
only the first by default, so both timings of fit_ppml are printed.

- The same panel's 2006 cross-section with exporter and importer effects and gravity
  covariates (traditional gravity): small enough for statsmodels, so all three peers are timed.

- UN Comtrade / Deep Trade Agreements panel (penppml), 316,317 rows, 1964-2016 every 4 years:
  the same three-way effects (about 36,000). statsmodels is skipped there: the dummy matrix
  alone would take 316,317 x 36,000 x 8 bytes = 91 GB.

pyfixest compiles its demeaning with numba on first use: each peer runs once to warm up and
the best of the timed runs counts. Real data only.
"""
from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "datasets"

from benchmarks.timing import best_of, run_limited  # noqa: E402
from pipeline.gravity import fit_ppml  # noqa: E402

REPEATS = 3
# Per statsmodels attempt on the panel: a bound, so `make bench` ends; a peer stopped there gives
# a lower bound on its ratio. BENCH_STATSMODELS_MINUTES=120 waits longer.
SM_TIMEOUT_S = int(float(os.environ.get("BENCH_STATSMODELS_MINUTES", "15")) * 60)


def memory_cap_gb() -> float:
    """Three quarters of the memory available now: a peer that needs more is stopped cleanly
    (MemoryError in its own process) instead of meeting the kernel's OOM killer."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return 0.75 * int(line.split()[1]) / 2**20
    return 16.0


def yotov() -> pd.DataFrame:
    frame = pd.read_csv(SHARED / "yotov2016_agtpa/agtpa_applications.csv.gz")
    frame = frame[frame["year"].isin(range(1986, 2007, 4))].reset_index(drop=True)
    return frame.rename(columns={"exporter": "exp", "importer": "imp", "year": "time",
                                 "trade": "y", "rta": "rta"})


def comtrade_dta() -> pd.DataFrame:
    frame = pd.read_csv(SHARED / "penppml_comtrade_dta_1964_2016/penppml_trade.csv.gz",
                        usecols=["exp", "imp", "time", "export", "agreement"])
    return frame.assign(y=frame["export"], rta=frame["agreement"].notna().astype(int))


def prepare(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(pair=frame["exp"] + "_" + frame["imp"],
                        ey=frame["exp"] + frame["time"].astype(str),
                        iy=frame["imp"] + frame["time"].astype(str))


def ours(frame, separation=("fe", "relu")):
    return fit_ppml(frame, "y", ["rta"], ["ey", "iy", "pair"], cluster="pair",
                    separation=separation)


def pyfixest_fit(frame):
    import pyfixest as pf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = pf.fepois("y ~ rta | ey + iy + pair", data=frame, vcov={"CRV1": "pair"})
    return float(model.coef()["rta"])


def statsmodels_fit(frame, method: str = "IRLS"):
    """statsmodels' Poisson GLM on a dense design of dummy columns. ``IRLS`` (its default, what
    USITC's gme calls) solves each step by a pseudo-inverse of the whole weighted design;
    ``newton`` steps with the Hessian X'WX instead, which needs far less memory."""
    import statsmodels.api as sm

    dummies = pd.get_dummies(frame[["ey", "iy", "pair"]], dtype=float, drop_first=False)
    design = pd.concat([frame[["rta"]].astype(float), dummies], axis=1)
    # dummies are collinear (three sets each summing to one): drop one column of two sets
    design = design.drop(columns=[dummies.columns[0],
                                  next(c for c in dummies.columns if c.startswith("iy_"))])
    model = sm.GLM(frame["y"].to_numpy(), design, family=sm.families.Poisson())
    if method == "IRLS":
        return float(model.fit(method="IRLS", tol=1e-12, maxiter=200).params["rta"])
    return float(model.fit(method=method, maxiter=100, disp=False).params["rta"])


def cross_section(frame: pd.DataFrame) -> None:
    """Traditional gravity on one year (exporter and importer effects, gravity covariates): the
    one design statsmodels' dummy-column GLM finishes in seconds, so all three peers are timed."""
    data = frame[(frame["time"] == 2006) & (frame["exp"] != frame["imp"])].reset_index(drop=True)
    data = data.assign(ln_dist=np.log(data["dist"]))
    covariates = ["ln_dist", "cntg", "lang", "clny", "rta"]

    def fit_ours(separation=("fe", "relu")):
        return fit_ppml(data, "y", covariates, ["exp", "imp"], separation=separation)

    def fit_pyfixest():
        import pyfixest as pf

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pf.fepois("y ~ " + " + ".join(covariates) + " | exp + imp", data=data,
                             vcov="hetero").coef()

    def fit_statsmodels():
        import statsmodels.api as sm

        dummies = pd.get_dummies(data[["exp", "imp"]], dtype=float).iloc[:, 1:]
        design = pd.concat([data[covariates].astype(float), dummies], axis=1)
        model = sm.GLM(data["y"].to_numpy(), design, family=sm.families.Poisson())
        return model.fit(method="IRLS", tol=1e-12, maxiter=200).params

    res = fit_ours()
    fit_pyfixest()  # numba JIT warm-up
    _, t_ours = best_of(fit_ours)
    _, t_fe = best_of(lambda: fit_ours(("fe",)))
    coef_pf, t_pf = best_of(fit_pyfixest)
    coef_sm, t_sm = best_of(fit_statsmodels)
    for name, coef in (("pyfixest", coef_pf), ("statsmodels", coef_sm)):
        gap = float(np.abs(coef[covariates].to_numpy() - res.params[covariates].to_numpy()).max())
        assert gap < 1e-6, (name, gap)
    print(f"\nYotov et al. 2016, 2006 cross-section: {res.nobs:,} rows, exporter + importer effects, "
          f"{', '.join(covariates)} (rta = {res.params['rta']:.8f})")
    print(f"  fit_ppml (fe+relu checks){t_ours:8.3f} s")
    print(f"  fit_ppml (fe check only) {t_fe:8.3f} s   (the check pyfixest runs by default)")
    print(f"  pyfixest fepois (warm)   {t_pf:8.3f} s   ratio pyfixest / fit_ppml = {t_pf / t_ours:5.2f} "
          f"(all checks), {t_pf / t_fe:5.2f} (same fe check)")
    print(f"  statsmodels GLM dummies  {t_sm:8.3f} s   ratio statsmodels / fit_ppml = {t_sm / t_ours:5.1f} "
          f"(all checks), {t_sm / t_fe:5.1f} (same fe check)")


def relu_cost(name: str, frame: pd.DataFrame, covariates: list[str], effects: list[str]) -> None:
    """What the ReLU separation check (Correia, Guimaraes & Zylkin 2021) adds to a fit: ours
    (one factorisation of the weighted design per call, or LSMR when the effects have many
    levels) against pyfixest's iterative rectifier (``separation_check=["fe", "ir"]``)."""
    import pyfixest as pf

    formula = f"y ~ {' + '.join(covariates)} | {' + '.join(effects)}"

    def theirs(checks):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pf.fepois(formula, data=frame, separation_check=checks).coef()

    def mine(checks):
        return fit_ppml(frame, "y", covariates, effects, separation=checks).params

    theirs(["fe"])  # numba JIT warm-up
    (res, t_all), (_, t_fe) = best_of(lambda: mine(("fe", "relu"))), best_of(lambda: mine(("fe",)))
    (ref, p_all), (_, p_fe) = best_of(lambda: theirs(["fe", "ir"])), best_of(lambda: theirs(["fe"]))
    assert float(np.abs(ref[covariates].to_numpy() - res[covariates].to_numpy()).max()) < 1e-6
    ours_cost, their_cost = max(t_all - t_fe, 1e-3), max(p_all - p_fe, 1e-3)
    print(f"\nReLU separation check, {name}: {len(frame):,} rows, effects {' + '.join(effects)}")
    print(f"  fit_ppml  {t_fe:7.3f} s without, {t_all:7.3f} s with the check (+{ours_cost:.3f} s)")
    print(f"  pyfixest  {p_fe:7.3f} s without, {p_all:7.3f} s with 'ir'    (+{their_cost:.3f} s)   "
          f"ratio of the checks' cost pyfixest / fit_ppml = {their_cost / ours_cost:5.2f}")


def run(name: str, frame: pd.DataFrame, with_statsmodels: bool) -> None:
    frame = prepare(frame)
    ours(frame)  # warm-up (imports, page cache)
    res, t_ours = best_of(lambda: ours(frame))
    same = frame.loc[res.fitted.notna()].reset_index(drop=True)
    print(f"\n{name}: {len(frame):,} rows, {res.nobs:,} used "
          f"({res.separated_obs:,} separated, {res.singleton_obs:,} singletons), "
          f"rta = {res.params['rta']:.8f}")
    _, t_fe = best_of(lambda: ours(frame, ("fe",)))
    print(f"  fit_ppml (fe+relu checks){t_ours:8.2f} s")
    print(f"  fit_ppml (fe check only) {t_fe:8.2f} s   (the check pyfixest runs by default)")
    pyfixest_fit(same)  # numba JIT warm-up
    coef, t_pf = best_of(lambda: pyfixest_fit(same))
    assert abs(coef - res.params["rta"]) < 1e-6, (coef, res.params["rta"])
    print(f"  pyfixest fepois (warm)   {t_pf:8.2f} s   ratio pyfixest / fit_ppml = "
          f"{t_pf / t_ours:5.2f} (all checks), {t_pf / t_fe:5.2f} (same fe check)")
    if not with_statsmodels:
        print("  statsmodels GLM dummies  skipped: dummy matrix would not fit in memory")
        return
    columns = same[["ey", "iy", "pair"]].nunique().sum()
    cap = memory_cap_gb()
    for method in ("IRLS", "newton"):
        print(f"  statsmodels GLM dummies ({method}) running: a dense design of {len(same):,} x {columns:,} "
              f"columns, one run capped at {cap:.0f} GB and {SM_TIMEOUT_S // 60} min ...", flush=True)
        status, coef, t_sm = run_limited(statsmodels_fit, (same, method), memory_gb=cap, timeout_s=SM_TIMEOUT_S)
        if status != "ok":
            what = {"memory": f"ran out of its {cap:.0f} GB", "timeout": "did not finish"}.get(status, status)
            print(f"  statsmodels GLM dummies ({method}) {what} after {t_sm:.0f} s: "
                  f"ratio statsmodels / fit_ppml > {t_sm / t_ours:5.0f}")
            continue
        assert abs(coef - res.params["rta"]) < 1e-6, (coef, res.params["rta"])
        print(f"  statsmodels GLM dummies ({method}) {t_sm:8.2f} s   ratio statsmodels / fit_ppml = "
              f"{t_sm / t_ours:5.1f}")


if __name__ == "__main__":
    print("PPML, exporter-year + importer-year + pair fixed effects, errors clustered by pair")
    print(f"(best of {REPEATS} runs; coefficients of all peers equal to 1e-6)")
    cross_section(yotov())
    fta = pd.read_csv(SHARED / "ppmlhdfe_fta_35countries/EXAMPLE_TRADE_FTA_DATA.csv.gz")
    fta = fta[fta["category"] == "NONMANUF"].rename(
        columns={"isoexp": "exp", "isoimp": "imp", "year": "time", "trade": "y"})
    relu_cost("ppmlhdfe FTA example (non-manufacturing)", prepare(fta), ["fta"], ["ey", "iy", "pair"])
    xsec = yotov().query("time == 2006 and exp != imp")
    relu_cost("Yotov et al. 2016, 2006 cross-section", xsec.assign(ln_dist=np.log(xsec["dist"])),
              ["ln_dist", "cntg", "lang", "clny", "rta"], ["exp", "imp"])
    run("Yotov et al. 2016 panel", yotov(), with_statsmodels=True)
    run("Comtrade/DTA panel (penppml)", comtrade_dta(), with_statsmodels=False)
