"""Figures of a brief: one warehouse cell each, with where it comes from and what it means.

A figure is a plain dict (the JSON companion holds them as they are)::

    {"label": "Goods exports", "value": 4.1e10, "display": "$41.0bn", "unit": "USD",
     "table": "country_trade_profile", "column": "exports_usd",
     "key": {"iso3": "BGD", "year": 2020}, "year": 2020, "source": "atlas_sections",
     "definition": "<the contract's column description>", "caveat": "..."}

``table`` + ``key`` select exactly one row of the published table (its primary key) and
``value`` is that row's ``column`` as published: the brief never recomputes a metric. The
definition is the contract's, the single source of truth of every published column.
"""
from __future__ import annotations

import math
from typing import Any

import pandas as pd

from pipeline.briefs.reader import contract
from pipeline.reference.codes import country_codes

PERCENT_UNITS = {"pct"}
SHARE_UNITS = {"share_0_1"}


def is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(isinstance(value, float) and math.isnan(value))
    except TypeError:
        return False


def plain(value: Any) -> Any:
    """A JSON-ready Python scalar (numpy types unwrapped; dates as ISO strings)."""
    if is_missing(value):
        return None
    if hasattr(value, "item"):
        value = value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def column_unit(table: str, column: str) -> str:
    for col in contract(table).columns:
        if col.name == column:
            return col.unit or ""
    raise KeyError(f"table {table} has no column {column} (data_contracts/{table}.yaml)")


def column_definition(table: str, column: str) -> str:
    for col in contract(table).columns:
        if col.name == column:
            return col.description
    raise KeyError(f"table {table} has no column {column} (data_contracts/{table}.yaml)")


def country_name(code: str) -> str:
    return country_codes().name(code) if isinstance(code, str) else str(code)


def display(value: Any, unit: str, column: str = "") -> str:
    """How a value reads on the page (never 'nan' or 'None': missing values are never shown)."""
    if is_missing(value):
        raise ValueError("a missing value has no display: leave the figure out")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return country_name(value) + f" ({value})" if len(value) == 3 and value.isupper() else value
    if unit == "USD":
        for scale, suffix in ((1e12, "tn"), (1e9, "bn"), (1e6, "m"), (1e3, "k")):
            if abs(value) >= scale:
                return f"${value / scale:,.1f}{suffix}"
        return f"${value:,.0f}"
    if "index" in column or column.endswith("hhi"):  # indices on a 0..1 scale read as indices, not shares
        return f"{value:.3f}"
    if unit in SHARE_UNITS:
        return f"{100 * value:.1f}%"
    if unit in PERCENT_UNITS:
        # model changes are small and signed (GE effects of hundredths of a percent)
        return f"{value:+.2f}%" if column.startswith("pct_change") else f"{value:.1f}%"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.3f}"


def figure(table: str, row: pd.Series | dict, column: str, key: list[str], label: str,
           caveat: str = "", source: str | None = None) -> dict[str, Any] | None:
    """The figure of ``row[column]`` (a row of ``table``), or None when the cell is empty.

    ``key`` names the columns that pick the row (the table's primary key, or a unique subset)."""
    value = plain(row[column])
    if value is None:
        return None
    unit = column_unit(table, column)
    year = plain(row["year"]) if "year" in row else None
    row_source = plain(row["source"]) if "source" in row else None
    return {
        "label": label, "value": value, "display": display(value, unit, column), "unit": unit,
        "table": table, "column": column, "key": {k: plain(row[k]) for k in key}, "year": year,
        "source": source or row_source or "", "definition": column_definition(table, column),
        "caveat": caveat,
    }


def figures(table: str, row: pd.Series | dict, key: list[str], columns: dict[str, str],
            caveat: str = "", source: str | None = None) -> list[dict[str, Any]]:
    """Figures of several columns of one row (``columns``: column -> label), empty cells left out."""
    found = (figure(table, row, column, key, label, caveat, source) for column, label in columns.items())
    return [f for f in found if f is not None]


def series(table: str, frame: pd.DataFrame, column: str, key: list[str], label: str,
           x: str = "year") -> dict[str, Any] | None:
    """A plotted series: one figure per point (empty cells left out); None when no point."""
    points = [{**f, "point": True} for f in (figure(table, row, column, key, f"{label}, {int(row[x])}")
                                             for _, row in frame.sort_values(x).iterrows()) if f is not None]
    if not points:
        return None
    return {"label": label, "table": table, "column": column, "unit": points[0]["unit"], "x": x,
            "points": points}


def latest(frame: pd.DataFrame, column: str | None = None) -> tuple[pd.DataFrame, int | None]:
    """Rows of the latest year (that has a value in ``column``, when given)."""
    if column is not None and column in frame:
        frame = frame[frame[column].notna()]
    if frame.empty:
        return frame, None
    year = int(frame["year"].max())
    return frame[frame["year"] == year], year


def cell(text: Any) -> dict[str, Any]:
    """A table cell that is text, not a figure (a label, a code)."""
    return {"text": str(text)}
