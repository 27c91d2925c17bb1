"""Value-chain exposure from the multi-regional input-output tables (OECD TiVA definitions)."""
from __future__ import annotations

import dagster as dg
import pandas as pd

from assets.contract_gate import gate, output_metadata, published_asset
from assets.plots import bar_chart_md, scatter_md
from pipeline.metrics.value_chain_tables import value_chain_tables
from pipeline.reference.codes import country_codes
from pipeline.reference.groups import membership_panel

SOURCE = "core__input_output"


@published_asset("value_chain_exposure", "out")
def out__value_chain_exposure(core__input_output: pd.DataFrame):
    """Gross exports split into domestic (DVA) and foreign (FVA) value added, the economy's
    value added in partners' exports (DVX, TiVA FEXDVAP), and backward (FVA/EXGR), forward (DVX/EXGR) and
    total GVC participation, in USD and percent (OECD TiVA; one LU solve per table year)."""
    frame = value_chain_tables(core__input_output)["totals"]
    frame = yield from gate("out__value_chain_exposure", frame, "value_chain_exposure", SOURCE)
    latest = frame[frame["year"] == frame["year"].max()]
    meta = output_metadata(frame, SOURCE)
    meta["plot"] = scatter_md(latest, "gvc_backward_pct", "gvc_forward_pct", "iso3",
                              f"Backward vs forward GVC participation, {int(latest['year'].max())}")
    yield dg.Output(frame, metadata=meta)


@published_asset("value_chain_industry_exposure", "out")
def out__value_chain_industry_exposure(core__input_output: pd.DataFrame):
    """The same split for every exporting industry of every economy: domestic and foreign
    value added in its gross exports, and its value added in other economies' exports;
    backward participation over the industry's exports, forward (TiVA EXGR_DVAFXSH) over the
    economy's total exports, so industry sums equal the country rows."""
    frame = value_chain_tables(core__input_output)["industries"]
    frame = yield from gate("out__value_chain_industry_exposure", frame,
                            "value_chain_industry_exposure", SOURCE)
    latest = frame[(frame["year"] == frame["year"].max()) & (frame["exgr_usd"] > 1e10)]
    top = latest.nlargest(15, "gvc_backward_pct").assign(label=lambda f: f["iso3"] + " " + f["sector"])
    meta = output_metadata(frame, SOURCE)
    meta["plot"] = bar_chart_md(top, "label", "gvc_backward_pct",
                                "Export industries most reliant on foreign inputs (exports > $10bn)")
    yield dg.Output(frame, metadata=meta)


@published_asset("value_chain_partner_exposure", "out")
def out__value_chain_partner_exposure(core__input_output: pd.DataFrame):
    """For each economy and partner: the partner's value added in the economy's exports
    (backward link) and the economy's value added in the partner's exports (forward link)."""
    frame = value_chain_tables(core__input_output)["partners"]
    frame = yield from gate("out__value_chain_partner_exposure", frame,
                            "value_chain_partner_exposure", SOURCE)
    latest = frame[frame["year"] == frame["year"].max()]
    # ROW is a partner in the table (partner sums equal the totals) but no supplier to rank
    economies = latest[country_codes().is_economy(latest["partner_iso3"])]
    top = (economies.groupby("partner_iso3", as_index=False)["fva_from_partner_usd"].sum()
           .nlargest(15, "fva_from_partner_usd").rename(columns={"fva_from_partner_usd": "usd"}))
    meta = output_metadata(frame, SOURCE)
    meta["plot"] = bar_chart_md(top, "partner_iso3", "usd",
                                "Largest suppliers of foreign value added in others' exports")
    yield dg.Output(frame, metadata=meta)


@published_asset("value_added_absorption", "out")
def out__value_added_absorption(core__input_output: pd.DataFrame,
                                core__country_groups: pd.DataFrame):
    """Value added of each economy absorbed by the final demand of the OTHER members of each
    country group (membership taken in the table year; TiVA FD_VA by origin), in USD and as a
    share of its value added, and by its own final demand (TiVA FD_VA with domestic origin) in
    columns of its own; members_covered / members_total say how much of the group the table holds
    (members folded into WIOD's rest of the world absorb in ROW, outside every group)."""
    years = sorted(core__input_output["year"].astype(int).unique())
    membership = membership_panel(core__country_groups, years)
    frame = value_chain_tables(core__input_output, membership)["absorption"]
    frame = yield from gate("out__value_added_absorption", frame, "value_added_absorption",
                            f"{SOURCE}, core__country_groups")
    latest = frame[(frame["year"] == frame["year"].max()) & (frame["group_id"] == "TTIP")
                   & ~frame["is_member"]]
    meta = output_metadata(frame, f"{SOURCE}, core__country_groups")
    meta["plot"] = bar_chart_md(latest.nlargest(15, "va_absorbed_share"), "iso3", "va_absorbed_share",
                                "Non-members' value added absorbed by TTIP final demand (share)")
    yield dg.Output(frame, metadata=meta)


VALUE_CHAIN_ASSETS = [out__value_chain_exposure, out__value_chain_industry_exposure,
                      out__value_chain_partner_exposure,
                      out__value_added_absorption]
