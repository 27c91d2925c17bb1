"""What a published table covers, and whether a new version covers less than the last publish.

Coverage of a table, per source (its ``source`` column; one group ``all`` without one):

``rows``         number of rows;
``entities``     distinct countries of the table's first key column named ``*iso3``;
``years``        distinct values of its ``year`` column (and the first and last year);
``value_total``  sum of its first column whose unit is USD (absent when it has none).

A drop of any of them by more than the tolerance (a fraction of the last publish's figure), or
a source that disappears, stops the publish with the numbers: that is how a CSV cut in half or a bulk file
deleted from the bulk directory is caught before the shorter table replaces the full one. The last publish is the
baseline only when it was made under the same major.minor contract version (:func:`same_definition`).
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from pipeline.contracts.odcs import Contract
from pipeline.warehouse.staged import StagedTable, staged_coverage


def coverage_columns(contract: Contract) -> dict[str, str | None]:
    """The columns the coverage of ``contract``'s table is measured on (module docstring)."""
    names = contract.column_names
    entity = next((k for k in contract.primary_key if k.endswith("iso3")), None)
    entity = entity or next((c for c in names if c.endswith("iso3")), None)
    value = next((c.name for c in contract.columns if c.unit == "USD" and c.physical_type == "double"), None)
    return {"by": "source" if "source" in names else None, "entity": entity,
            "year": "year" if "year" in names else None, "value": value}


def table_coverage(frame: pd.DataFrame, contract: Contract) -> dict[str, Any]:
    """``{"rows", "columns", "sources": {source: {rows, entities, years, first_year, last_year,
    value_total}}}`` of ``frame`` (the conformed table about to be published)."""
    cols = coverage_columns(contract)
    if isinstance(frame, StagedTable):  # out of core, one DuckDB scan of the staged files
        return staged_coverage(frame, cols)
    groups = frame.groupby(frame[cols["by"]].astype(str), sort=True) if cols["by"] else [("all", frame)]
    sources = {}
    for source, part in groups:
        entry: dict[str, Any] = {"rows": int(len(part))}
        if cols["entity"]:
            entry["entities"] = int(part[cols["entity"]].nunique())
        if cols["year"]:
            years = part[cols["year"]].dropna()
            entry.update(years=int(years.nunique()), first_year=int(years.min()) if len(years) else None,
                         last_year=int(years.max()) if len(years) else None)
        if cols["value"]:
            entry["value_total"] = float(pd.to_numeric(part[cols["value"]], errors="coerce").sum())
        sources[str(source)] = entry
    return {"rows": int(len(frame)), "columns": cols, "sources": sources}


def same_definition(published: str | None, current: str) -> bool:
    """Whether a table published under contract version ``published`` is a baseline for one
    under ``current``: the same major.minor. A new minor or major version defines the table anew
    (``bilateral_goods_trade`` 1.1.0 holds totals only; its product rows moved to
    ``bilateral_product_trade``), so the rows its last publish held are not a coverage to keep;
    a patch version changes no rows. A publish that recorded no version is compared."""
    if not published:
        return True
    return published.split(".")[:2] == str(current).split(".")[:2]


MEASURES = {"rows": "rows", "entities": "countries", "years": "years", "value_total": "value total (USD)"}


def coverage_drops(previous: dict[str, Any] | None, current: dict[str, Any], tolerance: float) -> list[str]:
    """Each measure of each source of ``previous`` that ``current`` has lost by more than
    ``tolerance`` (0..1), worded with both figures; empty when nothing dropped that far."""
    if not previous or not previous.get("sources"):
        return []
    drops = []
    for source, before in previous["sources"].items():
        after = current["sources"].get(source)
        if after is None:
            drops.append(f"source {source} is gone ({_figures(before)} at the last publish)")
            continue
        for key, label in MEASURES.items():
            old, new = before.get(key), after.get(key)
            if old is None or new is None or old <= 0:
                continue
            if (old - new) / old > tolerance:
                drops.append(f"source {source}: {label} {_number(old)} -> {_number(new)} "
                             f"(-{(old - new) / old:.1%})")
    return drops


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 or float(value).is_integer() else f"{value:,.4g}"


def _figures(entry: dict[str, Any]) -> str:
    return ", ".join(f"{_number(entry[k])} {label}" for k, label in MEASURES.items() if entry.get(k) is not None)
