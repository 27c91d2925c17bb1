"""Benchmark: EC strategic-dependency indicators on the real Atlas HS2/HS4 subset (2019).

Peer: the same three criteria computed the straightforward way, one pandas ``groupby.apply``
call per (importer, product), measured on the same flows in the same run. Prints both times
and the ratio; no pass/fail. Needs ../shared/datasets (or TRADE_SHARED_DIR).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pandas as pd

from pipeline.metrics.product_flows import product_flows
from pipeline.metrics.strategic import dependency_indicators
from pipeline.sources.files import FilesSource, read_file_input
from pipeline.transform.canonical import finalize_bilateral_goods_trade

SHARED = Path(os.environ.get("TRADE_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared")) / "datasets"
CONFIG = {"thresholds": {"supplier_hhi_min": 0.4, "extra_group_import_share_min": 0.5,
                         "import_to_export_ratio_min": 1.0, "min_imports_usd": 0},
          "home_groups": [], "strategic_sectors": {}}


def peer(flows: pd.DataFrame) -> pd.DataFrame:
    exports = flows.groupby(["exporter_iso3", "year", "product_code"])["value_usd"].sum()

    def one(group: pd.DataFrame) -> pd.Series:
        iso3, year, code = group.name
        total = group["value_usd"].sum()
        shares = group["value_usd"] / total
        own = exports.get((iso3, year, code), 0.0)
        return pd.Series({"supplier_hhi": (shares**2).sum(), "extra_group_import_share": 1.0,
                          "import_to_export_ratio": total / own if own > 0 else float("nan")})

    return flows.groupby(["importer_iso3", "year", "product_code"]).apply(one, include_groups=False)


def main() -> None:
    items = [i for i in FilesSource(SHARED).discover("bilateral_product_trade")
             if i.provenance.dataset_id == "atlas_hs2hs4_subset"]
    bilateral = finalize_bilateral_goods_trade([read_file_input(i) for i in items])
    flows = product_flows(bilateral[bilateral["year"] == 2019], "HS92_2_4")
    importers = flows[["importer_iso3"]].drop_duplicates().rename(columns={"importer_iso3": "iso3"}).assign(year=2019)
    membership = pd.DataFrame(columns=["year", "group_id", "iso3"])
    t0 = time.perf_counter()
    ours = dependency_indicators(flows, membership, CONFIG, importers)
    t1 = time.perf_counter()
    theirs = peer(flows)
    t2 = time.perf_counter()
    check = ours.set_index(["iso3", "year", "product_code"])["supplier_hhi"]
    diff = (check - theirs["supplier_hhi"].reindex(check.index)).abs().max()
    print(f"flows: {len(flows):,} rows, {len(ours):,} importer-products (2019, HS92_2_4)")
    print(f"pipeline.metrics.strategic.dependency_indicators: {t1 - t0:.2f} s")
    print(f"peer (pandas groupby.apply per importer-product):  {t2 - t1:.2f} s")
    print(f"ratio ours / peer: {(t1 - t0) / (t2 - t1):.3f}  (max |HHI difference| {diff:.2e})")


if __name__ == "__main__":
    main()
