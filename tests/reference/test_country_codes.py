"""Alias rewriting of country codes on real code columns: the same result as pandas'
``Series.replace`` with the alias table (the peer), rewriting only the rows holding an alias."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.reference.codes import country_codes


@pytest.mark.parametrize("dtype", ["object", "string"])  # categorical columns keep replace
def test_canonical_rewrites_aliases_like_series_replace(shared_datasets, dtype):
    regions = (shared_datasets / "wiod2013_bquast/countries.txt").read_text().split()  # ROM, RoW: aliases
    codes = country_codes()
    column = pd.Series([*regions, None, "ZZZ", *regions], dtype=object).astype(dtype)
    rewritten = codes.canonical(column)
    expected = column.replace(codes.aliases)
    assert rewritten.equals(expected) and rewritten.dtype == expected.dtype
    assert "ROU" in set(rewritten.dropna()) and "ROM" not in set(rewritten.dropna())
    assert rewritten.isna().sum() == 1 and (rewritten == "ZZZ").sum() == 1
    unaliased = column[~column.isin(list(codes.aliases))].reset_index(drop=True)
    assert codes.canonical(unaliased).equals(unaliased)  # nothing to rewrite: the same values
    assert codes.canonical(unaliased) is not unaliased  # a copy, as replace gives


def test_origin_tag_names_the_file_on_every_row():
    from pipeline.contracts.origin import ORIGIN_FILE, ORIGIN_ROW, tag_origin

    tagged = tag_origin(pd.DataFrame({"x": np.arange(5)}), "/data/wiot_2011.npz")
    assert tagged[ORIGIN_FILE].tolist() == ["/data/wiot_2011.npz"] * 5
    assert list(tagged[ORIGIN_FILE].cat.categories) == ["/data/wiot_2011.npz"]
    assert tagged[ORIGIN_ROW].tolist() == [1, 2, 3, 4, 5]
    assert len(tag_origin(pd.DataFrame({"x": []}), "/empty.csv")) == 0
