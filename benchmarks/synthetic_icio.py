"""A SYNTHETIC input-output table of OECD ICIO 2023 size, written as one year of the canonical
long ``input_output`` table (Hive partition ``year=2020``), for benchmarks only.

Shape as ICIO 2023: 77 regions (76 economies + ROW) x 45 industries = 3,465 rows and columns of
intermediate use, final demand in 6 categories per region (ICIO's HFCE, NPISH, GGFC, GFCF, INVNT,
DPABR), gross output. Values are random, not ICIO's: technical coefficients drawn from a Gamma
law, 70% of a column's inputs domestic, 40% of foreign cells zero, column sums between 0.35 and
0.65; final demand mostly domestic; gross output ``x = (I - A)^-1 y`` so that the table balances
(``x = Z 1 + F 1``) exactly.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

REGIONS = ("AUS AUT BEL CAN CHL COL CRI CZE DNK EST FIN FRA DEU GRC HUN ISL IRL ISR ITA JPN KOR LVA LTU LUX "
           "MEX NLD NZL NOR POL PRT SVK SVN ESP SWE CHE TUR GBR USA ARG BGD BLR BRA BRN BGR KHM CMR CHN CIV "
           "HRV CYP EGY HKG IND IDN JOR KAZ LAO MYS MLT MAR MMR NGA PAK PER PHL ROU RUS SAU SEN SGP ZAF TWN "
           "THA TUN UKR VNM ROW").split()
assert len(REGIONS) == 77 and len(set(REGIONS)) == 77
INDUSTRIES = [f"i{k:02d}" for k in range(1, 46)]
CATEGORIES = ["HFCE", "NPISH", "GGFC", "GFCF", "INVNT", "DPABR"]
YEAR = 2020


def generate(seed: int = 17) -> dict[str, np.ndarray]:
    """``z`` (N x N), ``fd`` (N x R x 6) and ``x`` (N), in USD."""
    rng = np.random.default_rng(seed)
    r, s = len(REGIONS), len(INDUSTRIES)
    n = r * s
    region = np.repeat(np.arange(r), s)
    a = rng.gamma(0.5, size=(n, n))
    domestic = region[:, None] == region[None, :]
    a[~domestic & (rng.random((n, n)) < 0.4)] = 0.0
    inside = np.where(domestic, a, 0.0).sum(axis=0)
    outside = a.sum(axis=0) - inside
    a = np.where(domestic, a * (0.7 / inside)[None, :], a * (0.3 / outside)[None, :])
    a *= rng.uniform(0.35, 0.65, size=n)[None, :]
    size = rng.lognormal(0.0, 1.2, size=r) * 1e7
    fd = rng.gamma(0.5, size=(n, r, len(CATEGORIES))) * size[None, :, None]
    fd[region[:, None] == np.arange(r)[None, :]] *= 20.0  # final demand is mostly domestic
    x = np.linalg.solve(np.eye(n) - a, fd.sum(axis=(1, 2)))
    return {"z": a * x[None, :], "fd": fd, "x": x}


def _labels(codes: np.ndarray, labels: list[str]) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(labels)).cast(pa.string())


def write_long(arrays: dict[str, np.ndarray], root: Path, schema: pa.Schema) -> Path:
    """Write the table as the warehouse holds ``input_output`` (non-zero cells only; columns and
    types of ``schema``, the contract's): ``root/input_output/year=2020/part-0.parquet``."""
    z, fd, x = arrays["z"], arrays["fd"], arrays["x"]
    s = len(INDUSTRIES)
    zi, zj = np.nonzero(z)
    fi, fr, fk = np.nonzero(fd)
    go = np.arange(len(x))
    sectors = INDUSTRIES + CATEGORIES + ["GO"]
    row = np.concatenate([zi, fi, go])
    col_region = np.concatenate([zj // s, fr, go // s])
    col_sector = np.concatenate([zj % s, s + fk, np.full(len(go), s + len(CATEGORIES))])
    values = np.concatenate([z[zi, zj], fd[fi, fr, fk], x])
    table = pa.table({"row_iso3": _labels(row // s, REGIONS), "row_sector": _labels(row % s, INDUSTRIES),
                      "col_iso3": _labels(col_region, REGIONS), "col_sector": _labels(col_sector, sectors),
                      "value_usd": values, "source": pa.array(["synthetic"]).take(pa.array(np.zeros(len(row), np.int32)))})
    table = table.cast(pa.schema([f for f in schema if f.name != "year"]))
    target = root / "input_output" / f"year={YEAR}" / "part-0.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, target, compression="zstd")
    return target
