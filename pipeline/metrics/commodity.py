"""Commodity dependence as UNCTAD publishes it, and the HS -> SITC Rev.3 split it rests on.

Definitions (UNCTAD, *State of Commodity Dependence 2021* and *2023*, "Definitions and
methodology"; UNCTADstat product groupings, SITC Rev.3):

- all primary commodities = SITC 0 + 1 + 2 + 3 + 4 + 68 + 667 + 971;
- agricultural products = SITC 0 + 1 + 2 + 4, less 27 and 28;
- fuels = SITC 3;
- minerals, ores and metals (with precious stones and non-monetary gold) = SITC 27 + 28 + 68
  + 667 + 971;
- a country is *commodity dependent* when primary commodities are more than 60 % of its
  merchandise exports (:data:`DEPENDENCE_THRESHOLD`).

HS6 codes get their SITC Rev.3 group from
``concordances/hs6_unctad_primary_commodity_flag_via_sitc3.csv.gz`` (the UN HS -> SITC Rev.3
conversion, one SITC code per HS6). A 2- or 4-digit code holds several HS6 subheadings; its
value is split over their SITC groups by the world trade of the finer codes inside it (world
exports from the finest world-level source at hand), never by counting subheadings: copper
chapter 74 is 58 % primary by count, about 95 % by world trade (refined copper, SITC 682).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.metrics.product_concentration import withhold_equal_split

FLAG_FILE = "concordances/hs6_unctad_primary_commodity_flag_via_sitc3.csv.gz"
DEPENDENCE_THRESHOLD = 0.60
GROUPS = ("agricultural", "fuels", "ores_metals")
SHARE_COLUMNS = ["commodity_export_share", "agricultural_export_share", "fuels_export_share",
                 "ores_metals_export_share"]
BOUND_COLUMNS = ["commodity_export_share_low", "commodity_export_share_high"]


def unctad_group(sitc3: pd.Series) -> pd.Series:
    """UNCTAD commodity group of SITC Rev.3 3-digit codes: ``agricultural``, ``fuels``,
    ``ores_metals`` or ``""`` (manufactures and other goods, not primary)."""
    sitc3 = sitc3.astype(str)
    section, division = sitc3.str[:1], sitc3.str[:2]
    ores = division.isin(["27", "28", "68"]) | sitc3.isin(["667", "971"])
    out = pd.Series("", index=sitc3.index, dtype=object)
    out[section.isin(["0", "1", "2", "4"]) & ~ores] = "agricultural"
    out[section == "3"] = "fuels"
    out[ores] = "ores_metals"
    return out


def load_sitc_map(path: Path | str) -> pd.DataFrame:
    """The HS6 -> SITC Rev.3 table: ``hs_version, hs6, sitc3, group`` (codes as text).

    Raises ``FileNotFoundError`` when the file is absent and ``ValueError`` when one HS6 code of
    a version maps to two SITC codes (a correlation table, not the one-to-one conversion the
    shares need) or when the file's own ``unctad_primary`` flag disagrees with the SITC code.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"HS6 -> SITC Rev.3 table not found at {path}: set TRADE_BULK_DIR to a "
                                f"directory holding {FLAG_FILE}")
    table = pd.read_csv(path, dtype=str)
    missing = {"hs_version", "hs6", "sitc3"} - set(table.columns)
    if missing:
        raise ValueError(f"{path} lacks column(s) {sorted(missing)}; header is {list(table.columns)}: "
                         "use the original file")
    table = table.drop_duplicates(["hs_version", "hs6", "sitc3"])
    split = table[table.duplicated(["hs_version", "hs6"], keep=False)]
    if len(split):
        pairs = split.groupby(["hs_version", "hs6"])["sitc3"].apply(lambda s: "/".join(s)).head(5)
        named = ", ".join(f"{v} {h} -> SITC {s}" for (v, h), s in pairs.items())
        raise ValueError(f"{path}: {split['hs6'].nunique()} HS6 code(s) map to two or more SITC codes ({named}): "
                         "commodity shares need the one-to-one UN conversion; keep one SITC code per HS6")
    table["group"] = unctad_group(table["sitc3"])
    if "unctad_primary" in table:
        disagree = table[(table["group"] != "") != (table["unctad_primary"] == "True")]
        if len(disagree):
            raise ValueError(f"{path}: unctad_primary disagrees with the SITC code for HS6 "
                             f"{disagree['hs6'].head(5).tolist()}: use the original file")
    return table[["hs_version", "hs6", "sitc3", "group"]]


def world_weights(exports: pd.DataFrame) -> pd.Series:
    """World exports per product code (USD), the weights of :func:`sitc3_split`: the sum over
    every exporter of ``exports`` (``product_code, value_usd``)."""
    return exports.groupby("product_code")["value_usd"].sum()


def sitc3_split(codes: pd.Series, sitc_map: pd.DataFrame, hs_version: str,
                weights: pd.Series | None = None) -> pd.DataFrame:
    """How each HS code's value divides over SITC Rev.3 groups.

    For code c with HS6 subheadings k: :math:`f_{c,g} = \\sum_{k \\in c, sitc(k)=g} w_k /
    \\sum_{k \\in c} w_k`. With world ``weights`` at length m (finer than c) a subheading gets
    :math:`w_k = W_{k[:m]} / n_{k[:m]}`, the world trade of its m-digit code shared equally
    among that code's HS6 subheadings; without finer weights (an HS6 code, or an HS4 heading
    when the finest world source is HS4) the split is by equal parts and flagged in
    ``equal_split_sitc3`` / ``equal_split_group`` where the equal parts fall in different SITC
    groups / UNCTAD groups. An HS6 code has fraction 1 of its own group.

    Returns ``product_code, sitc3, group, fraction, equal_split_sitc3, equal_split_group``;
    codes with no HS6 subheading in that version are absent.
    """
    version = sitc_map[sitc_map["hs_version"] == hs_version]
    if version.empty:
        raise ValueError(f"no HS6 -> SITC rows for {hs_version}; versions present: "
                         f"{sorted(sitc_map['hs_version'].unique())}")
    weight_length = int(weights.index.str.len().max()) if weights is not None and len(weights) else 0
    frames = []
    for length in sorted(pd.Series(codes).astype(str).str.len().unique()):
        wanted = set(pd.Series(codes).astype(str)[lambda s, n=length: s.str.len() == n])
        rows = version.assign(product_code=version["hs6"].str[:length])
        rows = rows[rows["product_code"].isin(wanted)]
        block = rows["product_code"]
        w = pd.Series(1.0, index=rows.index)
        if weight_length > length:
            block = rows["hs6"].str[:weight_length]
            w = block.map(weights).fillna(0.0) / block.map(block.value_counts())
            # A code none of whose finer codes traded: equal parts rather than nothing.
            dead = rows["product_code"].map(w.groupby(rows["product_code"]).sum()) <= 0
            block, w = block.where(~dead, rows["product_code"]), w.where(~dead, 1.0)
        frames.append(rows.assign(block=block, w=w))
    rows = pd.concat(frames, ignore_index=True) if frames else version.iloc[:0].assign(product_code="", block="", w=0.0)
    total = rows.groupby("product_code")["w"].transform("sum")
    rows["fraction"] = rows["w"] / total
    blocks = rows.groupby(["product_code", "block"]).agg(n_sitc=("sitc3", "nunique"), n_group=("group", "nunique"))
    equal = blocks.groupby("product_code").agg(equal_split_sitc3=("n_sitc", lambda s: bool((s > 1).any())),
                                              equal_split_group=("n_group", lambda s: bool((s > 1).any())))
    out = rows.groupby(["product_code", "sitc3", "group"], as_index=False)["fraction"].sum()
    return out.merge(equal.reset_index(), on="product_code")


def commodity_dependence(exports: pd.DataFrame, split: pd.DataFrame) -> pd.DataFrame:
    """UNCTAD commodity shares of each country's exports, their bounds and the 60 % flag.

    :math:`c^g_{i,t} = \\sum_k f_{k,g} x_{i,k,t} / \\sum_k x_{i,k,t}` for each UNCTAD group g
    (:data:`GROUPS`), and ``commodity_export_share`` = their sum; shares 0..1, unitless.
    ``commodity_equal_split_share`` is the share of exports in codes whose split between
    groups had no finer trade weights (see :func:`sitc3_split`). ``commodity_export_share_low``
    / ``_high`` count the value of those codes wholly out of / into primary commodities; above
    :data:`~pipeline.metrics.product_concentration.MAX_EQUAL_SPLIT` of exports split so (the
    rule of the UNCTAD index) the share and its parts are left empty and ``commodity_note``
    says why (Jamaica 2017 from OTS HS4: heading 2818, aluminium oxide or not, is 42 % of its
    exports). ``commodity_dependent`` (share > :data:`DEPENDENCE_THRESHOLD`) is set only when
    both bounds fall on the same side of the threshold, else empty. Products absent from the
    split (no HS6 subheading, e.g. 9999 "commodities not specified") are left out of numerator
    and denominator.

    ``exports``: ``iso3, year, product_code, value_usd``; ``split`` from :func:`sitc3_split`.
    """
    by_group = split.pivot_table(index="product_code", columns="group", values="fraction", aggfunc="sum")
    by_group = by_group.reindex(columns=list(GROUPS)).fillna(0.0)
    by_group["equal"] = split.groupby("product_code")["equal_split_group"].first().astype(float)
    work = exports.merge(by_group, left_on="product_code", right_index=True)
    parts = {f"{g}_export_share": work[g] * work["value_usd"] for g in GROUPS}
    certain = (1.0 - work["equal"]) * work[list(GROUPS)].sum(axis=1) * work["value_usd"]
    work = work.assign(**parts, commodity_equal_split_share=work["equal"] * work["value_usd"],
                       commodity_export_share_low=certain)
    columns = [*parts, "commodity_equal_split_share", "commodity_export_share_low"]
    sums = work.groupby(["iso3", "year"], as_index=False)[[*columns, "value_usd"]].sum()
    sums = sums[sums["value_usd"] > 0]
    for column in columns:
        sums[column] = (sums[column] / sums["value_usd"]).clip(0.0, 1.0)
    sums["commodity_export_share"] = sums[list(parts)].sum(axis=1).clip(0.0, 1.0)
    sums["commodity_export_share_high"] = (sums["commodity_export_share_low"]
                                           + sums["commodity_equal_split_share"]).clip(0.0, 1.0)
    low, high = sums["commodity_export_share_low"], sums["commodity_export_share_high"]
    flag = pd.Series(pd.NA, index=sums.index, dtype="boolean")
    flag[low > DEPENDENCE_THRESHOLD] = True
    flag[high <= DEPENDENCE_THRESHOLD] = False
    sums["commodity_dependent"] = flag
    sums = withhold_equal_split(
        sums, "commodity_equal_split_share", SHARE_COLUMNS, "commodity_note",
        "share left empty: {share} of exports are in codes split between UNCTAD groups by equal parts (no finer "
        "world trade weights), above {limit}; the share lies between commodity_export_share_low and "
        "commodity_export_share_high")
    return sums[["iso3", "year", *SHARE_COLUMNS, *BOUND_COLUMNS, "commodity_dependent",
                 "commodity_equal_split_share", "commodity_note"]]
