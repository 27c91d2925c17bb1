"""Commodity dependence: share of primary commodities in merchandise exports (UNCTAD).

UNCTAD's "all primary commodities" are SITC Rev.3 sections 0-4 plus divisions 68
(non-ferrous metals), 667 (pearls, precious stones) and 971 (non-monetary gold). The flag per
HS6 subheading comes from ``concordances/hs6_unctad_primary_commodity_flag_via_sitc3.csv.gz``
(HS6 -> SITC Rev.3 one-to-one UN conversion, see that folder's MANIFEST).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

FLAG_FILE = "concordances/hs6_unctad_primary_commodity_flag_via_sitc3.csv.gz"


def load_primary_flags(path: Path | str) -> pd.DataFrame:
    """The HS6 flag table: ``hs_version, hs6, unctad_primary`` (bool), codes as text."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"UNCTAD primary-commodity flags not found at {path}: set TRADE_BULK_DIR to a "
            f"directory holding {FLAG_FILE}"
        )
    flags = pd.read_csv(path, dtype=str, usecols=["hs_version", "hs6", "unctad_primary"])
    bad = ~flags["unctad_primary"].isin(["True", "False"])
    if bad.any():
        raise ValueError(f"{path}: column unctad_primary holds {flags.loc[bad, 'unctad_primary'].unique()[:5]}, "
                         "expected True/False; use the original file")
    return flags.assign(unctad_primary=flags["unctad_primary"] == "True")


def primary_fraction(codes: pd.Series, flags: pd.DataFrame, hs_version: str) -> pd.Series:
    """Fraction (0..1) of the HS6 subheadings under each HS code that are primary commodities.

    An HS6 code gets its flag (0 or 1). A 2- or 4-digit code gets the unweighted mean flag of
    the HS6 subheadings it contains, an approximation where a heading mixes primary and
    manufactured subheadings (e.g. HS 28 chemicals: 1 of 190 subheadings; HS 71: 36 of 50, jewellery
    is not primary).
    Codes with no HS6 subheading in that version get NaN.
    """
    version = flags[flags["hs_version"] == hs_version]
    if version.empty:
        raise ValueError(f"no HS6 flags for {hs_version}; versions present: {sorted(flags['hs_version'].unique())}")
    out = {}
    for length in sorted(codes.str.len().unique()):
        mean = version.groupby(version["hs6"].str[:length])["unctad_primary"].mean()
        out.update(mean.to_dict())
    return codes.map(out).astype("float64")


def commodity_export_share(exports: pd.DataFrame, fraction: pd.Series) -> pd.DataFrame:
    """Share of primary commodities in each country's exports.

    :math:`c_{i,t} = \\sum_k f_k x_{i,k,t} / \\sum_k x_{i,k,t}` with :math:`f_k` the primary
    fraction of product k (0/1 at HS6). A share in 0..1, unitless; products without a flag
    (NaN fraction) are left out of numerator and denominator.

    ``exports``: ``iso3, year, product_code, value_usd``; ``fraction`` indexed by product code.
    Returns ``iso3, year, commodity_export_share``.
    """
    work = exports.assign(f=exports["product_code"].map(fraction))
    work = work[work["f"].notna()]
    work = work.assign(primary=work["f"] * work["value_usd"])
    sums = work.groupby(["iso3", "year"], as_index=False)[["primary", "value_usd"]].sum()
    sums = sums[sums["value_usd"] > 0]
    sums["commodity_export_share"] = (sums["primary"] / sums["value_usd"]).clip(0.0, 1.0)
    return sums[["iso3", "year", "commodity_export_share"]]
