"""Read a WIOD world input-output table stored as ``.npz`` into the long canonical layout.

The R package ``wiod`` (2013 release) stores per year: ``inter`` (1435 x 1435 intermediate
use, region-major then industry), ``final`` (1435 x 205: per region the final-demand categories
CONS_h, CONS_np, CONS_g, GFCF, INVEN) and ``output`` (1435 gross output), in millions of USD.
Only non-zero cells are kept (about 80% of intermediate cells are zero); gross output becomes
rows with ``col_sector = "GO"`` and ``col_iso3 = row_iso3``.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

FINAL_DEMAND = ["CONS_h", "CONS_np", "CONS_g", "GFCF", "INVEN"]
GROSS_OUTPUT = "GO"


def _labels(directory: Path, spec: dict[str, Any]) -> tuple[list[str], list[str]]:
    labels = spec.get("labels", {})
    regions_file = directory / labels.get("regions", "countries.txt")
    industries_file = directory / labels.get("industries", "industries_wiod2013.csv")
    for f in (regions_file, industries_file):
        if not f.is_file():
            raise FileNotFoundError(f"label file {f} missing next to the WIOD tables")
    regions = [line.strip() for line in regions_file.read_text().splitlines() if line.strip()]
    industries = pd.read_csv(industries_file, dtype=str)["code"].tolist()
    return regions, industries


def read_wiod_npz(path: Path, spec: dict[str, Any]) -> pd.DataFrame:
    match = re.search(r"(\d{4})", path.name)
    if not match:
        raise ValueError(f"cannot tell the year from the file name {path.name}")
    year = int(match.group(1))
    regions, industries = _labels(path.parent, spec)
    n = len(regions) * len(industries)
    with np.load(path) as tables:
        missing = {"inter", "final", "output"} - set(tables.files)
        if missing:
            raise ValueError(f"arrays {sorted(missing)} missing (found {tables.files})")
        inter, final, output = tables["inter"], tables["final"], tables["output"]
    if inter.shape != (n, n) or final.shape != (n, len(regions) * len(FINAL_DEMAND)):
        raise ValueError(
            f"shapes inter {inter.shape}, final {final.shape} do not fit {len(regions)} regions "
            f"x {len(industries)} industries"
        )
    row_iso3 = np.repeat(regions, len(industries))
    row_sector = np.tile(industries, len(regions))
    fd_iso3 = np.repeat(regions, len(FINAL_DEMAND))
    fd_sector = np.tile(FINAL_DEMAND, len(regions))
    parts = []
    for matrix, col_iso3, col_sector in (
        (inter, row_iso3, row_sector),
        (final, fd_iso3, fd_sector),
    ):
        r, c = np.nonzero(matrix)
        parts.append(
            pd.DataFrame(
                {
                    "row_iso3": row_iso3[r],
                    "row_sector": row_sector[r],
                    "col_iso3": col_iso3[c],
                    "col_sector": col_sector[c],
                    "value_usd": matrix[r, c].astype("float64"),
                }
            )
        )
    parts.append(
        pd.DataFrame(
            {
                "row_iso3": row_iso3,
                "row_sector": row_sector,
                "col_iso3": row_iso3,
                "col_sector": GROSS_OUTPUT,
                "value_usd": output.astype("float64"),
            }
        )
    )
    frame = pd.concat(parts, ignore_index=True)
    frame["value_usd"] *= spec.get("unit_multiplier", 1)
    frame.insert(0, "year", year)
    frame["source"] = spec["id"]
    return frame
