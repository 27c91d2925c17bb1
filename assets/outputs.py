"""Per-country outputs computed from the published core tables."""
from __future__ import annotations

import dagster as dg
import pandas as pd

from assets.contract_gate import gate, output_metadata, published_asset
from assets.io_manager import BY_PARTITION, OPTIONAL_INPUT
from assets.plots import bar_chart_md
from assets.resources import BulkFilesResource
from pipeline.contracts.sql import session
from pipeline.metrics.goods_sources import load_totals_precedence
from pipeline.metrics.product_flows import goods_and_products
from pipeline.metrics.product_flows_sql import declared_product_rows
from pipeline.metrics.trade_profile import country_group_exposure, country_trade_profile
from pipeline.reference.groups import membership_panel
from pipeline.sources.base import SourceError
from pipeline.warehouse.parquet import PartitionedTable


def totals_precedence(bulk_files: BulkFilesResource):
    """The manifest's declared sources of goods totals, best first (TRADE_MANIFEST or the shared one)."""
    try:
        return load_totals_precedence(bulk_files.manifest)
    except SourceError as exc:
        raise dg.Failure(description=str(exc)) from exc


# Atlas sector sums give goods totals where the manifest ranks them; a live totals-only refresh has no product table.
# Read one year partition at a time: only the declared sources' rows, summed per pair in DuckDB, reach pandas.
PRODUCTS_OPTIONAL = {"core__bilateral_product_trade": dg.AssetIn(metadata={**OPTIONAL_INPUT, **BY_PARTITION})}


def goods_totals_rows(totals: pd.DataFrame, products: PartitionedTable | None,
                      bulk_files: BulkFilesResource) -> pd.DataFrame:
    """The totals table with the product rows of the manifest's declared goods-totals sources
    (Atlas sectors) summed per reporter, partner, year and flow in DuckDB, one year partition at a
    time: the rows :func:`~pipeline.metrics.goods_sources.selected_flows` reads (it sums a
    source's rows per pair itself, so the profile and exposure are those of the whole table)."""
    if products is None or not products.values():  # a live totals-only refresh: no product table
        return goods_and_products(totals, None)
    with session() as con:
        return goods_and_products(totals, declared_product_rows(con, products, totals_precedence(bulk_files)))


@published_asset("country_trade_profile", "out", ins=PRODUCTS_OPTIONAL)
def out__country_trade_profile(
    core__bilateral_goods_trade: pd.DataFrame,
    core__bilateral_product_trade: PartitionedTable | None, core__macro_indicators: pd.DataFrame,
    bulk_files: BulkFilesResource,
):
    """One row per country and year: goods exports and imports, openness (% of GDP, WDI), and
    partner concentration (HHI = sum of squared partner shares, 0..1) with the top partner.
    One source per country-year (`source`, the manifest's goods_totals order); imports are
    mirror flows where only exports were reported (`imports_mirror`)."""
    core__bilateral_goods_trade = goods_totals_rows(core__bilateral_goods_trade, core__bilateral_product_trade,
                                                    bulk_files)
    frame = country_trade_profile(core__bilateral_goods_trade, core__macro_indicators, totals_precedence(bulk_files))
    frame = yield from gate(
        "out__country_trade_profile", frame, "country_trade_profile",
        "core__bilateral_goods_trade, core__macro_indicators",
    )
    latest = frame[frame["year"] == frame["year"].max()]
    top = latest[latest["exports_usd"] > 1e9].nlargest(15, "export_partner_hhi")
    meta = output_metadata(frame, "core__bilateral_goods_trade, core__macro_indicators")
    meta["plot"] = bar_chart_md(
        top, "iso3", "export_partner_hhi",
        f"Most concentrated export partners, {int(latest['year'].max())} (exports > $1bn)",
    )
    yield dg.Output(frame, metadata=meta)


@published_asset("country_group_exposure", "out", ins=PRODUCTS_OPTIONAL)
def out__country_group_exposure(
    core__bilateral_goods_trade: pd.DataFrame,
    core__bilateral_product_trade: PartitionedTable | None, core__country_groups: pd.DataFrame,
    bulk_files: BulkFilesResource,
):
    """Share of each country's exports going to, and imports coming from, the members of each
    group (EU, TTIP, TISA, BRICS, OECD, G7, user groups), membership taken in that year."""
    product_years = core__bilateral_product_trade.values() if core__bilateral_product_trade is not None else []
    core__bilateral_goods_trade = goods_totals_rows(core__bilateral_goods_trade, core__bilateral_product_trade,
                                                    bulk_files)
    groups = core__country_groups.assign(
        start_date=pd.to_datetime(core__country_groups["start_date"]),
        end_date=pd.to_datetime(core__country_groups["end_date"]),
    )
    years = sorted({*core__bilateral_goods_trade["year"].astype(int).unique(), *product_years})
    membership = membership_panel(groups, years)
    frame = country_group_exposure(core__bilateral_goods_trade, membership, totals_precedence(bulk_files))
    frame = yield from gate(
        "out__country_group_exposure", frame, "country_group_exposure",
        "core__bilateral_goods_trade, core__country_groups",
    )
    latest = frame[(frame["year"] == frame["year"].max()) & (frame["group_id"] == "BRICS")
                   & (frame["direction"] == "exports") & ~frame["is_member"]]
    meta = output_metadata(frame, "core__bilateral_goods_trade, core__country_groups")
    meta["plot"] = bar_chart_md(
        latest.nlargest(15, "share"), "iso3", "share",
        f"Non-members most dependent on BRICS markets, {int(frame['year'].max())} (export share)",
    )
    yield dg.Output(frame, metadata=meta)
