"""Goods trade by end use (issue 12 part 7): UN BEC Rev.4 -> SNA capital / intermediate /
consumption goods, with all partners and per group. Thin layer over :mod:`pipeline.metrics.end_use`."""
from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd

from assets.contract_gate import gate, output_metadata, published_asset
from assets.io_manager import BY_PARTITION
from assets.plots import bar_chart_md
from assets.resources import BulkFilesResource
from pipeline.metrics.end_use import WORLD
from pipeline.metrics.end_use_sql import end_use_by_year
from pipeline.metrics.end_use_classes import BEC_SNA_FILE, HS_BEC_FILE
from pipeline.metrics.product_flows import goods_and_products
from pipeline.reference.groups import membership_panel
from pipeline.sources.base import SourceError, file_provenance
from pipeline.sources.country_product_exports import TABLE as COUNTRY_EXPORTS, read_country_product_exports
from pipeline.warehouse.parquet import PartitionedTable

SOURCES = (f"core__bilateral_goods_trade, core__bilateral_product_trade, core__country_groups, {HS_BEC_FILE}, "
           f"{BEC_SNA_FILE}, {COUNTRY_EXPORTS} files (world trade weights of the estimate)")
# An open registry's capital imports above this share in ships are flag registrations: not plotted.
SHIPS_PLOT_LIMIT = 0.10


@published_asset("end_use_trade", "out",
                 ins={"core__bilateral_product_trade": dg.AssetIn(metadata=BY_PARTITION)})
def out__end_use_trade(core__bilateral_goods_trade: pd.DataFrame, core__bilateral_product_trade: PartitionedTable,
                       core__country_groups: pd.DataFrame, bulk_files: BulkFilesResource):
    """Exports and imports by end use: capital, intermediate and consumption goods (SNA basic
    classes through UN BEC Rev.4; BEC 321/51/7 not_classified as the UN leaves them), per country
    and year, with all partners and with each group's members of the year (EU, TTIP, BRICS, ...,
    China alone). HS codes spanning several classes are `mixed`: the class shares are lower
    bounds, end_use_share_max the upper bound, end_use_share_estimate splits HS2 chapters by world
    HS4 export weights (what stays mixed is stated). Countries with complete product flows only.
    Computed one year partition of the product table at a time, the sums over flows in DuckDB."""
    goods_and_products(core__bilateral_goods_trade, None)  # refuses totals published before the product split
    if not core__bilateral_product_trade.values():
        raise dg.Failure(description="out__end_use_trade: core__bilateral_product_trade has no year partition (no "
                         "product detail: the goods totals hold TOTAL only); end use needs HS codes: product-level "
                         "bulk files (TRADE_BULK_DIR) or COMTRADE_COMMODITIES=AG2/AG4/AG6")
    source = bulk_files.source()
    root = Path(source.root)  # the concordances are read beside the bulk files
    groups = core__country_groups.assign(start_date=pd.to_datetime(core__country_groups["start_date"]),
                                         end_date=pd.to_datetime(core__country_groups["end_date"]))
    # The groups' table spans the years of both goods tables, as when end use read them together.
    years = sorted({*core__bilateral_goods_trade["year"].astype(int).unique(), *core__bilateral_product_trade.values()})
    membership = membership_panel(groups, years)
    try:
        country_exports = read_country_product_exports(source)
        frame = end_use_by_year(core__bilateral_product_trade, membership, root / HS_BEC_FILE, root / BEC_SNA_FILE,
                                country_exports, years)
    except (FileNotFoundError, ValueError, SourceError) as exc:
        raise dg.Failure(description=str(exc)) from exc
    provenance = [file_provenance(root / f, source.name, Path(f).stem.split(".")[0], "reference",
                                  "MIT (R package concordance); UN BEC Rev.4 correspondence tables").as_dict()
                  for f in (HS_BEC_FILE, BEC_SNA_FILE)]
    provenance += [i.provenance.as_dict() for i in source.discover(COUNTRY_EXPORTS)]
    frame = yield from gate("out__end_use_trade", frame, "end_use_trade", SOURCES)
    capital = frame[(frame["direction"] == "imports") & (frame["partner_group"] == WORLD)
                    & (frame["end_use"] == "capital")
                    & ~(frame["open_registry"] & (frame["ships_share"] > SHIPS_PLOT_LIMIT))]
    year = int(capital["year"].max()) if len(capital) else 0
    latest = capital[capital["year"] == year]
    meta = output_metadata(frame, SOURCES, provenance)
    meta["plot"] = bar_chart_md(latest.nlargest(15, "end_use_share"), "iso3", "end_use_share",
                                f"Capital goods in imports, {year} (lower bound: mixed HS2/HS4 codes excluded; "
                                "open registries whose capital imports are mostly ships left out)")
    yield dg.Output(frame, metadata=meta)
