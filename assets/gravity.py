"""Structural gravity estimates from the canonical gravity panel."""
from __future__ import annotations

import dagster as dg
import pandas as pd

from assets.contract_gate import gate, output_metadata, published_asset
from assets.plots import coefficient_chart_md
from pipeline.gravity.specs import SPECS, dropped_summary, estimate_specs, prepare_panel

BOOK_PANEL = "yotov2016_agtpa"
BOOK_YEARS = [1986, 1990, 1994, 1998, 2002, 2006]
AGREEMENT_TERMS = ["rta", "rta_lead4", "total_rta"]


@published_asset("gravity_estimates", "out")
def out__gravity_estimates(context, core__gravity_panel: pd.DataFrame):
    """The Advanced Guide's gravity specifications (Yotov et al. 2016, ch. 1) on the book's
    panel and years (1986-2006 every 4 years): traditional OLS and PPML, intra-national
    trade, pair fixed effects, lead test, phasing-in lags with their total, globalization.
    PPML with exporter-year, importer-year (and symmetric pair) fixed effects, errors clustered
    by the symmetric pair as in the book. A regressor collinear with the fixed effects or the
    other regressors is published with its `omitted_reason` and no estimate; the metadata
    lists the observations each specification dropped (separated, singletons, zeros)."""
    panel = prepare_panel(core__gravity_panel, BOOK_PANEL, BOOK_YEARS)
    context.log.info(f"estimating {len(SPECS)} specifications on {len(panel):,} rows of {BOOK_PANEL}")
    fits: dict = {}
    frame = estimate_specs(panel, fits=fits).assign(panel_id=BOOK_PANEL)
    frame = frame[["panel_id", "spec", "term", "estimator", "estimate", "std_error", "nobs",
                   "omitted_reason"]]
    frame = yield from gate("out__gravity_estimates", frame, "gravity_estimates",
                            f"core__gravity_panel ({BOOK_PANEL})")
    shown = frame[frame["term"].isin(AGREEMENT_TERMS)].assign(
        label=lambda f: f["spec"] + ": " + f["term"])
    meta = output_metadata(frame, f"core__gravity_panel ({BOOK_PANEL})")
    dropped = dropped_summary(fits)
    meta["dropped_observations"] = dg.MetadataValue.md(dropped.to_markdown(index=False))
    meta["omitted_terms"] = dg.MetadataValue.json(
        {name: res.omitted_reasons for name, res in fits.items() if res.omitted_reasons})
    meta["plot"] = coefficient_chart_md(shown, "label", "estimate", "std_error",
                                        "Trade-agreement effects by specification (PPML/OLS)")
    yield dg.Output(frame, metadata=meta)
