"""Benchmark (SYNTHETIC data): where the snapshot store can live so that a recursive glob over
the warehouse root counts each published table once (issue 14 review, D4).

One synthetic table of 10,000 rows in one partition, published twice (two snapshots kept, as
:mod:`pipeline.warehouse.publish` keeps the previous one for readers in flight) with a third
run's copy staged, under three layouts:

- store inside the root: ``<root>/<table> -> .publish/current/<table>``, ``.publish/`` holding
  snapshots and staging (the layout before);
- store beside the root, the root a directory of per-table symlinks into it;
- the root itself the switched symlink to the current snapshot, the store beside it (chosen).

Printed per layout: the rows each reader counts with a glob over the root (DuckDB
``read_parquet('<root>/**/*.parquet')``, Polars ``scan_parquet`` of the same pattern, a pyarrow
dataset of the root) as a ratio to the true rows (1.00 = each table once; "error" = the reader
found nothing or failed), and the time of one switch; peak RSS at the end.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.timing import peak_rss_mb  # noqa: E402

ROWS = 10_000
TABLE = pa.table({"x": list(range(ROWS))})  # synthetic


def _snapshot(store: Path, name: str) -> None:
    folder = store / name / "t" / "year=1"
    folder.mkdir(parents=True)
    pq.write_table(TABLE, folder / f"part-{Path(name).name}.parquet")


def _switch(target: str, link: Path) -> float:
    start = time.perf_counter()
    tmp = link.with_name(f".{link.name}.tmp")
    os.symlink(target, tmp)
    os.replace(tmp, link)
    return time.perf_counter() - start


def _store(store: Path) -> None:
    for name in ("snapshots/s1", "snapshots/s2", "staging/r3"):  # current, previous, a staged run
        _snapshot(store, name)


def inside(base: Path) -> tuple[Path, float]:
    root = base / "inside"
    _store(root / ".publish")
    (root / "t").symlink_to(".publish/current/t")
    return root, _switch("snapshots/s2", root / ".publish" / "current")


def beside_links(base: Path) -> tuple[Path, float]:
    root = base / "links"
    _store(base / "links.publish")
    root.mkdir()
    (root / "t").symlink_to("../links.publish/current/t")
    return root, _switch("snapshots/s2", base / "links.publish" / "current")


def root_is_link(base: Path) -> tuple[Path, float]:
    _store(base / "root.publish")
    return base / "root", _switch("root.publish/snapshots/s2", base / "root")


READERS = {
    "DuckDB": lambda r: duckdb.sql(f"select count(*) from read_parquet('{r}/**/*.parquet')").fetchall()[0][0],
    "Polars": lambda r: pl.scan_parquet(f"{r}/**/*.parquet").select(pl.len()).collect().item(),
    "pyarrow": lambda r: ds.dataset(str(r)).count_rows(),
}


def main() -> None:
    base = Path(tempfile.mkdtemp(prefix="bench_layout_"))
    try:
        for name, build in (("store inside the root (before)", inside),
                            ("store beside, root of per-table links", beside_links),
                            ("root is the switched link (chosen)", root_is_link)):
            root, seconds = build(base)
            ratios = []
            for reader, count in READERS.items():
                try:
                    ratios.append(f"{reader} {count(root) / ROWS:.2f}x")
                except Exception as exc:  # noqa: BLE001 (a reader that finds nothing is the finding)
                    ratios.append(f"{reader} error ({type(exc).__name__})")
            print(f"{name}: root glob counts {', '.join(ratios)} of the true rows; switch {seconds * 1e6:.0f} us")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"peak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
