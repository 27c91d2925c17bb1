"""Services trade restrictiveness (OECD STRI): each economy's index, its rank, and group averages.

Thin layer over :mod:`pipeline.metrics.restrictiveness`: the asset passes the contract gate of
``services_restrictiveness_profile`` and shows a preview and a plot of the BRICS against the TiSA
parties (Digital STRI composite by year) in the UI.
"""
from __future__ import annotations

import dagster as dg
import pandas as pd

from assets.contract_gate import gate, output_metadata, published_asset
from assets.plots import line_chart_md
from pipeline.metrics.restrictiveness import restrictiveness_profile
from pipeline.reference.groups import membership_panel

SOURCE = "core__services_restrictiveness (OECD STRI), core__country_groups"


@published_asset("services_restrictiveness_profile", "out")
def out__services_restrictiveness(core__services_restrictiveness: pd.DataFrame,
                                  core__country_groups: pd.DataFrame):
    """Per economy and year, each OECD STRI (composite and five policy areas, 0 open .. 1 closed)
    with its rank among the economies covered (1 = most restrictive), and the simple mean of the
    BRICS, TiSA parties, OECD and EU members covered, membership of the year (1 July rule)."""
    years = sorted(core__services_restrictiveness["year"].astype(int).unique())
    frame = restrictiveness_profile(core__services_restrictiveness, membership_panel(core__country_groups, years))
    frame = yield from gate("out__services_restrictiveness", frame, "services_restrictiveness_profile", SOURCE)
    digital = frame[(frame["unit_type"] == "group") & frame["unit"].isin(["BRICS", "TISA"])
                    & (frame["index_id"] == "digital") & (frame["policy_area"] == "composite")]
    meta = output_metadata(frame, SOURCE)
    meta["brics_vs_tisa"] = dg.MetadataValue.md(
        digital.pivot_table(index="year", columns="unit", values="value").round(4).to_markdown())
    meta["plot"] = line_chart_md(digital, "year", "value", "unit",
                                 "Digital STRI (0 open .. 1 closed): BRICS and TiSA parties, mean of members covered")
    yield dg.Output(frame, metadata=meta)


RESTRICTIVENESS_ASSETS = [out__services_restrictiveness]
