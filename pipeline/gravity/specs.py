"""The named gravity specifications of the Advanced Guide, on the canonical gravity panel.

Yotov, Piermartini, Monteiro & Larch (2016), *An Advanced Guide to Trade Policy Analysis:
The Structural Gravity Model* (WTO/UNCTAD), chapter 1, applications 1 and 3. Every
specification takes the canonical ``gravity_panel`` columns (``exporter_iso3``,
``importer_iso3``, ``year``, ``trade_value_usd``, ``distance_km``, ``contiguity``,
``common_language``, ``colony``, ``agreement``, ``rta_lag*``, ``rta_lead4``) of one panel:

- ``traditional_ols`` / ``traditional_ppml``: ``ln_dist, cntg, lang, clny, rta`` with
  exporter-year and importer-year effects, international flows only (the book's
  "traditional" gravity, OLS on positive flows and PPML with zeros);
- ``intranational``: PPML on international and intra-national flows, with an international
  border dummy ``intl_border`` (1 - same country);
- ``pair_fe``: PPML with exporter-year, importer-year and pair effects; ``rta`` only (the
  pair effects absorb every time-invariant pair variable and the endogeneity of agreements);
- ``lead_test``: ``pair_fe`` plus ``rta_lead4`` (strict exogeneity: the lead should be 0);
- ``phasing_in``: ``rta, rta_lag4, rta_lag8, rta_lag12`` and their sum ``total_rta``
  (delta-method standard error);
- ``globalization``: ``phasing_in`` plus ``intl_border x year`` dummies (the effect of
  globalisation on international relative to domestic trade, first year the base).

Errors are clustered by pair, as in the book.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from pipeline.gravity.inference import lincom
from pipeline.gravity.ols import fit_ols
from pipeline.gravity.ppml import fit_ppml

EXP_YEAR, IMP_YEAR = ("exporter_iso3", "year"), ("importer_iso3", "year")
GRAVITY = ["ln_dist", "contiguity", "common_language", "colony", "rta"]
LAGS = ["rta", "rta_lag4", "rta_lag8", "rta_lag12"]


def prepare_panel(panel: pd.DataFrame, panel_id: str | None = None,
                  years: list[int] | None = None) -> pd.DataFrame:
    """One panel of the canonical gravity table, with the derived columns the specs use."""
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
    frame["pair"] = frame["exporter_iso3"] + "_" + frame["importer_iso3"]
    frame["intl_border"] = (frame["exporter_iso3"] != frame["importer_iso3"]).astype(int)
    with np.errstate(divide="ignore"):
        frame["ln_dist"] = np.log(frame["distance_km"].astype(float))
    return frame.reset_index(drop=True)


def _international(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["intl_border"] == 1]


def _border_years(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    years = sorted(frame["year"].unique())
    names = []
    frame = frame.copy()
    for year in years[1:]:
        name = f"intl_border_{year}"
        frame[name] = ((frame["year"] == year) & (frame["intl_border"] == 1)).astype(int)
        names.append(name)
    return frame, names


def _spec_table(name: str, res, extra: dict[str, tuple[float, float]] | None = None) -> pd.DataFrame:
    table = res.table()[["term", "estimate", "std_error", "nobs"]]
    for term, (estimate, se) in (extra or {}).items():
        table.loc[len(table)] = [term, estimate, se, res.nobs]
    table.insert(0, "estimator", res.estimator)
    table.insert(0, "spec", name)
    return table


def _traditional_ols(f):
    return _spec_table("traditional_ols", fit_ols(_international(f), "trade", GRAVITY,
                                                  [EXP_YEAR, IMP_YEAR], cluster="pair"))


def _traditional_ppml(f):
    return _spec_table("traditional_ppml", fit_ppml(_international(f), "trade", GRAVITY,
                                                    [EXP_YEAR, IMP_YEAR], cluster="pair"))


def _intranational(f):
    # domestic pairs carry their internal distance in the Yotov panel
    return _spec_table("intranational", fit_ppml(f, "trade", [*GRAVITY, "intl_border"],
                                                 [EXP_YEAR, IMP_YEAR], cluster="pair"))


def _pair_fe(f):
    return _spec_table("pair_fe", fit_ppml(f, "trade", ["rta"], [EXP_YEAR, IMP_YEAR, "pair"],
                                           cluster="pair"))


def _lead_test(f):
    return _spec_table("lead_test", fit_ppml(f, "trade", ["rta", "rta_lead4"],
                                             [EXP_YEAR, IMP_YEAR, "pair"], cluster="pair"))


def _phasing_in(f):
    res = fit_ppml(f, "trade", LAGS, [EXP_YEAR, IMP_YEAR, "pair"], cluster="pair")
    total = lincom(res, {term: 1.0 for term in LAGS if term in res.params.index})
    return _spec_table("phasing_in", res, {"total_rta": total})


def _globalization(f):
    frame, borders = _border_years(f)
    res = fit_ppml(frame, "trade", [*LAGS, *borders], [EXP_YEAR, IMP_YEAR, "pair"],
                   cluster="pair")
    total = lincom(res, {term: 1.0 for term in LAGS if term in res.params.index})
    return _spec_table("globalization", res, {"total_rta": total})


SPECS: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
    "traditional_ols": _traditional_ols,
    "traditional_ppml": _traditional_ppml,
    "intranational": _intranational,
    "pair_fe": _pair_fe,
    "lead_test": _lead_test,
    "phasing_in": _phasing_in,
    "globalization": _globalization,
}


def required_columns(spec: str) -> list[str]:
    """Covariates a spec needs beyond the keys and trade (empty columns make it skip)."""
    return {
        "traditional_ols": ["distance_km", "contiguity", "common_language", "colony", "agreement"],
        "traditional_ppml": ["distance_km", "contiguity", "common_language", "colony", "agreement"],
        "intranational": ["distance_km", "contiguity", "common_language", "colony", "agreement"],
        "pair_fe": ["agreement"],
        "lead_test": ["agreement", "rta_lead4"],
        "phasing_in": ["agreement", "rta_lag4", "rta_lag8", "rta_lag12"],
        "globalization": ["agreement", "rta_lag4", "rta_lag8", "rta_lag12"],
    }[spec]


def estimate_specs(panel: pd.DataFrame, specs: list[str] | None = None) -> pd.DataFrame:
    """Run the named specifications on a prepared panel; a tidy table of all terms.

    Columns: ``spec, estimator, term, estimate, std_error, nobs``. A spec whose covariates
    the panel lacks (all missing) raises ``ValueError`` naming them.
    """
    tables = []
    for name in specs or list(SPECS):
        if name not in SPECS:
            raise ValueError(f"unknown gravity spec {name!r}; choose from {list(SPECS)}")
        lacking = [c for c in required_columns(name) if c not in panel or panel[c].isna().all()]
        if lacking:
            raise ValueError(f"spec {name!r} needs {lacking}, which this panel does not have")
        tables.append(SPECS[name](panel))
    return pd.concat(tables, ignore_index=True)
