"""Two tables with the same rows and the same values: what a DuckDB-per-year metric must give
against its pandas reference (the authoritative definition, read on the whole table)."""
from __future__ import annotations

import numpy as np
import pandas as pd

RTOL = 1e-9  # summation order differs between the engines; nothing else may


def assert_same_table(got: pd.DataFrame, expected: pd.DataFrame, key: list[str]) -> dict:
    """Same columns, same keys (none more or less, none twice), numbers within :data:`RTOL`
    relative (NaN where NaN), every other value equal. Returns ``rows`` compared and the
    largest relative difference ``max_rel`` of any number."""
    assert sorted(got.columns) == sorted(expected.columns), set(got.columns) ^ set(expected.columns)
    assert len(got) == len(expected) > 0, (len(got), len(expected))
    assert not got.duplicated(key).any() and not expected.duplicated(key).any()
    kinds = {k: str for k in key if k != "year"} | {"year": int}
    merged = got.astype(kinds).merge(expected.astype(kinds), on=key, how="outer", suffixes=("", "_ref"),
                                     indicator=True)
    assert (merged["_merge"] == "both").all(), merged.loc[merged["_merge"] != "both", key].head()
    max_rel = 0.0
    for col in (c for c in got.columns if c not in key):
        a, b = merged[col], merged[f"{col}_ref"]
        if pd.api.types.is_numeric_dtype(b) and not pd.api.types.is_bool_dtype(b):
            a, b = a.astype(float).to_numpy(), b.astype(float).to_numpy()
            assert (np.isnan(a) == np.isnan(b)).all(), col
            ok = ~np.isnan(b)
            rel = np.abs(a[ok] - b[ok]) / np.maximum(np.abs(b[ok]), 1e-300)
            rel = np.where(a[ok] == b[ok], 0.0, rel)
            assert (rel <= RTOL).all(), (col, float(rel.max()))
            max_rel = max(max_rel, float(rel.max()) if len(rel) else 0.0)
        else:
            same = (a.isna() & b.isna()) | (a.astype(object) == b.astype(object))
            assert same.all(), (col, merged.loc[~same, [*key, col, f"{col}_ref"]].head())
    return {"rows": len(merged), "max_rel": max_rel}
