"""The named gravity specifications of the Advanced Guide, on the canonical gravity panel.

Yotov, Piermartini, Monteiro & Larch (2016), *An Advanced Guide to Trade Policy Analysis:
The Structural Gravity Model* (WTO/UNCTAD), chapter 1, application 3 ("Regional trade
agreements effects", the table of columns OLS, PPML, INTRA, BRDR, LEAD, PHSNG, GLBZN) as its
Stata file ``RTAsEffects.do`` runs it: the years 1986-2006 every four years, errors clustered
by the *symmetric* pair (``pair_id``: one id per country pair whatever the direction, each
country's domestic pair its own id; 2,415 ids for 69 countries), pair fixed effects on the
same symmetric pairs. The specifications, one row of :data:`SPECS` each:

- ``traditional_ols`` / ``traditional_ppml``: ``ln_dist, cntg, lang, clny, rta`` with
  exporter-year and importer-year effects, international flows only (OLS on positive flows);
- ``intranational``: PPML on international and intra-national flows with a country-specific
  intra-national dummy per country (the book's ``PAIR_FE2347-PAIR_FE2415``), absorbed here
  as the fixed effect ``intra_pair`` (the domestic pair, one level for all international);
- ``pair_fe``: exporter-year, importer-year and symmetric pair effects; ``rta`` only;
- ``lead_test``: ``pair_fe`` plus ``rta_lead4`` (strict exogeneity: the lead should be 0);
- ``phasing_in``: ``rta, rta_lag4, rta_lag8, rta_lag12`` and their sum ``total_rta``
  (``lincom``, delta-method standard error);
- ``globalization``: ``phasing_in`` plus ``intl_border_<year>`` for every year but the last
  (the book's ``INTL_BRDR_1986 ... INTL_BRDR_2002``, 2006 the base).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.gravity.inference import lincom
from pipeline.gravity.ols import fit_ols
from pipeline.gravity.ppml import fit_ppml
from pipeline.gravity.result import FitResult

EXP_YEAR, IMP_YEAR = ("exporter_iso3", "year"), ("importer_iso3", "year")
GRAVITY = ("ln_dist", "contiguity", "common_language", "colony", "rta")
LAGS = ("rta", "rta_lag4", "rta_lag8", "rta_lag12")
GRAVITY_INPUTS = ("distance_km", "contiguity", "common_language", "colony", "agreement")
BORDER_YEARS = "intl_border_<year>"  # placeholder expanded to the panel's years but the last


@dataclass(frozen=True)
class Spec:
    """One column of the book's table: estimator, sample, regressors, fixed effects."""

    estimator: str  # "ppml" or "ols"
    regressors: tuple[str, ...]
    fixed_effects: tuple = (EXP_YEAR, IMP_YEAR)
    international_only: bool = False
    needs: tuple[str, ...] = ("agreement",)  # canonical columns the spec cannot do without
    totals: dict[str, tuple[str, ...]] = field(default_factory=dict)


SPECS: dict[str, Spec] = {
    "traditional_ols": Spec("ols", GRAVITY, international_only=True, needs=GRAVITY_INPUTS),
    "traditional_ppml": Spec("ppml", GRAVITY, international_only=True, needs=GRAVITY_INPUTS),
    "intranational": Spec("ppml", GRAVITY, (EXP_YEAR, IMP_YEAR, "intra_pair"),
                          needs=GRAVITY_INPUTS),
    "pair_fe": Spec("ppml", ("rta",), (EXP_YEAR, IMP_YEAR, "pair")),
    "lead_test": Spec("ppml", ("rta", "rta_lead4"), (EXP_YEAR, IMP_YEAR, "pair"),
                      needs=("agreement", "rta_lead4")),
    "phasing_in": Spec("ppml", LAGS, (EXP_YEAR, IMP_YEAR, "pair"),
                       needs=("agreement", "rta_lag4", "rta_lag8", "rta_lag12"),
                       totals={"total_rta": LAGS}),
    "globalization": Spec("ppml", (*LAGS, BORDER_YEARS), (EXP_YEAR, IMP_YEAR, "pair"),
                          needs=("agreement", "rta_lag4", "rta_lag8", "rta_lag12"),
                          totals={"total_rta": LAGS}),
}
TABLE_COLUMNS = ["spec", "estimator", "term", "estimate", "std_error", "nobs", "omitted_reason"]


def prepare_panel(panel: pd.DataFrame, panel_id: str | None = None,
                  years: list[int] | None = None) -> pd.DataFrame:
    """One panel of the canonical gravity table, with the derived columns the specs use.

    ``trade`` is in millions of USD (as the book's data); ``pair`` is the symmetric pair
    (``"ARG_AUS"`` for both directions), ``intra_pair`` the domestic pair or ``"inter"``.
    """
    frame = panel
    if panel_id is not None:
        frame = frame[frame["panel_id"] == panel_id]
        if frame.empty:
            known = sorted(panel["panel_id"].unique()) if "panel_id" in panel else []
            raise ValueError(f"gravity panel {panel_id!r} not found; panels present: {known}")
    if years is not None:
        frame = frame[frame["year"].isin(years)]
    frame = frame.copy()
    frame["trade"] = frame["trade_value_usd"].astype(float) / 1e6  # millions: better scaled
    frame["rta"] = frame["agreement"]
    exporter, importer = frame["exporter_iso3"], frame["importer_iso3"]
    low, high = np.minimum(exporter, importer), np.maximum(exporter, importer)
    frame["pair"] = low + "_" + high  # symmetric: the book's pair_id, not the direction
    frame["intl_border"] = (exporter != importer).astype(int)
    frame["intra_pair"] = np.where(frame["intl_border"] == 1, "inter", frame["pair"])
    with np.errstate(divide="ignore"):
        frame["ln_dist"] = np.log(frame["distance_km"].astype(float))
    return frame.reset_index(drop=True)


def _border_years(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """``intl_border_<year>`` dummies for every year but the last (the book's base year)."""
    names = [f"intl_border_{year}" for year in sorted(frame["year"].unique())[:-1]]
    extra = {name: ((frame["year"] == int(name[-4:])) & (frame["intl_border"] == 1)).astype(int)
             for name in names}
    return frame.assign(**extra), names


def fit_spec(name: str, frame: pd.DataFrame) -> FitResult:
    """Fit one named specification on a prepared panel (see :func:`prepare_panel`)."""
    spec = SPECS[name]
    data = frame[frame["intl_border"] == 1] if spec.international_only else frame
    regressors = list(spec.regressors)
    if BORDER_YEARS in regressors:
        data, borders = _border_years(data)
        regressors = [*regressors[:regressors.index(BORDER_YEARS)], *borders]
    fit = fit_ols if spec.estimator == "ols" else fit_ppml
    return fit(data, "trade", regressors, list(spec.fixed_effects), cluster="pair")


def spec_table(name: str, res: FitResult) -> pd.DataFrame:
    """Tidy rows of one fit: estimated terms, totals (``lincom``) and omitted terms."""
    table = res.table()[["term", "estimate", "std_error", "nobs"]].assign(omitted_reason=None)
    rows = [table]
    for total, terms in SPECS[name].totals.items():
        lost = [t for t in terms if t not in res.params.index]
        if lost:
            raise ValueError(f"spec {name!r}: {total} sums {list(terms)}, but {lost} were "
                             f"omitted ({res.omitted_reasons}); a total without them is not the "
                             "book's total effect: check those columns of the panel")
        estimate, se = lincom(res, {term: 1.0 for term in terms})
        rows.append(pd.DataFrame([{"term": total, "estimate": estimate, "std_error": se,
                                   "nobs": res.nobs, "omitted_reason": None}]))
    if res.omitted:
        rows.append(pd.DataFrame([{"term": t, "estimate": np.nan, "std_error": np.nan,
                                   "nobs": res.nobs, "omitted_reason": res.omitted_reasons[t]}
                                  for t in res.omitted]))
    out = pd.concat(rows, ignore_index=True)
    out.insert(0, "estimator", res.estimator)
    out.insert(0, "spec", name)
    return out[TABLE_COLUMNS]


def required_columns(spec: str) -> list[str]:
    """Canonical columns a spec needs beyond the keys and trade (empty columns make it fail)."""
    return list(SPECS[spec].needs)


def estimate_specs(panel: pd.DataFrame, specs: list[str] | None = None,
                   fits: dict[str, FitResult] | None = None) -> pd.DataFrame:
    """Run the named specifications on a prepared panel; a tidy table of all terms.

    Columns: :data:`TABLE_COLUMNS`. ``omitted_reason`` is set (and estimate and standard
    error missing) for a regressor dropped as collinear. A spec whose covariates the panel
    lacks (all missing) raises ``ValueError`` naming them. Pass a dict as ``fits`` to get
    each :class:`FitResult` back (dropped observations, clusters) by spec name.
    """
    tables = []
    for name in specs or list(SPECS):
        if name not in SPECS:
            raise ValueError(f"unknown gravity spec {name!r}; choose from {list(SPECS)}")
        lacking = [c for c in required_columns(name) if c not in panel or panel[c].isna().all()]
        if lacking:
            raise ValueError(f"spec {name!r} needs {lacking}, which this panel does not have")
        res = fit_spec(name, panel)
        if fits is not None:
            fits[name] = res
        tables.append(spec_table(name, res))
    return pd.concat(tables, ignore_index=True)


def dropped_summary(fits: dict[str, FitResult]) -> pd.DataFrame:
    """Per spec: observations used and dropped (separated, singletons, zeros for OLS), clusters."""
    return pd.DataFrame([{
        "spec": name, "nobs": r.nobs, "dropped": r.dropped_obs, "separated": r.separated_obs,
        "singletons": r.singleton_obs, "clusters": r.n_clusters,
        "omitted": ", ".join(r.omitted) or "-"} for name, r in fits.items()])
