"""The OECD Inter-Country Input-Output tables (ICIO, 2023 edition) as downloaded, read into the
long canonical ``input_output`` table (the layout :mod:`pipeline.sources.wiod` gives WIOD).

Layout (OECD, "Inter-Country Input-Output tables", http://oe.cd/icio, 2023 edition: 76 economies
and the rest of the world, 45 ISIC Rev. 4 industries, 1995-2020, millions of current USD; the
ReadMe of each version; pymrio 0.7 ``parse_oecd`` and ``download_oecd``, which read and name the
same files). One CSV per year, from five-year zips (``ICIO-2016-2020-extended.zip`` ...): the
extended version's ``2020.csv`` and the small version's ``2020_SML.csv`` (pymrio's downloader
renames both ``ICIO2023_2020.csv``). The year is the file name's last four-digit number.

- The first column holds the row labels: ``AUS_A01_02`` (economy ``_`` industry) for every
  supplying industry, then ``TLS`` (taxes less subsidies on products), ``VA`` (value added) and
  ``OUT`` (output).
- The header: the same economy-industry labels, in the same order (the intermediate block is
  square), then final demand per economy, ``AUS_HFCE`` (households), ``AUS_NPISH``,
  ``AUS_GGFC`` (government), ``AUS_GFCF`` (fixed capital formation), ``AUS_INVNT`` (inventories),
  ``AUS_DPABR`` (direct purchases abroad by residents), and ``OUT`` (output of the row).
- The extended version splits China and Mexico by firm type (``CN1``/``CN2``, ``MX1``/``MX2``,
  in rows and in the intermediate columns); the small version has ``CHN`` and ``MEX``. The split
  is summed into ``CHN`` and ``MEX`` (as pymrio does): the canonical table has one region per
  economy. ``ROW`` (rest of the world) is a region of the table, not an economy.

Canonical rows: each non-zero intermediate cell (``col_sector`` = the using industry), each
non-zero final-demand cell (``col_sector`` = the OECD's category: HFCE, NPISH, GGFC, GFCF, INVNT,
DPABR) and, for every supplying industry, its output from the ``OUT`` column (``col_sector =
GO``, ``col_iso3 = row_iso3``). ``TLS`` and ``VA`` are not carried: the value-chain tables take
the primary inputs as ``x - 1'Z``, which in ICIO equals TLS + VA of each column.

Refused, naming the file, the labels, how many and the fix: a file cut mid-record; row and
column labels that do not form a square intermediate table (a label on one side only, or the
two sides in different orders); a row label that is neither economy-industry nor TLS/VA/OUT;
a missing ``OUT`` column; a cell that is not a number.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.sources.base import SourceError, refuse_cut_record

FINAL_DEMAND = ("HFCE", "NPISH", "GGFC", "GFCF", "INVNT", "DPABR")
PRIMARY_ROWS = ("TLS", "VA", "OUT")
OUTPUT = "OUT"
GROSS_OUTPUT = "GO"
SPLIT_REGIONS = {r"CN\d": "CHN", r"MX\d": "MEX"}
_LABEL = re.compile(r"^([A-Z0-9]{3})_(\S+)$")


def icio_year(path: Path) -> int:
    years = re.findall(r"(?<!\d)(19\d\d|20\d\d)(?!\d)", path.name)
    if not years:
        raise SourceError(f"{path}: cannot tell the year from the file name; name it as the OECD does "
                          "(2020.csv, 2020_SML.csv or ICIO2023_2020.csv)")
    return int(years[-1])


def read_oecd_icio(path: Path, spec: dict[str, Any]) -> pd.DataFrame:
    """One ICIO year file -> canonical ``input_output`` rows (values in USD)."""
    year = icio_year(path)
    header = pd.read_csv(path, nrows=0).columns
    refuse_cut_record(path, spec, len(header))
    table = pd.read_csv(path, index_col=0, dtype={header[0]: str}, engine="c", low_memory=False)
    table.index = table.index.astype(str).str.strip()
    table.columns = table.columns.astype(str).str.strip()
    rows, cols, fd_cols = _labels(path, spec, table)
    values = _numbers(path, spec, table)
    z = values.loc[rows, rows].to_numpy()
    f = values.loc[rows, fd_cols].to_numpy()
    x = values.loc[rows, OUTPUT].to_numpy()
    # the extended version's CN1/CN2 and MX1/MX2 summed into CHN and MEX, rows and columns
    rows, z, f, x = _merge_split(rows, z, f, x)
    fd_cols, f = _merge_columns(fd_cols, f)
    r_region, r_sector = _split(rows)
    f_region, f_sector = _split(fd_cols)
    labels = np.array(r_region + r_sector + f_region + f_sector + [GROSS_OUTPUT], dtype=object)
    n, m = len(rows), len(fd_cols)
    reg, sec = np.arange(n), np.arange(n, 2 * n)  # positions in `labels`
    fd_reg, fd_sec = np.arange(2 * n, 2 * n + m), np.arange(2 * n + m, 2 * n + 2 * m)
    parts = []
    for matrix, col_reg, col_sec in ((z, reg, sec), (f, fd_reg, fd_sec)):
        r, c = np.nonzero(matrix)
        parts.append((reg[r], sec[r], col_reg[c], col_sec[c], matrix[r, c]))
    parts.append((reg, sec, reg, np.full(n, len(labels) - 1), x))
    columns = [np.concatenate([p[i] for p in parts]) for i in range(5)]
    frame = pd.DataFrame({name: labels[idx] for name, idx in zip(
        ("row_iso3", "row_sector", "col_iso3", "col_sector"), columns[:4])})
    frame["value_usd"] = columns[4].astype("float64") * float(spec.get("unit_multiplier", 1))
    frame.insert(0, "year", year)
    frame["source"] = spec["id"]
    return frame


def _labels(path: Path, spec: dict[str, Any], table: pd.DataFrame) -> tuple[list[str], list[str], list[str]]:
    """Intermediate row labels (= column labels, checked), and the final-demand columns."""
    fix = ("Use the file as the OECD released it (ICIO 2023 edition, one CSV per year); a table cut or "
           "edited by hand loses its square shape")
    index = table.index.tolist()
    rows = [r for r in index if _LABEL.match(r)]
    odd_rows = [r for r in index if not _LABEL.match(r) and r not in PRIMARY_ROWS]
    if odd_rows:
        raise SourceError(f"{path} (dataset {spec['id']}): {len(odd_rows)} row label(s) are neither "
                          f"economy_industry (AUS_A01_02) nor {list(PRIMARY_ROWS)}: {odd_rows[:5]}. {fix}")
    if OUTPUT not in table.columns:
        raise SourceError(f"{path} (dataset {spec['id']}): no {OUTPUT} column (output of each row). {fix}")
    fd_cols = [c for c in table.columns if _LABEL.match(c) and c.rsplit("_", 1)[1] in FINAL_DEMAND]
    cols = [c for c in table.columns if _LABEL.match(c) and c not in fd_cols]
    row_set, col_set = set(rows), set(cols)
    only_rows = [r for r in rows if r not in col_set]
    only_cols = [c for c in cols if c not in row_set]
    if only_rows or only_cols:
        raise SourceError(
            f"{path} (dataset {spec['id']}): the row and column labels do not form a square table: "
            f"{len(rows)} economy-industry rows, {len(cols)} economy-industry columns; "
            f"{len(only_rows)} label(s) only in rows {only_rows[:5]}, {len(only_cols)} only in columns "
            f"{only_cols[:5]}. {fix}")
    if rows != cols or len(set(rows)) != len(rows):
        at = next((i for i, (r, c) in enumerate(zip(rows, cols)) if r != c), len(rows))
        raise SourceError(f"{path} (dataset {spec['id']}): the rows and columns list the same {len(rows)} "
                          f"labels but not in the same order (or twice): position {at + 1} is "
                          f"{rows[at] if at < len(rows) else '?'} in rows. {fix}")
    return rows, cols, fd_cols


def _numbers(path: Path, spec: dict[str, Any], table: pd.DataFrame) -> pd.DataFrame:
    """The table as numbers; an empty cell or text (``n/a``) is refused, naming where."""
    text = table.select_dtypes(exclude="number").columns
    numbers = table.assign(**{c: pd.to_numeric(table[c], errors="coerce") for c in text}) if len(text) else table
    bad = numbers.isna()
    if bad.to_numpy().any():
        where = bad.stack()
        where = where[where].index[:5].tolist()
        raise SourceError(f"{path} (dataset {spec['id']}): {int(bad.to_numpy().sum()):,} cell(s) are empty or "
                          f"not numbers, e.g. (row, column) {where} = {[table.at[r, c] for r, c in where]}. "
                          "Use the file as the OECD released it")
    return numbers


def _region(code: str) -> str:
    return next((whole for part, whole in SPLIT_REGIONS.items() if re.fullmatch(part, code)), code)


def _merged(label: str) -> str:
    region, rest = label.split("_", 1)
    return f"{_region(region)}_{rest}"


def _positions(labels: list[str]) -> tuple[list[str], np.ndarray]:
    """The merged labels in order of first appearance, and each label's position among them."""
    merged = [_merged(label) for label in labels]
    order = list(dict.fromkeys(merged))
    at = {label: i for i, label in enumerate(order)}
    return order, np.array([at[label] for label in merged], dtype=np.int64)


def _sum_rows(matrix: np.ndarray, index: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros((size, *matrix.shape[1:]))
    np.add.at(out, index, matrix)
    return out


def _merge_split(rows: list[str], z: np.ndarray, f: np.ndarray, x: np.ndarray):
    order, index = _positions(rows)
    if len(order) == len(rows):
        return rows, z, f, x
    size = len(order)
    z = _sum_rows(_sum_rows(z, index, size).T, index, size).T
    return order, z, _sum_rows(f, index, size), _sum_rows(x, index, size)


def _merge_columns(columns: list[str], matrix: np.ndarray):
    order, index = _positions(columns)
    if len(order) == len(columns):
        return columns, matrix
    return order, _sum_rows(matrix.T, index, len(order)).T


def _split(labels: list[str]) -> tuple[list[str], list[str]]:
    pairs = [label.split("_", 1) for label in labels]  # economy codes hold no underscore
    return [_region(p[0]) for p in pairs], [p[1] for p in pairs]
