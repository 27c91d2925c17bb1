"""Dependency outputs (issue 4): product concentration, RCA, strategic dependencies, scorecard.

Thin layer: each asset calls :mod:`pipeline.metrics`, passes the contract gate and shows a
preview and a bar chart in the UI.
"""
from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd

from assets.contract_gate import gate, output_metadata, published_asset
from assets.io_manager import BY_PARTITION, OPTIONAL_INPUT
from assets.outputs import totals_precedence
from assets.plots import bar_chart_md
from assets.resources import BulkFilesResource
from pipeline.metrics.commodity import FLAG_FILE, load_sitc_map
from pipeline.metrics.product_concentration_sql import product_concentration_by_year
from pipeline.metrics.product_flows import goods_and_products
from pipeline.metrics.rca import rca_by_year
from pipeline.metrics.scorecard import country_scorecard
from pipeline.metrics.strategic import load_strategic_config
from pipeline.metrics.strategic_sql import strategic_by_year
from pipeline.reference.groups import membership_panel
from pipeline.sources.base import SourceError, file_provenance
from pipeline.warehouse.parquet import PartitionedTable
from pipeline.sources.country_product_exports import TABLE as COUNTRY_EXPORTS, read_country_product_exports


def _membership(groups: pd.DataFrame, years) -> pd.DataFrame:
    groups = groups.assign(start_date=pd.to_datetime(groups["start_date"]),
                           end_date=pd.to_datetime(groups["end_date"]))
    return membership_panel(groups, sorted({int(y) for y in years}))


def _no_products(asset: str) -> dg.Failure:
    return dg.Failure(description=(
        f"{asset}: core__bilateral_product_trade has no year partition (no product detail: the goods totals "
        "hold TOTAL only). Ask Comtrade "
        "for HS detail (COMTRADE_COMMODITIES=AG2, AG4 or AG6; AG6 needs COMTRADE_API_KEY, the preview "
        "caps answers at 500 records) or add product-level bulk files (TRADE_BULK_DIR); `make run` "
        "leaves this asset out until then"))


def _require_partitions(totals: pd.DataFrame, products: PartitionedTable, asset: str) -> None:
    """Product metrics need product detail (a live Comtrade refresh of TOTAL has none): a year
    partition of the product table; a totals table published before the product split (product
    rows in it) is refused as :func:`~pipeline.metrics.product_flows.goods_and_products` refuses it."""
    goods_and_products(totals, None)
    if not products.values():
        raise _no_products(asset)


def _latest(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Rows of the latest year (none, year 0, when the frame is empty: the plot stays empty)."""
    if frame.empty:
        return frame, 0
    year = int(frame["year"].max())
    return frame[frame["year"] == year], year


@published_asset("export_product_concentration", "out",
                 ins={"core__bilateral_product_trade": dg.AssetIn(metadata=BY_PARTITION)})
def out__export_product_concentration(context, core__bilateral_goods_trade: pd.DataFrame,
                                      core__bilateral_product_trade: PartitionedTable,
                                      core__macro_indicators: pd.DataFrame, bulk_files: BulkFilesResource):
    """How concentrated each country's exports are on few products: HHI = sum of squared product
    shares (0..1), Theil = (1/N) sum (x/mu) ln(x/mu) (0..ln N) and UNCTAD's normalised HHI on SITC
    Rev.3 3-digit groups, per product source; UNCTAD commodity dependence (primary commodities,
    SITC 0-4, 68, 667, 971, its agricultural / fuels / ores-and-metals parts and the 60% flag) where
    HS detail exists; and whether each row covers enough of the country's merchandise exports
    (WDI TX.VAL.MRCH.CD.WT, else the declared goods-totals source, named in coverage_reference)
    to be its figure: 0.8 to 2 times, noted above 1.25 times. Atlas-sector rows are kept whatever
    their coverage. Computed one year partition of the product table at a time, the flows in DuckDB."""
    _require_partitions(core__bilateral_goods_trade, core__bilateral_product_trade, "out__export_product_concentration")
    sitc_map, country_exports, provenance, caveats = None, None, [], {}
    if bulk_files.bulk_dir:
        source = bulk_files.source()
        flag_path = Path(source.root) / FLAG_FILE
        try:
            sitc_map = load_sitc_map(flag_path)
            country_exports = read_country_product_exports(source)
        except (FileNotFoundError, ValueError, SourceError) as exc:
            raise dg.Failure(description=str(exc)) from exc
        caveats = source.caveats()
        # Reference inputs read beside the bulk files: record what was read.
        provenance = [file_provenance(flag_path, source.name, "unctad_primary_flags", "reference",
                                      "MIT (R package concordance); UN correspondence tables").as_dict()]
        provenance += [i.provenance.as_dict() for i in source.discover(COUNTRY_EXPORTS)]
    else:
        context.log.warning(f"TRADE_BULK_DIR is not set: no {FLAG_FILE}, so commodity export shares "
                            "stay empty")
    frame = product_concentration_by_year(core__bilateral_goods_trade, core__bilateral_product_trade, sitc_map,
                                          core__macro_indicators, country_exports, totals_precedence(bulk_files),
                                          caveats)
    sources = (f"core__bilateral_goods_trade, core__bilateral_product_trade, core__macro_indicators, {FLAG_FILE}, "
               f"{COUNTRY_EXPORTS} files")
    frame = yield from gate("out__export_product_concentration", frame, "export_product_concentration", sources)
    sectors = frame[frame["product_classification"] == "ATLAS_SECTION"]
    latest, year = _latest(sectors)
    meta = output_metadata(frame, sources, provenance)
    meta["rows_not_country_figure"] = int((~frame["is_country_figure"].fillna(False).astype(bool)).sum())
    meta["plot"] = bar_chart_md(latest[latest["exports_usd"] > 1e9].nlargest(15, "product_hhi"), "iso3",
                                "product_hhi", f"Least diversified exporters, {year} (Atlas sectors, exports > $1bn)")
    yield dg.Output(frame, metadata=meta)


@published_asset("revealed_comparative_advantage", "out",
                 ins={"core__bilateral_product_trade": dg.AssetIn(metadata=BY_PARTITION)})
def out__revealed_comparative_advantage(core__bilateral_product_trade: PartitionedTable):
    """Balassa RCA = (x_ck / X_c) / (x_wk / X_w) per country, product and year, on classifications
    that cover every exporter of the world (Atlas sectors); computed one year partition of the
    product table at a time, the flows in DuckDB."""
    if not core__bilateral_product_trade.values():
        raise dg.Failure(description=(
            "out__revealed_comparative_advantage: core__bilateral_product_trade has no year partition (no "
            "product detail): add product-level bulk files (TRADE_BULK_DIR) or ask Comtrade for HS detail "
            "(COMTRADE_COMMODITIES=AG2, AG4 or AG6)"))
    frame = rca_by_year(core__bilateral_product_trade)
    sources = "core__bilateral_product_trade"
    frame = yield from gate("out__revealed_comparative_advantage", frame, "revealed_comparative_advantage", sources)
    latest, year = _latest(frame)
    minerals = latest[(latest["product_code"] == "3") & (latest["export_value_usd"] > 1e9)]
    meta = output_metadata(frame, sources)
    meta["plot"] = bar_chart_md(minerals.nlargest(15, "rca"), "iso3", "rca",
                                f"Strongest revealed advantage in minerals (Atlas sector 3), {year}")
    yield dg.Output(frame, metadata=meta)


@published_asset("strategic_dependencies", "out",
                 ins={"core__bilateral_product_trade": dg.AssetIn(metadata=BY_PARTITION)})
def out__strategic_dependencies(context, core__bilateral_product_trade: PartitionedTable,
                                core__country_groups: pd.DataFrame):
    """Strategic dependencies after the European Commission (SWD(2021) 352), each criterion on one
    unit's own imports and exports (every economy alone, the EU and other configured groups as one
    unit where all members' flows are held): extra-group supplier HHI > 0.4, extra-group share of
    imports > 0.5 and extra-group imports / the unit's exports > 1 (thresholds in
    pipeline/reference/strategic_dependencies.yaml). Every evaluated row, flagged in is_dependency.
    Computed one year partition of the product table at a time, the sums over flows in DuckDB."""
    if not core__bilateral_product_trade.values():
        raise _no_products("out__strategic_dependencies")
    try:
        config = load_strategic_config()
    except (FileNotFoundError, ValueError) as exc:
        raise dg.Failure(description=str(exc)) from exc
    missing = sorted(set(config["home_groups"]) - set(core__country_groups["group_id"]))
    if missing:
        context.log.warning(f"home_groups {missing} of pipeline/reference/strategic_dependencies.yaml are not in "
                            "core__country_groups: they are not evaluated as units (add them to the groups file)")
    membership = _membership(core__country_groups, core__bilateral_product_trade.values())
    frame = strategic_by_year(core__bilateral_product_trade, membership, config)
    sources = "core__bilateral_product_trade, core__country_groups, pipeline/reference/strategic_dependencies.yaml"
    frame = yield from gate("out__strategic_dependencies", frame, "strategic_dependencies", sources)
    latest, year = _latest(frame[(frame["product_classification"] == "HS92_2_4") & frame["is_dependency"]])
    # Only codes inside a listed heading: a whole chapter (28 for rare earths) would overstate the sector.
    counts = latest[latest["strategic_sector_match"] == "heading"].groupby("unit", as_index=False).size()
    counts = counts.rename(columns={"size": "flagged_strategic_products"})
    meta = output_metadata(frame, sources)
    meta["flagged_rows"] = int(frame["is_dependency"].sum()) if len(frame) else 0
    meta["plot"] = bar_chart_md(counts.nlargest(15, "flagged_strategic_products"), "unit", "flagged_strategic_products",
                                f"Strategic-sector dependencies per country, {year} (HS92 2/4-digit codes inside a "
                                "listed heading, 31 countries)")
    yield dg.Output(frame, metadata=meta)


@published_asset("country_scorecard", "out",
                 ins={"core__services_restrictiveness": dg.AssetIn(metadata=OPTIONAL_INPUT)})
def out__country_scorecard(out__country_trade_profile: pd.DataFrame, out__country_group_exposure: pd.DataFrame,
                           out__export_product_concentration: pd.DataFrame,
                           out__strategic_dependencies: pd.DataFrame, core__macro_indicators: pd.DataFrame,
                           out__value_chain_exposure: pd.DataFrame, core__services_restrictiveness: pd.DataFrame | None):
    """One row per country and year with the headline indicators side by side: openness (% of
    GDP), partner and product concentration (HHI, Theil), commodity share, exposure to EU,
    TTIP, TISA and BRICS (shares 0..1, membership of the year), strategic dependencies,
    backward/forward GVC participation (% of gross exports, input-output table years) and the
    OECD Digital STRI (0 open .. 1 closed; optional input: null when no STRI is published)."""
    frame = country_scorecard(out__country_trade_profile, out__country_group_exposure,
                              out__export_product_concentration, out__strategic_dependencies, core__macro_indicators,
                              out__value_chain_exposure, core__services_restrictiveness)
    sources = ("out__country_trade_profile, out__country_group_exposure, out__export_product_concentration, "
               "out__strategic_dependencies, core__macro_indicators, out__value_chain_exposure, "
               "core__services_restrictiveness")
    frame = yield from gate("out__country_scorecard", frame, "country_scorecard", sources)
    with_hs = frame[frame["commodity_export_share"].notna()]
    latest, year = _latest(with_hs)
    meta = output_metadata(frame, sources)
    meta["plot"] = bar_chart_md(latest.nlargest(15, "commodity_export_share"), "iso3", "commodity_export_share",
                                f"Most commodity-dependent exporters, {year} (UNCTAD primary commodities)")
    yield dg.Output(frame, metadata=meta)


DEPENDENCY_ASSETS = [out__export_product_concentration, out__revealed_comparative_advantage,
                     out__strategic_dependencies, out__country_scorecard]
