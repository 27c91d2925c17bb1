"""Apportioned end use of coarse HS codes, and the flag-registered ships caveat.

The lower bound of :mod:`pipeline.metrics.end_use` leaves every code spanning several SNA
classes ``mixed``. The estimate splits a code coarser than the finest world-level trade weights
at hand by those weights, reusing the commodity split (:func:`pipeline.metrics.commodity.
sitc3_split` with :func:`pipeline.metrics.dependency.world_trade_weights`: a world-complete HS6
classification when one is loaded, else the Open Trade Statistics HS4 world exports of 2017).
For a code c (an HS2 chapter with HS4 weights) and class u:

.. math::

    f_{c,u} = \\sum_{h \\in c,\\ label(h) = u} W_h / \\sum_{h \\in c} W_h

where h runs over the weight-level codes (HS4 headings) under c that have HS6 subheadings in the
HS version of the flows, W_h is their world export value (USD) and label(h) their own end use
(:func:`~pipeline.metrics.end_use_classes.end_use_label` of the HS6 subheadings under h:
one class, or ``mixed``). What stays ``mixed`` after that is the weight of headings that are
themselves mixed (2710 petroleum oils: the UN tables give unsplit BEC 32, so no weight can split
it; 8703 cars ...). A code no finer weight splits (an HS4 heading under HS4 weights, an HS6 code)
keeps its own label: a heading is never split by counting its subheadings. A chapter none of
whose headings has a world weight stays mixed (no equal parts).

HS versions: the Atlas codes and classes are HS1992; the OTS weights are HS2007 headings, matched
by number. 15 HS2007 headings with no HS1992 subheading (3.7 % of 2017 world exports, e.g. new
2007 headings) drop out of the weights: their chapter is split over the headings HS1992 has.
"""
from __future__ import annotations

import pandas as pd

from pipeline.metrics.commodity import sitc3_split
from pipeline.metrics.end_use_classes import code_classes, end_use_label

# Ships and floating structures, HS92 headings 8901-8906 (8901-8905 capital, 8903 consumption,
# 8906 warships not_classified in the BEC Rev.4 SNA correspondence).
SHIP_HEADINGS = ("8901", "8902", "8903", "8904", "8905", "8906")
# Open registries: the ITF (International Transport Workers' Federation) list of flags of
# convenience at 30 January 2013, national registers only (its French and German second
# registers, Bermuda, Cayman, Gibraltar and the Faroes are not importers of their own here).
# A ship bought by a foreign owner and flagged there is recorded as that country's import.
OPEN_REGISTRIES = frozenset(
    "ATG BHS BRB BLZ BOL MMR KHM COM CYP GNQ GEO HND JAM LBN LBR MLT MHL MUS MDA MNG CUW PRK PAN STP "
    "LKA VCT TON VUT".split())
_VERSION = "end_use"  # the hs_version tag of the class table handed to sitc3_split


def end_use_split(codes: pd.Series, hs6_classes: pd.Series, weights: pd.Series | None) -> pd.DataFrame:
    """How each code's value divides over end uses: ``product_code, end_use, fraction``.

    ``hs6_classes``: SNA classes per HS6 (:func:`~pipeline.metrics.end_use_classes.
    load_hs6_classes`); ``weights``: world exports per code (USD) of one length, or None.
    Fractions of a code sum to 1; a code with no HS6 subheading is ``unmapped``.
    """
    codes = pd.Series(pd.Series(codes).astype(str).unique())
    length = int(weights.index.str.len().max()) if weights is not None and len(weights) else 0
    own = code_classes(codes, hs6_classes).map(end_use_label)
    whole = pd.DataFrame({"product_code": own.index, "end_use": own.to_numpy(), "fraction": 1.0})
    coarse = codes[codes.str.len() < length]
    if coarse.empty:
        return whole
    # Each HS6 row carries the label of its weight-level code, so the split gives heading weights.
    heading = code_classes(pd.Series(hs6_classes.index.str[:length]), hs6_classes).map(end_use_label)
    table = pd.DataFrame({"hs_version": _VERSION, "hs6": hs6_classes.index,
                          "group": hs6_classes.index.str[:length].map(heading)})
    split = sitc3_split(coarse, table.assign(sitc3=table["group"]), _VERSION, weights)
    # equal_split_group: no weight told the headings apart (none traded): keep the code mixed
    split = split[~split["equal_split_group"]]
    split = split.groupby(["product_code", "group"], as_index=False)["fraction"].sum()
    split = split.rename(columns={"group": "end_use"})
    return pd.concat([whole[~whole["product_code"].isin(split["product_code"])], split], ignore_index=True)


def is_ship(codes: pd.Series) -> pd.Series:
    """True for HS codes under headings 8901-8906 (ships, boats and floating structures)."""
    return codes.astype(str).str[:4].isin(SHIP_HEADINGS) & (codes.astype(str).str.len() >= 4)
