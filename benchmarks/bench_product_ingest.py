"""Benchmark on SYNTHETIC data: the product path on BACI-sized years, ingest to every product metric.

Data (SYNTHETIC, generated here in a temporary directory, never real trade): a CEPII BACI HS92
release folder as downloaded (``BACI_HS92_Y<year>_V202201.csv``: ``t,i,j,k,v,q``) with about
``BENCH_BACI_ROWS`` (10 million) rows a year, BACI's size. The codes are real, the flows are not:
exporters and importers are CEPII numeric codes of the real ``country_codes_V202201.csv`` shipped
with the shared BACI extract (those with a current ISO 3166 code), products the real HS 1992 6-digit
codes of the UN's list (shared concordances), every (i, j, k) at most once a year, sorted as BACI
is; values ``v`` (thousands of USD) and quantities ``q`` drawn from log-normal laws.

Each path runs once per number of years in its own child process (peak resident memory is that
child's VmHWM): the manifest's ``baci_hs92`` entry read by the reader of today, the contract gate,
the publish of ``bilateral_product_trade`` with its coverage, then every product metric per year
partition (export concentration, strategic dependencies, end use, RCA: what the out__ assets run).

- ``staged``: :func:`pipeline.transform.staging.stage_inputs` (one year file at a time in pandas),
  :func:`pipeline.contracts.staged.check_staged` (DuckDB over the staged Parquet), the table
  written one partition at a time (what ``core__bilateral_product_trade`` runs now);
- ``pandas``: every year file read, concatenated, finished and checked whole
  (:func:`~pipeline.contracts.gate.check_frame`), then published: the path it replaced.

Both paths run under the same address-space cap (``RLIMIT_AS``), ``BENCH_MEMORY_GB`` (16 GB): a
guard against the kernel's OOM killer, not a measure of memory (address space reserved is not
memory used; the figure of memory is the peak RSS). A path stopped by the cap says so and the cap.

Prints per path and size: wall time of ingest + contract + publish, of the metrics, peak RSS after
the ingest and over the whole path. No pass/fail. ``BENCH_BACI_YEARS`` (``1,3,10``) the sizes,
``BENCH_PANDAS_YEARS`` (``1,3``) those also run on the pandas path. Needs ../shared/datasets.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_rca import SHARED, TABLE  # noqa: E402
from benchmarks.timing import peak_rss_mb, run_limited  # noqa: E402

ROWS = int(os.environ.get("BENCH_BACI_ROWS", "10000000"))
YEARS = [int(y) for y in os.environ.get("BENCH_BACI_YEARS", "1,3,10").split(",")]
PANDAS_YEARS = [int(y) for y in os.environ.get("BENCH_PANDAS_YEARS", "1,3").split(",") if y]
MEMORY_GB = float(os.environ.get("BENCH_MEMORY_GB", "16"))  # the same address-space cap for both paths
FIRST_YEAR = 2007
RELEASE = "V202201"
CODE_LIST = SHARED / "baci_hs6_bilateral_zaf_afg" / f"country_codes_{RELEASE}.csv"
TOTALS = "bilateral_goods_trade"


def generate(folder: str, years: int, rows: int) -> int:
    """The SYNTHETIC release folder (module docstring); returns the rows written."""
    import numpy as np
    import pandas as pd
    import pycountry
    import pyarrow as pa
    import pyarrow.csv as pacsv

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    listing = pd.read_csv(CODE_LIST, dtype=str, keep_default_na=False, encoding="latin-1")
    iso = {c.alpha_3 for c in pycountry.countries}
    # one code per ISO3 code (the list keeps older codes beside current ones, 276 and 280 both DEU):
    # two would give the same key twice, which the contract refuses
    current = listing[listing["iso_3digit_alpha"].isin(iso)].drop_duplicates("iso_3digit_alpha", keep="last")
    countries = current["country_code"].astype(int).unique()
    shutil.copy(CODE_LIST, out / CODE_LIST.name)
    hs = pd.read_csv(SHARED / "concordances/code_descriptions_hs_sitc_bec.csv.gz", dtype=str)
    hs = hs[(hs["classification"] == "HS1992") & (hs["code"].str.len() == 6)].drop_duplicates("code")
    hs.rename(columns={"desc": "description"})[["code", "description"]].to_csv(
        out / f"product_codes_HS92_{RELEASE}.csv", index=False)
    products = np.array(sorted(hs["code"]))
    n_c, n_p = len(countries), len(products)
    space = n_c * (n_c - 1) * n_p
    written = 0
    for y in range(years):
        rng = np.random.default_rng(1000 + y)
        keys = np.unique(rng.integers(0, space, size=int(rows * (1 + rows / space)), dtype=np.int64))
        pair, prod = np.divmod(keys, n_p)
        a, b = np.divmod(pair, n_c - 1)
        b = b + (b >= a)  # no self-trade
        table = pa.table({
            "t": np.full(len(keys), FIRST_YEAR + y, dtype=np.int32), "i": countries[a], "j": countries[b],
            "k": products[prod], "v": np.maximum(np.round(rng.lognormal(3.0, 2.5, len(keys)), 3), 0.001),
            "q": np.round(rng.lognormal(2.0, 3.0, len(keys)), 3)})
        pacsv.write_csv(table, out / f"BACI_HS92_Y{FIRST_YEAR + y}_{RELEASE}.csv",
                        pacsv.WriteOptions(quoting_style="none"))
        written += len(keys)
    return written


def bulk_of(parent: Path, release: Path, years: int) -> Path:
    """A bulk directory with the first ``years`` year files of ``release`` (linked) and its lists."""
    folder = parent / f"bulk{years}" / f"BACI_HS92_{RELEASE}"
    folder.mkdir(parents=True)
    for f in sorted(release.iterdir()):
        if not f.name.startswith("BACI_") or int(f.name.split("_Y")[1][:4]) < FIRST_YEAR + years:
            (folder / f.name).symlink_to(f)
    return folder.parent


def publish_totals(root: str) -> int:
    """The goods totals (real Comtrade/DTA panel) the concentration metric reads beside the products."""
    from pipeline.contracts import load_contract
    from pipeline.sources.files import FilesSource, read_file_input
    from pipeline.transform.canonical import finalize_bilateral_goods_trade
    from pipeline.warehouse import write_table

    items = [i for i in FilesSource(SHARED).discover(TOTALS) if i.provenance.dataset_id == "penppml_comtrade_dta"]
    frame = finalize_bilateral_goods_trade([read_file_input(i) for i in items])
    contract = load_contract(TOTALS)
    write_table(frame, root, TOTALS, contract.arrow_schema(), contract.partition_column, {"source": "bench"})
    return len(frame)


def _items(bulk: str):
    from pipeline.sources.files import FilesSource

    items = FilesSource(bulk).discover(TABLE)
    assert items and {i.provenance.dataset_id for i in items} == {"baci_hs92"}, items[:3]
    return items


def ingest(path: str, bulk: str, root: str) -> tuple[int, int]:
    """Read, gate and publish the product table by ``path``; returns (rows, failed rules)."""
    from pipeline.contracts import check_frame, load_contract
    from pipeline.contracts.origin import tag_origin
    from pipeline.sources.files import read_file_input
    from pipeline.transform.canonical import bilateral_codes, finalize_bilateral_goods_trade
    from pipeline.warehouse import write_table
    from pipeline.warehouse.coverage import table_coverage

    contract, items = load_contract(TABLE), _items(bulk)
    if path == "staged":
        from pipeline.contracts.staged import check_staged
        from pipeline.transform.staging import stage_inputs

        stage = tempfile.mkdtemp(prefix="bench-staged-")
        table = stage_inputs(items, read_file_input, bilateral_codes, contract, Path(stage))
        report = check_staged(table, contract, "baci_hs92")
    else:
        frames = [tag_origin(read_file_input(i), i.provenance.location) for i in items]
        table, report = check_frame(finalize_bilateral_goods_trade(frames), contract, "baci_hs92")
        del frames
    table_coverage(table, contract)
    write_table(table, root, TABLE, contract.arrow_schema(), contract.partition_column, {"source": "bench"})
    if path == "staged":
        shutil.rmtree(stage)
    return report.rows, len(report.findings)


def metrics(root: str) -> dict[str, int]:
    """Every product metric per year partition, as the out__ assets compute them; rows of each."""
    from benchmarks.bench_product_metrics import _inputs
    from pipeline.contracts import load_contract
    from pipeline.metrics.end_use_sql import end_use_by_year
    from pipeline.metrics.product_concentration_sql import product_concentration_by_year
    from pipeline.metrics.rca import rca_by_year
    from pipeline.metrics.strategic_sql import strategic_by_year
    from pipeline.warehouse import read_table
    from pipeline.warehouse.parquet import partition_reader

    products = partition_reader(root, TABLE)
    totals = read_table(root, TOTALS, load_contract(TOTALS).arrow_schema())
    out = {"concentration": len(product_concentration_by_year(totals, products, **_inputs("concentration")))}
    out["strategic"] = len(strategic_by_year(products, **_inputs("strategic")))
    out["end_use"] = len(end_use_by_year(products, **_inputs("end_use")))
    out["rca"] = len(rca_by_year(products))
    return out


def duckdb_csv(bulk: str, out: str) -> tuple[int, float]:
    """Reference, not a path of the pipeline: the same year files read by DuckDB's CSV reader
    straight to Parquet (code list joined, ``k`` padded, ``v`` in USD; no origin tags, types check
    or contract). Returns (rows, peak RSS MB)."""
    from pipeline.contracts.sql import session
    from pipeline.contracts.sql_rules import literal

    rows = 0
    Path(out).mkdir(parents=True, exist_ok=True)
    listing = next(Path(bulk).rglob("country_codes_*.csv"))
    with session("2GB") as con:
        con.execute("CREATE TABLE codes AS SELECT CAST(country_code AS INTEGER) AS code, iso_3digit_alpha AS iso3 "
                    f"FROM read_csv({literal(str(listing))}, all_varchar = true, encoding = 'latin-1')")
        for n, item in enumerate(_items(bulk)):
            target = literal(str(Path(out) / f"{n:05d}.parquet"))
            rows += con.execute(
                "COPY (SELECT e.iso3 AS reporter_iso3, m.iso3 AS partner_iso3, CAST(t AS INTEGER) AS year, "
                "'export' AS flow, 'HS92_6' AS product_classification, lpad(k, 6, '0') AS product_code, "
                "v * 1000 AS value_usd, 'baci_hs92' AS source "
                f"FROM read_csv({literal(item.provenance.location)}, types = {{'k': 'VARCHAR'}}) AS d "
                f"JOIN codes AS e ON d.i = e.code JOIN codes AS m ON d.j = m.code) TO {target} (FORMAT parquet)"
            ).fetchall()[0][0]
    return rows, peak_rss_mb()


def run_path(path: str, bulk: str, root: str) -> dict:
    start = time.perf_counter()
    rows, failed = ingest(path, bulk, root)
    ingested, ingest_rss = time.perf_counter() - start, peak_rss_mb()
    counts = metrics(root)
    return {"rows": rows, "failed_rules": failed, "ingest_s": ingested, "ingest_rss": ingest_rss,
            "metrics_s": time.perf_counter() - start - ingested, "rss": peak_rss_mb(), "metric_rows": counts}


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-product-ingest-") as parent:
        parent = Path(parent)
        status, rows, seconds = run_limited(generate, (str(parent / "release"), max(YEARS), ROWS), memory_gb=8.0)
        if status != "ok":
            raise SystemExit(f"generating the SYNTHETIC release failed: {status}")
        print(f"SYNTHETIC BACI HS92 release: {max(YEARS)} year files, {rows:,} rows ({rows / max(YEARS):,.0f} a "
              f"year; real CEPII country and HS92 codes, drawn values) written in {seconds:.0f} s")
        base = parent / "base" / "warehouse"
        status, _, _ = run_limited(publish_totals, (str(base),), memory_gb=8.0)
        if status != "ok":
            raise SystemExit(f"publishing the goods totals failed: {status}")
        status, answer, seconds = run_limited(duckdb_csv, (str(bulk_of(parent, parent / "release", 1)),
                                                           str(parent / "duckdb_csv")), memory_gb=8.0)
        shutil.rmtree(parent / "duckdb_csv", ignore_errors=True)
        if status == "ok":
            print(f"reference, 1 year: DuckDB's CSV reader to Parquet (code list joined, no origin, no types check, "
                  f"no contract): {answer[0]:,} rows in {seconds:.1f} s, peak RSS {answer[1]:.0f} MB", flush=True)
        results = {}
        for years in YEARS:
            bulk = parent / f"bulk{years}" if years == 1 else bulk_of(parent, parent / "release", years)
            for path in ("staged", "pandas"):
                if path == "pandas" and years not in PANDAS_YEARS:
                    continue
                work = parent / f"{path}{years}"
                shutil.copytree(base.parent, work, symlinks=True)
                cap = MEMORY_GB
                status, answer, seconds = run_limited(run_path, (path, str(bulk), str(work / "warehouse")),
                                                      memory_gb=cap)
                shutil.rmtree(work, ignore_errors=True)
                if status != "ok":
                    print(f"{years:2d} year(s) {path:6s}: {status} after {seconds:.0f} s (address space cap {cap:g} GB)")
                    continue
                results[(path, years)] = answer
                print(f"{years:2d} year(s) {path:6s}: {answer['rows']:,} rows, ingest+contract+publish "
                      f"{answer['ingest_s']:6.1f} s (peak RSS {answer['ingest_rss']:6.0f} MB), metrics "
                      f"{answer['metrics_s']:6.1f} s; whole path {seconds:6.1f} s, peak RSS {answer['rss']:6.0f} MB; "
                      f"rules failed {answer['failed_rules']}; metric rows {answer['metric_rows']}", flush=True)
            if ("staged", years) in results and ("pandas", years) in results:
                ours, theirs = results[("staged", years)], results[("pandas", years)]
                print(f"   ratio staged / pandas at {years} year(s): ingest time "
                      f"{ours['ingest_s'] / theirs['ingest_s']:.2f}, peak RSS {ours['rss'] / theirs['rss']:.2f}")


if __name__ == "__main__":
    main()
