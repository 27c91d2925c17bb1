"""Benchmark: the product metrics per year partition in DuckDB (what out__export_product_concentration,
out__strategic_dependencies and out__end_use_trade run) against the pandas path they replaced (the
product table read whole into pandas beside the goods totals, then
:func:`~pipeline.metrics.dependency.product_concentration_table`,
:func:`~pipeline.metrics.dependency.strategic_table`, :func:`~pipeline.metrics.end_use.end_use_trade`),
on the real Atlas and BACI product rows of the shared datasets (4.2 million rows, 2010-2021) and the
Comtrade/DTA panel's totals, written as the warehouse writes them. Each path of each metric runs
once in its own child process (peak resident memory is that child's VmHWM, reference inputs such
as WDI and the concordances included on both sides); prints wall time, peak RSS, the ratios, the
rows compared and the largest relative difference of any number. No pass/fail. Needs
../shared/datasets (or TRADE_SHARED_DIR).
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_rca import PRODUCT_DATASETS, SHARED, TABLE  # noqa: E402
from benchmarks.timing import peak_rss_mb, run_limited, run_paths  # noqa: E402

TOTALS = "bilateral_goods_trade"
KEYS = {
    "concentration": ["year", "iso3", "product_classification"],
    "strategic": ["year", "unit", "product_classification", "product_code"],
    "end_use": ["year", "iso3", "product_classification", "direction", "partner_group", "end_use"],
}


def publish(root: str) -> int:
    """The real product rows and the panel's totals written as the warehouse publishes them."""
    from pipeline.contracts import load_contract
    from pipeline.sources.files import FilesSource, read_file_input
    from pipeline.transform.canonical import finalize_bilateral_goods_trade
    from pipeline.warehouse import write_table

    source = FilesSource(SHARED)
    products = [i for i in source.discover(TABLE) if i.provenance.dataset_id in PRODUCT_DATASETS]
    totals = [i for i in source.discover(TOTALS) if i.provenance.dataset_id == "penppml_comtrade_dta"]
    rows = 0
    for name, items in ((TABLE, products), (TOTALS, totals)):
        frame = finalize_bilateral_goods_trade([read_file_input(i) for i in items])
        contract = load_contract(name)
        write_table(frame, root, name, contract.arrow_schema(), contract.partition_column,
                    {"source": "benchmarks/bench_product_metrics.py: the shared datasets"})
        rows += len(frame) if name == TABLE else 0
    return rows


def _inputs(metric: str) -> dict:
    """The reference inputs of a metric (small; read the same way on both paths)."""
    from pipeline.metrics.commodity import FLAG_FILE, load_sitc_map
    from pipeline.metrics.end_use_classes import BEC_SNA_FILE, HS_BEC_FILE
    from pipeline.reference.groups import load_country_groups, membership_panel
    from pipeline.sources.country_product_exports import read_country_product_exports
    from pipeline.sources.files import FilesSource, read_file_input
    from pipeline.transform.canonical import finalize_macro_indicators

    source = FilesSource(SHARED)
    if metric == "concentration":
        macro = finalize_macro_indicators([read_file_input(i) for i in source.discover("macro_indicators")])
        return {"sitc_map": load_sitc_map(SHARED / FLAG_FILE), "macro": macro,
                "country_exports": read_country_product_exports(source), "caveats": source.caveats()}
    membership = membership_panel(load_country_groups(), range(1964, 2026))
    if metric == "strategic":
        from pipeline.metrics.strategic import load_strategic_config
        return {"membership": membership, "config": load_strategic_config()}
    return {"membership": membership, "hs_bec_path": SHARED / HS_BEC_FILE, "bec_sna_path": SHARED / BEC_SNA_FILE,
            "country_exports": read_country_product_exports(source)}


def pandas_path(root: str, metric: str):
    import pandas as pd

    from pipeline.contracts import load_contract
    from pipeline.metrics.dependency import product_concentration_table, strategic_table
    from pipeline.metrics.end_use import end_use_trade
    from pipeline.warehouse import read_table

    kw = _inputs(metric)
    whole = pd.concat([read_table(root, TOTALS, load_contract(TOTALS).arrow_schema()),
                       read_table(root, TABLE, load_contract(TABLE).arrow_schema())], ignore_index=True)
    fn = {"concentration": product_concentration_table, "strategic": strategic_table, "end_use": end_use_trade}[metric]
    return fn(whole, **kw), peak_rss_mb()


def duckdb_path(root: str, metric: str):
    from pipeline.contracts import load_contract
    from pipeline.metrics.end_use_sql import end_use_by_year
    from pipeline.metrics.product_concentration_sql import product_concentration_by_year
    from pipeline.metrics.strategic_sql import strategic_by_year
    from pipeline.warehouse import read_table
    from pipeline.warehouse.parquet import partition_reader

    kw, products = _inputs(metric), partition_reader(root, TABLE)
    if metric == "concentration":
        totals = read_table(root, TOTALS, load_contract(TOTALS).arrow_schema())
        return product_concentration_by_year(totals, products, **kw), peak_rss_mb()
    fn = {"strategic": strategic_by_year, "end_use": end_use_by_year}[metric]
    return fn(products, **kw), peak_rss_mb()


def compare(root: str, metric: str) -> None:
    from tests.metrics.same_table import assert_same_table

    results = run_paths((("pandas", pandas_path), ("DuckDB per year", duckdb_path)), (root, metric))
    if results is None:
        return
    (ours, our_rss, our_s), (theirs, their_rss, their_s) = results["DuckDB per year"], results["pandas"]
    try:
        same = assert_same_table(ours, theirs, KEYS[metric])
        verdict = f"{same['rows']:,} rows equal, max relative difference {same['max_rel']:.1e}"
    except AssertionError as exc:
        verdict = f"DIFFERENT: {str(exc)[:300]}"
    print(f"  ratio DuckDB / pandas: time {our_s / their_s:.2f}, peak RSS {our_rss / their_rss:.2f}  ({verdict})")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-product-metrics-") as parent:
        root = str(Path(parent) / "warehouse")  # the warehouse's root becomes a link to its published snapshot
        status, rows, seconds = run_limited(publish, (root,), memory_gb=16.0)
        if status != "ok":
            raise SystemExit(f"writing the product table failed: {status}")
        print(f"real product rows (Atlas sections, Atlas HS2/HS4, BACI HS92/HS17 extracts): {rows:,}, with the "
              f"Comtrade/DTA totals; written as year partitions in {seconds:.1f} s")
        for metric, label in (("concentration", "export_product_concentration"),
                              ("strategic", "strategic_dependencies"), ("end_use", "end_use_trade")):
            print(f"{label}:")
            compare(root, metric)


if __name__ == "__main__":
    main()
