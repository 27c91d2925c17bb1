"""Where each row of a checked frame came from, so a failure names the file and row that hold it.

A source tags the rows it reads with two hidden columns, :data:`ORIGIN_FILE` (the file, or the
landing directory of an API answer) and :data:`ORIGIN_ROW` (the row's number among the file's
data records, 1 = the first record after the header: for a CSV without quoted line breaks,
line ``row + 1``). They travel through the table's finishing step and are split off by the
contract gate before anything is checked or published: they never reach a published table.
"""
from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

ORIGIN_FILE = "_origin_file"
ORIGIN_ROW = "_origin_row"
ORIGIN_COLUMNS = (ORIGIN_FILE, ORIGIN_ROW)


def tag_origin(frame: pd.DataFrame, location: str) -> pd.DataFrame:
    """``frame`` with the origin columns: ``location`` for every row, rows numbered 1..n."""
    # from codes: one category, no list of n strings to factorize (6.5M rows of WIOD: ~5 s)
    file_column = pd.Categorical.from_codes(np.zeros(len(frame), dtype="int8"), categories=[location])
    return frame.assign(**{ORIGIN_FILE: file_column,
                           ORIGIN_ROW: np.arange(1, len(frame) + 1, dtype="int32")})


def split_origin(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """(the frame without origin columns, the origin columns or None when it has none)."""
    present = [c for c in ORIGIN_COLUMNS if c in frame.columns]
    if not present:
        return frame, None
    return frame.drop(columns=present), frame[present]


def json_safe(value: Any) -> Any:
    """``value`` as plain JSON: missing values (``pd.NA``, NaN, NaT, None) become None, dates
    ISO strings, NumPy scalars Python numbers, infinities the strings ``inf``/``-inf``, anything
    else unknown its ``str``. A failure report must never fail to serialize."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [json_safe(v) for v in value]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (pd.Timestamp, datetime, date)):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value
    if isinstance(value, (bool, int, str)):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def sample_rows(frame: pd.DataFrame, index: list[Any], key: list[str],
                origin: pd.DataFrame | None) -> list[dict[str, Any]]:
    """The ``key`` columns of the rows at ``index``, with ``file`` and ``row`` where known."""
    if not index:
        return []
    rows = frame.loc[index, [k for k in key if k in frame.columns]].to_dict("records")
    if origin is not None:
        where = origin.loc[index]
        for row, file, number in zip(rows, where.get(ORIGIN_FILE, [None] * len(rows)),
                                     where.get(ORIGIN_ROW, [None] * len(rows))):
            row["file"], row["row"] = file, number
    return json_safe(rows)
