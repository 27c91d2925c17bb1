"""Structural gravity estimates from the canonical gravity panel."""
from __future__ import annotations

import dagster as dg
import pandas as pd

from assets.contract_gate import gate, output_metadata, published_asset
from assets.plots import coefficient_chart_md
from pipeline.gravity.specs import SPECS, estimate_specs, prepare_panel

BOOK_PANEL = "yotov2016_agtpa"
BOOK_YEARS = [1986, 1990, 1994, 1998, 2002, 2006]
AGREEMENT_TERMS = ["rta", "rta_lead4", "total_rta"]


@published_asset("gravity_estimates", "out")
def out__gravity_estimates(context, core__gravity_panel: pd.DataFrame):
    """The Advanced Guide's gravity specifications (Yotov et al. 2016, ch. 1) on the book's
    panel and years (1986-2006 every 4 years): traditional OLS and PPML, intra-national
    trade, pair fixed effects, lead test, phasing-in lags with their total, globalization.
    PPML with exporter-year, importer-year (and pair) fixed effects, errors clustered by pair."""
    panel = prepare_panel(core__gravity_panel, BOOK_PANEL, BOOK_YEARS)
    context.log.info(f"estimating {len(SPECS)} specifications on {len(panel):,} rows of {BOOK_PANEL}")
    frame = estimate_specs(panel).assign(panel_id=BOOK_PANEL)
    frame = frame[["panel_id", "spec", "term", "estimator", "estimate", "std_error", "nobs"]]
    frame = yield from gate("out__gravity_estimates", frame, "gravity_estimates",
                            f"core__gravity_panel ({BOOK_PANEL})")
    shown = frame[frame["term"].isin(AGREEMENT_TERMS)].assign(
        label=lambda f: f["spec"] + ": " + f["term"])
    meta = output_metadata(frame, f"core__gravity_panel ({BOOK_PANEL})")
    meta["plot"] = coefficient_chart_md(shown, "label", "estimate", "std_error",
                                        "Trade-agreement effects by specification (PPML/OLS)")
    yield dg.Output(frame, metadata=meta)
