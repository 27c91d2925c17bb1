"""Services trade in TiSA-style sectors from the input-output table (issue 4, part 3).

BaTIS flows and STRI values are optional inputs of :mod:`pipeline.metrics.services`; their
live clients are another feature, so these assets use the WIOD flows only for now.
"""
from __future__ import annotations

import dagster as dg
import pandas as pd

from assets.contract_gate import gate, output_metadata, published_asset
from assets.plots import bar_chart_md
from pipeline.metrics.services import (combine_flows, services_exposure, services_flows_from_io,
                                       services_group_exposure)
from pipeline.reference.groups import membership_panel

SOURCE = "core__input_output (services industries c18..c35), services_sectors.yaml"


@published_asset("services_exposure", "out")
def out__services_exposure(core__input_output: pd.DataFrame):
    """Per country, year and TiSA-style sector: services exports and imports (sales of the
    sector's industries to foreign users, intermediate + final, USD), balance = exports -
    imports, and Balassa RCA within services = (X_ck/X_c)/(X_wk/X_w)."""
    flows = combine_flows(services_flows_from_io(core__input_output), None)
    frame = yield from gate("out__services_exposure", services_exposure(flows),
                            "services_exposure", SOURCE)
    year = int(frame["year"].max())
    latest = frame[(frame["year"] == year) & (frame["sector_id"] == "financial_insurance")
                   & (frame["exports_usd"] > 1e9) & (frame["iso3"] != "ROW")]
    meta = output_metadata(frame, SOURCE)
    meta["plot"] = bar_chart_md(latest.nlargest(15, "rca"), "iso3", "rca",
                                f"Revealed comparative advantage in financial and insurance "
                                f"services, {year} (exports > $1bn)")
    yield dg.Output(frame, metadata=meta)


@published_asset("services_group_exposure", "out")
def out__services_group_exposure(core__input_output: pd.DataFrame,
                                 core__country_groups: pd.DataFrame):
    """Share of each country's services exports (imports) in each sector sold to (bought from)
    the members of each group, membership taken in that year; 0..1."""
    flows = combine_flows(services_flows_from_io(core__input_output), None)
    years = sorted(flows["year"].astype(int).unique())
    frame = services_group_exposure(flows, membership_panel(core__country_groups, years))
    frame = yield from gate("out__services_group_exposure", frame, "services_group_exposure",
                            f"{SOURCE}, core__country_groups")
    year = int(frame["year"].max())
    latest = frame[(frame["year"] == year) & (frame["group_id"] == "EU")
                   & (frame["sector_id"] == "transport") & ~frame["is_member"]
                   & (frame["iso3"] != "ROW")]
    meta = output_metadata(frame, f"{SOURCE}, core__country_groups")
    meta["plot"] = bar_chart_md(latest.nlargest(15, "export_share"), "iso3", "export_share",
                                f"Non-members' transport services exports sold to the EU, {year}")
    yield dg.Output(frame, metadata=meta)


SERVICES_ASSETS = [out__services_exposure, out__services_group_exposure]
