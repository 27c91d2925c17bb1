"""PPML with high-dimensional fixed effects against published and independent results."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.gravity import fit_ols, fit_ppml, lincom

GRAVITY = ["lndist", "contiguity", "common_language", "pta", "international"]


@pytest.fixture(scope="module")
def sample(shared_datasets):
    return pd.read_csv(shared_datasets / "gegravity_sample_2006/sample_data_set.csv")


@pytest.fixture(scope="module")
def yotov(shared_datasets):
    frame = pd.read_csv(shared_datasets / "yotov2016_agtpa/agtpa_applications.csv.gz")
    frame = frame[frame["year"].isin([1986, 1990, 1994, 1998, 2002, 2006])].reset_index(drop=True)
    frame["pair"] = frame["exporter"] + "_" + frame["importer"]
    return frame


def test_reproduces_stata_ppmlhdfe_to_1e_5(sample, shared_datasets):
    """USITC gegravity's published ppmlhdfe run: exporter + importer effects, robust errors."""
    ref = pd.read_csv(shared_datasets / "gegravity_sample_2006/reference_ppml_estimates.csv")
    ref = ref.set_index("variable")
    res = fit_ppml(sample, "trade", GRAVITY, fixed_effects=["exporter", "importer"])
    assert res.converged and res.nobs == 900 and res.dropped_obs == 0
    for term in GRAVITY:
        assert res.params[term] == pytest.approx(ref.loc[term, "estimate"], abs=1e-5)
        assert res.std_errors[term] == pytest.approx(ref.loc[term, "std_error"], abs=1e-5)


def test_fitted_values_and_fixed_effects_add_up(sample):
    res = fit_ppml(sample, "trade", GRAVITY, fixed_effects=["exporter", "importer"])
    eta = sample[GRAVITY].to_numpy() @ res.params[GRAVITY].to_numpy()
    eta = eta + res.fixed_effects["exporter"].reindex(sample["exporter"]).to_numpy()
    eta = eta + res.fixed_effects["importer"].reindex(sample["importer"]).to_numpy()
    np.testing.assert_allclose(np.exp(eta), res.fitted.to_numpy(), rtol=1e-8)
    # Poisson first-order condition: fitted and actual totals agree within each exporter
    by_exporter = sample.assign(fitted=res.fitted).groupby("exporter")[["trade", "fitted"]].sum()
    np.testing.assert_allclose(by_exporter["fitted"], by_exporter["trade"], rtol=1e-7)


def test_three_way_fixed_effects_match_pyfixest(yotov):
    """Yotov et al. (2016) panel, exporter-year, importer-year and pair effects: the same
    coefficient as pyfixest's fepois (an independent implementation of the same estimator)."""
    pf = pytest.importorskip("pyfixest")
    res = fit_ppml(yotov, "trade", ["rta"], [("exporter", "year"), ("importer", "year"), "pair"],
                   cluster="pair")
    data = yotov.assign(ey=yotov["exporter"] + yotov["year"].astype(str),
                        iy=yotov["importer"] + yotov["year"].astype(str))
    ref = pf.fepois("trade ~ rta | ey + iy + pair", data=data, vcov={"CRV1": "pair"})
    assert res.params["rta"] == pytest.approx(float(ref.coef()["rta"]), abs=1e-6)
    assert res.nobs == ref._N
    # pyfixest's CRV1 also multiplies by (N-1)/(N-K); ppmlhdfe uses G/(G-1) only, so
    # ours is slightly smaller (the exact sandwich is checked by hand below)
    assert 0.95 < res.std_errors["rta"] / float(ref.se()["rta"]) < 1.0


def test_no_fixed_effects_estimates_a_constant(sample):
    res = fit_ppml(sample, "trade", ["lndist"])
    assert list(res.params.index) == ["const", "lndist"]
    # with a constant, fitted total equals actual total (score of the constant)
    assert res.fitted.sum() == pytest.approx(sample["trade"].sum(), rel=1e-8)


def test_cluster_errors_use_g_over_g_minus_1(sample):
    """One-way clustered sandwich by hand from the fitted model."""
    res = fit_ppml(sample, "trade", ["lndist", "contiguity"], cluster="exporter")
    x = np.column_stack([np.ones(len(sample)), sample[["lndist", "contiguity"]].to_numpy()])
    mu = res.fitted.to_numpy()
    bread = np.linalg.inv(x.T @ (x * mu[:, None]))
    scores = pd.DataFrame(x * (sample["trade"].to_numpy() - mu)[:, None]).groupby(
        sample["exporter"].to_numpy()).sum().to_numpy()
    g = len(scores)
    vcov = bread @ (scores.T @ scores) @ bread * g / (g - 1)
    np.testing.assert_allclose(res.std_errors.to_numpy(), np.sqrt(np.diag(vcov)), rtol=1e-6)
    assert res.n_clusters == 30


def test_lincom_is_sum_with_delta_method_error(yotov):
    lags = ["rta", "rta_lag4", "rta_lag8", "rta_lag12"]
    res = fit_ppml(yotov, "trade", lags, [("exporter", "year"), ("importer", "year"), "pair"],
                   cluster="pair")
    estimate, se = lincom(res, {term: 1 for term in lags})
    assert estimate == pytest.approx(res.params[lags].sum(), rel=1e-12)
    v = res.vcov.loc[lags, lags].to_numpy()
    assert se == pytest.approx(np.sqrt(v.sum()), rel=1e-12)
    assert se < res.std_errors[lags].sum()  # lags are negatively correlated in this panel
    with pytest.raises(KeyError, match="not among the estimated terms"):
        lincom(res, {"wto": 1})


def test_ols_drops_zeros_and_logs(yotov):
    intl = yotov[yotov["exporter"] != yotov["importer"]]
    res = fit_ols(intl, "trade", ["rta"], [("exporter", "year"), ("importer", "year")])
    assert res.nobs == int((intl["trade"] > 0).sum()) - res.singleton_obs
    assert res.dropped_obs == len(intl) - res.nobs


def test_bad_input_names_the_columns(sample):
    with pytest.raises(KeyError, match="'tariff'"):
        fit_ppml(sample, "trade", ["tariff"])
    bad = sample.assign(trade=sample["trade"].where(sample.index != 3, -1.0))
    with pytest.raises(ValueError, match="negative"):
        fit_ppml(bad, "trade", ["lndist"])
    missing = sample.assign(lndist=sample["lndist"].where(sample.index != 5))
    with pytest.raises(ValueError, match="missing or non-numeric"):
        fit_ppml(missing, "trade", ["lndist"])
