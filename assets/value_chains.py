"""Value-chain exposure from the multi-regional input-output tables (OECD TiVA definitions).

One multi-asset publishes the four value-chain tables: it reads ``core__input_output`` one year
partition at a time (never the whole long table), pivots and solves each year once
(:func:`pipeline.metrics.leontief.solve_year`: one LU factorisation of ``I - A``) and derives
all four tables from that solution. Each table keeps its own blocking contract check; a subset
(one table selected in the UI) still reads and solves each year once.
"""

import dagster as dg
import pandas as pd

from assets.contract_gate import gate, output_metadata, published_multi_asset
from assets.io_manager import BY_PARTITION
from assets.plots import bar_chart_md, scatter_md
from pipeline.metrics.value_chain_tables import value_chain_tables
from pipeline.reference.codes import country_codes
from pipeline.reference.groups import membership_panel
from pipeline.warehouse.parquet import PartitionedTable

SOURCE = "core__input_output"
GROUPS_SOURCE = f"{SOURCE}, core__country_groups"

TABLES = {
    "value_chain_exposure": (
        "Gross exports split into domestic (DVA) and foreign (FVA) value added, the economy's "
        "value added in partners' exports (DVX, TiVA FEXDVAP), and backward (FVA/EXGR), forward (DVX/EXGR) and "
        "total GVC participation, in USD and percent (OECD TiVA; one LU solve per table year)."),
    "value_chain_industry_exposure": (
        "The same split for every exporting industry of every economy: domestic and foreign "
        "value added in its gross exports, and its value added in other economies' exports; "
        "backward participation over the industry's exports, forward (TiVA EXGR_DVAFXSH) over the "
        "economy's total exports, so industry sums equal the country rows."),
    "value_chain_partner_exposure": (
        "For each economy and partner: the partner's value added in the economy's exports "
        "(backward link) and the economy's value added in the partner's exports (forward link)."),
    "value_added_absorption": (
        "Value added of each economy absorbed by the final demand of the OTHER members of each "
        "country group (membership taken in the table year; TiVA FD_VA by origin), in USD and as a "
        "share of its value added, and by its own final demand (TiVA FD_VA with domestic origin) in "
        "columns of its own; members_covered / members_total say how much of the group the table holds "
        "(members folded into WIOD's rest of the world absorb in ROW, outside every group)."),
}
# the asset of each table, the part of value_chain_tables it publishes, and its sources
PARTS = {"out__value_chain_exposure": ("value_chain_exposure", "totals", SOURCE),
         "out__value_chain_industry_exposure": ("value_chain_industry_exposure", "industries", SOURCE),
         "out__value_chain_partner_exposure": ("value_chain_partner_exposure", "partners", SOURCE),
         "out__value_added_absorption": ("value_added_absorption", "absorption", GROUPS_SOURCE)}
IO, GROUPS = dg.AssetKey("core__input_output"), dg.AssetKey("core__country_groups")


def _plot(key: str, frame: pd.DataFrame) -> str:
    latest = frame[frame["year"] == frame["year"].max()]
    if key == "out__value_chain_exposure":
        return scatter_md(latest, "gvc_backward_pct", "gvc_forward_pct", "iso3",
                          f"Backward vs forward GVC participation, {int(latest['year'].max())}")
    if key == "out__value_chain_industry_exposure":
        top = (latest[latest["exgr_usd"] > 1e10].nlargest(15, "gvc_backward_pct")
               .assign(label=lambda f: f["iso3"] + " " + f["sector"]))
        return bar_chart_md(top, "label", "gvc_backward_pct",
                            "Export industries most reliant on foreign inputs (exports > $10bn)")
    if key == "out__value_chain_partner_exposure":
        # ROW is a partner in the table (partner sums equal the totals) but no supplier to rank
        economies = latest[country_codes().is_economy(latest["partner_iso3"])]
        top = (economies.groupby("partner_iso3", as_index=False)["fva_from_partner_usd"].sum()
               .nlargest(15, "fva_from_partner_usd").rename(columns={"fva_from_partner_usd": "usd"}))
        return bar_chart_md(top, "partner_iso3", "usd", "Largest suppliers of foreign value added in others' exports")
    ttip = latest[(latest["group_id"] == "TTIP") & ~latest["is_member"]]
    return bar_chart_md(ttip.nlargest(15, "va_absorbed_share"), "iso3", "va_absorbed_share",
                        "Non-members' value added absorbed by TTIP final demand (share)")


@published_multi_asset(
    "value_chains", TABLES, "out",
    ins={"core__input_output": dg.AssetIn(metadata=BY_PARTITION), "core__country_groups": dg.AssetIn()},
    internal_asset_deps={key: ({IO, GROUPS} if source == GROUPS_SOURCE else {IO})
                         for key, (_, _, source) in PARTS.items()},
)
def value_chains(context: dg.AssetExecutionContext, core__input_output: PartitionedTable,
                 core__country_groups: pd.DataFrame):
    """The four value-chain tables from one read and one Leontief solve per table year."""
    selected = [key for key in PARTS if dg.AssetKey(key) in context.selected_asset_keys]
    membership = None
    if "out__value_added_absorption" in selected:
        membership = membership_panel(core__country_groups, core__input_output.values())
    tables = value_chain_tables(core__input_output, membership)
    gated = {}
    for key in selected:  # every selected table passes its contract before any is handed on
        table, part, source = PARTS[key]
        gated[key] = yield from gate(key, tables[part], table, source)
    for key, frame in gated.items():
        meta = output_metadata(frame, PARTS[key][2])
        meta["plot"] = _plot(key, frame)
        yield dg.Output(frame, output_name=key, metadata=meta)


VALUE_CHAIN_ASSETS = [value_chains]
