"""How concentrated a country's exports are on few products: HHI and Theil index.

Both are computed within one product classification (never across: see
:mod:`pipeline.metrics.product_flows`), on each exporter's exports to all partners.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def hhi(values: pd.Series | np.ndarray) -> float:
    """Herfindahl-Hirschman index of a set of non-negative values.

    :math:`HHI = \\sum_k s_k^2` with :math:`s_k = x_k / \\sum_j x_j`; unitless, in
    :math:`[1/n, 1]` for n positive values (1 = everything in one item). Zeros add nothing.
    Returns NaN when the total is zero (a share of nothing is undefined).
    """
    x = np.asarray(values, dtype="float64")
    total = x.sum()
    if not total > 0:
        return float("nan")
    s = x / total
    return float((s * s).sum())


def theil_index(values: pd.Series | np.ndarray, universe: int | None = None) -> float:
    """Theil entropy index of concentration over a universe of N products.

    :math:`T = \\frac{1}{N} \\sum_{k=1}^{N} \\frac{x_k}{\\mu} \\ln \\frac{x_k}{\\mu}` with
    :math:`\\mu = \\frac{1}{N}\\sum_k x_k`, and :math:`0 \\ln 0 = 0` for products not exported
    (Cadot, Carrère & Strauss-Kahn 2011, "Export diversification: what's behind the hump?").
    Unitless, in :math:`[0, \\ln N]`: 0 when exports are spread evenly over all N products,
    :math:`\\ln N` when a single product is exported. ``universe`` is N, the number of products
    of the classification (the values given are its exported products; the rest are zeros);
    ``None`` takes N = number of values given. Raises if fewer products than values are claimed.
    NaN when the total is zero.
    """
    x = np.asarray(values, dtype="float64")
    n = len(x) if universe is None else int(universe)
    if n < len(x):
        raise ValueError(f"universe of {n} products is smaller than the {len(x)} values given")
    total = x.sum()
    if not total > 0:
        return float("nan")
    ratio = x[x > 0] / (total / n)
    return float((ratio * np.log(ratio)).sum() / n)


def export_product_concentration(exports: pd.DataFrame, universe: int | None = None) -> pd.DataFrame:
    """Product HHI, Theil index and number of products per exporter and year.

    Parameters
    ----------
    exports : DataFrame
        ``iso3, year, product_code, value_usd``: each country's exports of each product.
    universe : int, optional
        Number of products of the classification (Theil's N). ``None``: the number of
        distinct product codes exported by anyone in that year.

    Returns
    -------
    DataFrame
        ``iso3, year, exports_usd, n_products, product_hhi, product_theil`` (indices unitless).
    """
    if exports.empty:
        return pd.DataFrame(columns=["iso3", "year", "exports_usd", "n_products", "product_hhi", "product_theil"])
    positive = exports[exports["value_usd"] > 0]
    n_by_year = positive.groupby("year")["product_code"].nunique()
    rows = []
    for (iso3, year), group in positive.groupby(["iso3", "year"], sort=True):
        values = group["value_usd"].to_numpy()
        n = universe if universe else int(n_by_year[year])
        rows.append({
            "iso3": iso3, "year": int(year), "exports_usd": float(values.sum()),
            "n_products": int(len(values)), "product_hhi": hhi(values),
            "product_theil": theil_index(values, max(n, len(values))),
        })
    return pd.DataFrame(rows)
