"""How concentrated a country's exports are on few products: HHI and Theil index.

Both are computed within one product classification (never across: see
:mod:`pipeline.metrics.product_flows`), on each exporter's exports to all partners.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

# SITC Rev.3 has 261 three-digit groups (UN Statistical Papers M/34/Rev.3): UNCTAD's N.
SITC3_GROUPS = 261
# Above this share of exports in codes split over SITC groups by equal parts the index is left
# empty: an equal split spreads one product over several groups (Botswana 2017, OTS HS4: 0.633
# where UNCTADstat publishes 0.891, 90 % of its exports split so).
MAX_EQUAL_SPLIT = 0.05


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


def unctad_concentration_index(values: pd.Series | np.ndarray, n_products: int = SITC3_GROUPS) -> float:
    """UNCTAD's product concentration index: the normalised Herfindahl-Hirschman index.

    :math:`H = (\\sqrt{\\sum_k s_k^2} - \\sqrt{1/N}) / (1 - \\sqrt{1/N})` with
    :math:`s_k` the share of product k in the country's exports and N, as UNCTAD defines it,
    "the number of product groups according to SITC Rev.3, at the 3-digit level" (UNCTAD
    Handbook of Statistics, technical notes on the concentration index; UNCTADstat
    methodological note UNCTAD/STAT/IE/2019/2): the 261 groups of :data:`SITC3_GROUPS`. Unitless,
    0..1: 1 = all exports in one product, 0 = spread evenly over all N. NaN when the total is
    zero.
    """
    h = hhi(values)
    if np.isnan(h):
        return h
    floor = np.sqrt(1.0 / n_products)
    return float((np.sqrt(h) - floor) / (1.0 - floor))


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


def sitc3_exports(exports: pd.DataFrame, split: pd.DataFrame) -> pd.DataFrame:
    """Exports regrouped on SITC Rev.3 3-digit groups: :math:`x_{i,g} = \\sum_k f_{k,g} x_{i,k}`
    with ``split`` from :func:`pipeline.metrics.commodity.sitc3_split`. Products absent from the
    split are dropped. Returns ``iso3, year, product_code`` (the SITC group), ``value_usd``."""
    work = exports.merge(split[["product_code", "sitc3", "fraction"]], on="product_code")
    work = work.assign(value_usd=work["value_usd"] * work["fraction"])
    out = work.groupby(["iso3", "year", "sitc3"], as_index=False)["value_usd"].sum()
    return out.rename(columns={"sitc3": "product_code"})


def unctad_concentration(exports: pd.DataFrame, split: pd.DataFrame) -> pd.DataFrame:
    """:func:`unctad_concentration_index` of each country-year on SITC Rev.3 groups, with
    ``sitc3_equal_split_share``: the share of exports in codes split over several SITC groups
    without finer trade weights (0 for HS6 data). Where that share is above
    :data:`MAX_EQUAL_SPLIT` the index is left empty and ``unctad_concentration_note`` says why:
    the SITC groups of those exports are unknown, and equal parts spread them over groups
    (Botswana 2017: 0.633 from OTS HS4, 0.891 published). Returns ``iso3, year, unctad_concentration_index,
    sitc3_equal_split_share, unctad_concentration_note``."""
    sitc = sitc3_exports(exports, split)
    index = sitc.groupby(["iso3", "year"])["value_usd"].apply(unctad_concentration_index)
    equal = split.groupby("product_code")["equal_split_sitc3"].first()
    work = exports.assign(equal=exports["product_code"].map(equal))
    work = work[work["equal"].notna()]
    work = work.assign(eq_value=work["value_usd"] * work["equal"].astype(float))
    sums = work.groupby(["iso3", "year"])[["eq_value", "value_usd"]].sum()
    out = pd.DataFrame({"unctad_concentration_index": index,
                        "sitc3_equal_split_share": sums["eq_value"] / sums["value_usd"]}).reset_index()
    return withhold_equal_split(
        out, "sitc3_equal_split_share", ["unctad_concentration_index"], "unctad_concentration_note",
        "index left empty: {share} of exports are in codes split over several SITC Rev.3 groups by equal parts (no "
        "finer world trade weights), above {limit}; an equal split spreads one product over several groups and "
        "misstates concentration (Botswana 2017 from HS4: 0.633, UNCTADstat 0.891)")


def withhold_equal_split(table: pd.DataFrame, share: str, columns: list[str], note: str,
                         text: str) -> pd.DataFrame:
    """Empty ``columns`` where ``share`` (of exports split by equal parts) is above
    :data:`MAX_EQUAL_SPLIT`; ``note`` then holds ``text`` with ``{share}`` and ``{limit}``
    filled in, else ``""``."""
    withheld = table[share] > MAX_EQUAL_SPLIT
    table[note] = ""
    table.loc[withheld, note] = [text.format(share=f"{value:.0%}", limit=f"{MAX_EQUAL_SPLIT:.0%}")
                                 for value in table.loc[withheld, share]]
    table.loc[withheld, columns] = float("nan")
    return table


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
