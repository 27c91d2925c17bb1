"""Benchmark: the contract gate's rules in DuckDB SQL against Great Expectations on pandas.

SYNTHETIC data (generated here, never published): a BACI-shaped year of
``bilateral_product_trade`` (the contract's eight columns: reporter and partner from the real
country-code list, one year, flow ``export``, HS92_6 product codes, log-normal
values in USD, one source id), with unique keys and 10 negative values so that a rule fails
and its sample is fetched. Both engines check the same conformed frame with the same rules
(``compile_rules`` of the contract): GX via ``run_expectations``, DuckDB via ``run_sql``.
Each run is its own child process (address space capped at BENCH_GATE_MEMORY_GB, default 10)
that builds its frame, then times the check alone; peak RSS (VmHWM) includes the frame, and
the frame's own RSS is printed beside it. Last, the largest size is written to Parquet (by a
child, untimed) and checked by DuckDB straight from the file (``run_sql_parquet``), the way a
year partition is checked without pandas. GX runs the ladder of BENCH_GATE_SIZES
(default 1,000,000 / 3,000,000 / 10,000,000 rows) until it fails or exceeds
BENCH_GATE_TIMEOUT_S (default 240 s; a size its last time predicts beyond that, linearly,
is skipped and said so); the ratio is given at every size both finished.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from benchmarks.timing import peak_rss_mb, run_limited  # noqa: E402

TABLE = "bilateral_product_trade"  # product rows (the totals table holds TOTAL only)


def synthetic_baci_year(rows: int, seed: int = 0) -> pd.DataFrame:
    """SYNTHETIC: ``rows`` unique reporter x partner x HS6 product rows of one year."""
    from pipeline.reference.codes import country_codes

    rng = np.random.default_rng(seed)
    codes = np.array(sorted(country_codes().valid))[:220]
    products = np.array([f"{c:06d}" for c in rng.choice(np.arange(10_000, 970_000), 5_000, replace=False)])
    space = len(codes) ** 2 * len(products)
    picks = np.unique(rng.integers(0, space, size=int(rows * 1.1) + 100))[:rows]
    rng.shuffle(picks)
    pair, product = np.divmod(picks, len(products))
    reporter, partner = np.divmod(pair, len(codes))
    value = rng.lognormal(10, 2, size=len(picks))
    value[rng.choice(len(picks), 10, replace=False)] = -1.0
    frame = pd.DataFrame({
        "reporter_iso3": pd.Categorical.from_codes(reporter, codes),
        "partner_iso3": pd.Categorical.from_codes(partner, codes),
        "year": np.full(len(picks), 2019, dtype="int32"),
        "flow": pd.Categorical.from_codes(np.zeros(len(picks), dtype="int8"), ["export"]),
        "product_classification": pd.Categorical.from_codes(np.zeros(len(picks), dtype="int8"), ["HS92_6"]),
        "product_code": pd.Categorical.from_codes(product, products),
        "value_usd": value,
        "source": pd.Categorical.from_codes(np.zeros(len(picks), dtype="int8"), ["synthetic_baci"]),
    })
    if len(frame) != rows:
        raise RuntimeError(f"drew {len(frame)} unique keys, wanted {rows}")
    return frame


def check(engine: str, rows: int):
    """In the child: build and conform the frame, then time the rules alone."""
    from pipeline.contracts.conform import conform
    from pipeline.contracts.expectations import compile_rules, run_expectations
    from pipeline.contracts.odcs import load_contract
    from pipeline.contracts.sql import run_sql

    contract = load_contract(TABLE)
    conformed, _ = conform(synthetic_baci_year(rows), contract)
    rules = compile_rules(contract)
    frame_mb = peak_rss_mb()
    run = run_expectations if engine == "gx" else run_sql
    start = time.perf_counter()
    findings = run(conformed, contract, rules)
    seconds = time.perf_counter() - start
    return seconds, peak_rss_mb(), frame_mb, [(f.expectation, f.column, f.failing_rows) for f in findings]


def write_parquet(rows: int, path: str) -> None:
    """In a child: the conformed SYNTHETIC frame as one Parquet file (not timed)."""
    from pipeline.contracts.conform import conform
    from pipeline.contracts.odcs import load_contract

    conform(synthetic_baci_year(rows), load_contract(TABLE))[0].to_parquet(path, index=False)


def check_parquet(path: str):
    """In a child: the rules over the Parquet file, out of core (nothing loaded into pandas)."""
    from pipeline.contracts.expectations import compile_rules
    from pipeline.contracts.odcs import load_contract
    from pipeline.contracts.sql import run_sql_parquet

    contract = load_contract(TABLE)
    start_mb = peak_rss_mb()
    start = time.perf_counter()
    findings, left = run_sql_parquet([path], contract, compile_rules(contract))
    seconds = time.perf_counter() - start
    if left:
        raise RuntimeError(f"rules without a SQL form: {[r.expectation for r in left]}")
    return seconds, peak_rss_mb(), start_mb, [(f.expectation, f.column, f.failing_rows) for f in findings]


def parquet_run(rows: int, memory: float, timeout: float, gx_at_rows) -> bool:
    """False when DuckDB over Parquet disagrees with GX on the same rows."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "synthetic_baci.parquet")
        status, _, _ = run_limited(write_parquet, (rows, path), memory_gb=memory, timeout_s=timeout)
        if status != "ok":
            print(f"{rows:>12,} parquet   could not write the file: {status}")
            return True
        status, result, wall = run_limited(check_parquet, (path,), memory_gb=memory, timeout_s=timeout)
    if status != "ok":
        print(f"{rows:>12,} {'duckdb/parquet':>7}   did not finish: {status} after {wall:.0f} s")
        return True
    seconds, peak, start_mb, failed = result
    print(f"{rows:>12,} duckdb over Parquet {seconds:6.2f} s  peak RSS {peak:.0f} MB "
          f"(process before the scan {start_mb:.0f} MB)  {failed}")
    if gx_at_rows and gx_at_rows[2] != failed:
        print(f"  DISAGREE from Parquet: duckdb {failed} vs gx {gx_at_rows[2]}")
        return False
    elif gx_at_rows:
        print(f"  {rows:,} rows from Parquet: {gx_at_rows[0] / seconds:.1f}x faster than GX-on-pandas, "
              f"peak RSS {gx_at_rows[1] / peak:.1f}x lower (GX's includes the frame it needs)")
    return True


def main() -> int:
    sizes = [int(s) for s in os.environ.get("BENCH_GATE_SIZES", "1000000,3000000,10000000").split(",")]
    memory = float(os.environ.get("BENCH_GATE_MEMORY_GB", "10"))
    timeout = float(os.environ.get("BENCH_GATE_TIMEOUT_S", "240"))
    print(f"SYNTHETIC BACI-shaped {TABLE} (one year, HS6), rules of its contract; "
          f"each run a child process capped at {memory:g} GB and {timeout:g} s")
    print(f"{'rows':>12} {'engine':>7} {'check s':>9} {'peak RSS MB':>12} {'frame RSS MB':>13}  failed rules")
    gx_at: dict[int, tuple] = {}  # rows -> GX's (seconds, peak MB, failed rules)
    gx_alive, gx_last = True, None  # gx_last: (rows, seconds) of GX's largest finished size
    for rows in sizes:
        results = {}
        for engine in ("duckdb", "gx"):
            if engine == "gx" and not gx_alive:
                print(f"{rows:>12,} {'gx':>7}   skipped: failed at a smaller size")
                continue
            if engine == "gx" and gx_last and gx_last[1] * rows / gx_last[0] > timeout:
                print(f"{rows:>12,} {'gx':>7}   skipped: at {gx_last[1]:.0f} s for {gx_last[0]:,} rows it "
                      f"would need ~{gx_last[1] * rows / gx_last[0]:.0f} s (linear), beyond the {timeout:g} s cap")
                gx_alive = False
                continue
            status, result, wall = run_limited(check, (engine, rows), memory_gb=memory, timeout_s=timeout)
            if status != "ok":
                print(f"{rows:>12,} {engine:>7}   did not finish: {status} after {wall:.0f} s")
                gx_alive = gx_alive and engine != "gx"
                continue
            seconds, peak, frame_mb, failed = result
            results[engine] = result
            if engine == "gx":
                gx_last = (rows, seconds)
            print(f"{rows:>12,} {engine:>7} {seconds:9.2f} {peak:12.0f} {frame_mb:13.0f}  {failed}")
        if len(results) == 2:
            (t_d, m_d, f_d, r_d), (t_g, m_g, f_g, r_g) = results["duckdb"], results["gx"]
            if r_d != r_g:
                print(f"  DISAGREE at {rows:,} rows: duckdb {r_d} vs gx {r_g}")
                return 1
            gx_at[rows] = (t_g, m_g, r_g)
            print(f"  {rows:,} rows: DuckDB {t_g / t_d:.1f}x faster than GX-on-pandas; memory above the frame "
                  f"{m_d - f_d:.0f} MB vs {m_g - f_g:.0f} MB (ratio {(m_g - f_g) / max(m_d - f_d, 1):.1f}x)")
    return 0 if parquet_run(sizes[-1], memory, timeout, gx_at.get(sizes[-1])) else 1


if __name__ == "__main__":
    sys.exit(main())
