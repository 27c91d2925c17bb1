"""Benchmark: Balassa RCA of the published product table, per year partition in DuckDB
(:func:`pipeline.metrics.rca.rca_by_year`, what ``out__revealed_comparative_advantage`` runs)
against the pandas path it replaced (the table read whole into pandas, then
:func:`pipeline.metrics.dependency.rca_table`), on the real Atlas and BACI product rows of the
shared datasets written as the warehouse writes ``bilateral_product_trade``: the largest year
partition alone, then every year. Each path runs once in its own child process (peak resident
memory is that child's VmHWM); prints wall time, peak RSS, the ratios and the largest relative
difference of the RCA values. No pass/fail. Needs ../shared/datasets (or TRADE_SHARED_DIR).
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.timing import peak_rss_mb, run_limited, run_paths  # noqa: E402

SHARED = Path(os.environ.get("TRADE_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared")) / "datasets"
PRODUCT_DATASETS = ("atlas_sections", "atlas_hs2hs4_subset", "baci_hs92_zaf_afg", "baci_hs17_zaf_afg")
TABLE = "bilateral_product_trade"
KEY = ["year", "iso3", "product_classification", "product_code"]


def publish(root: str) -> dict[int, int]:
    """The real product rows written as the warehouse publishes them, one warehouse per case
    (``<root>/largest``: the largest year; ``<root>/all``: every year). Returns rows per year."""
    from pipeline.contracts import load_contract
    from pipeline.sources.files import FilesSource, read_file_input
    from pipeline.transform.canonical import finalize_bilateral_goods_trade
    from pipeline.warehouse import write_table

    items = [i for i in FilesSource(SHARED).discover(TABLE) if i.provenance.dataset_id in PRODUCT_DATASETS]
    rows = finalize_bilateral_goods_trade([read_file_input(i) for i in items])
    contract = load_contract(TABLE)
    counts = rows.groupby("year").size()
    largest = int(counts.idxmax())
    for case, frame in (("largest", rows[rows["year"] == largest]), ("all", rows)):
        write_table(frame, Path(root) / case, TABLE, contract.arrow_schema(), contract.partition_column,
                    {"source": "benchmarks/bench_rca.py: the shared product datasets"})
    return {int(y): int(n) for y, n in counts.items()}


def pandas_path(root: str):
    from pipeline.contracts import load_contract
    from pipeline.metrics.dependency import rca_table
    from pipeline.warehouse import read_table

    rca = rca_table(read_table(root, TABLE, load_contract(TABLE).arrow_schema()))
    return rca[[*KEY, "rca"]], peak_rss_mb()


def duckdb_path(root: str):
    from pipeline.warehouse.parquet import partition_reader
    from pipeline.metrics.rca import rca_by_year

    rca = rca_by_year(partition_reader(root, TABLE))
    return rca[[*KEY, "rca"]], peak_rss_mb()


def compare(case: str, root: str) -> None:
    results = run_paths((("pandas rca_table", pandas_path), ("rca_by_year (DuckDB)", duckdb_path)), (root,),
                        unit="RCA rows")
    if results is None:
        return
    (ours, our_rss, our_s), (theirs, their_rss, their_s) = results["rca_by_year (DuckDB)"], results["pandas rca_table"]
    merged = ours.merge(theirs.astype({"year": ours["year"].dtype}), on=KEY, suffixes=("", "_pd"), how="outer")
    rel = ((merged["rca"] - merged["rca_pd"]).abs() / merged["rca_pd"].abs().where(merged["rca_pd"] != 0, 1.0)).max()
    print(f"  ratio rca_by_year / rca_table: time {our_s / their_s:.2f}, peak RSS {our_rss / their_rss:.2f}  "
          f"(rows {len(ours):,} vs {len(theirs):,}, max relative RCA difference {rel:.1e})")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-rca-") as root:
        status, counts, seconds = run_limited(publish, (root,), memory_gb=16.0)
        if status != "ok":
            raise SystemExit(f"writing the product table failed: {status}")
        largest = max(counts, key=counts.get)
        print(f"real product rows (Atlas sections, Atlas HS2/HS4, BACI HS92/HS17 extracts): {sum(counts.values()):,} "
              f"in {len(counts)} years; written as year partitions in {seconds:.1f} s")
        print(f"largest year partition, {largest} ({counts[largest]:,} rows):")
        compare("largest", str(Path(root) / "largest"))
        print(f"every year ({min(counts)}-{max(counts)}, {sum(counts.values()):,} rows):")
        compare("all", str(Path(root) / "all"))


if __name__ == "__main__":
    main()
