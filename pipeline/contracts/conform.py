"""Conform a frame to a contract's columns and types, counting what cannot be converted.

Types are the first line of the contract gate: a value that cannot become the contract's
type (text in a number column, a fractional year) is a failure to report with its column and
count, not something to coerce silently into a missing value.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.contracts.odcs import Column, Contract
from pipeline.contracts.origin import json_safe, sample_rows
from pipeline.contracts.report import Finding

_INTEGER = {"int16", "int32", "int64"}
_PANDAS_INT = {"int16": "Int16", "int32": "Int32", "int64": "Int64"}


def _convert(series: pd.Series, column: Column) -> tuple[pd.Series, pd.Series]:
    """Return (converted series, mask of values that were present but could not convert)."""
    present = series.notna()
    kind = column.physical_type
    if kind == "string":
        out = series.astype("string")
        return out, pd.Series(False, index=series.index)
    if kind in _INTEGER or kind in {"double", "float64"}:
        numbers = pd.to_numeric(series, errors="coerce")
        bad = present & numbers.isna()
        if kind in _INTEGER:
            fractional = numbers.notna() & (np.floor(numbers) != numbers)
            bad |= fractional
            numbers = numbers.where(~fractional)
            return numbers.astype(_PANDAS_INT[kind]), bad
        return numbers.astype("float64"), bad
    if kind == "bool":
        mapping = {True: True, False: False, 1: True, 0: False, "true": True, "false": False}
        out = series.map(lambda v: mapping.get(v.lower() if isinstance(v, str) else v))
        bad = present & out.isna()
        return out.astype("boolean"), bad
    if kind in {"date32", "timestamp"}:
        out = pd.to_datetime(series, errors="coerce", utc=kind == "timestamp", format="mixed")
        bad = present & out.isna()
        if kind == "date32":  # Arrow's date32 takes datetime.date objects
            out = out.dt.date.where(out.notna(), None)
        return out, bad
    raise ValueError(f"unsupported physical type {kind}")


def conform(frame: pd.DataFrame, contract: Contract,
            origin: pd.DataFrame | None = None) -> tuple[pd.DataFrame, list[Finding]]:
    """Select and order the contract's columns and convert each to its type.

    Optional columns the frame lacks are added empty; a missing required column is a finding.
    Returns the conformed frame (columns in contract order) and the findings: missing
    columns, unexpected columns and values of the wrong type, each with counts, samples and
    the first failing rows (key columns, and the file and row of ``origin`` when given).
    """
    findings: list[Finding] = []
    # An optional column a source lacks is empty, not an error (e.g. distance in the WIOD panel).
    optional = [c.name for c in contract.columns if not c.required and c.name not in frame.columns]
    frame = frame.assign(**{name: pd.NA for name in optional}) if optional else frame
    missing = [c for c in contract.column_names if c not in frame.columns]
    extra = [c for c in frame.columns if c not in contract.column_names]
    if missing:
        findings.append(
            Finding(
                expectation="column_exists",
                column=", ".join(missing),
                failing_rows=len(frame),
                total_rows=len(frame),
                sample=[f"columns present: {list(frame.columns)}"],
                fix="add the missing columns or map them in the source manifest",
            )
        )
        return frame, findings
    if extra:
        findings.append(
            Finding(
                expectation="no_unexpected_columns",
                column=", ".join(map(str, extra)),
                failing_rows=len(frame),
                total_rows=len(frame),
                sample=[],
                fix=f"drop the columns or declare them in {contract.path or contract.name}",
            )
        )
    out = {}
    for column in contract.columns:
        converted, bad = _convert(frame[column.name], column)
        if bad.any():
            findings.append(
                Finding(
                    expectation=f"values_of_type_{column.physical_type}",
                    column=column.name,
                    failing_rows=int(bad.sum()),
                    total_rows=len(frame),
                    sample=json_safe(frame.loc[bad, column.name].head(5).tolist()),
                    fix=f"make every {column.name} a {column.logical_type} in the source; if a token such as "
                    f"{json_safe(frame.loc[bad, column.name].iloc[0])!r} means no value, list it under "
                    "`missing_values` in the dataset's manifest entry",
                    rows=sample_rows(frame, list(frame.index[bad][:5]), contract.primary_key
                                     or contract.column_names[:4], origin),
                )
            )
        out[column.name] = converted
    return pd.DataFrame(out, index=frame.index), findings
