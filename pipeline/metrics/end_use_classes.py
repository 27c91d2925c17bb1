"""End use of HS products: HS6 -> UN BEC Rev.4 -> the SNA basic classes of goods.

Definition followed: UN Statistics Division, *Classification by Broad Economic Categories,
Rev.4* (Statistical Papers Series M No. 53 Rev.4, 2002; correspondence re-issued 2016), section
"BEC and the basic classes of goods in the SNA":

=================  ==============================================================
SNA class          BEC Rev.4 categories
=================  ==============================================================
capital            41, 521
intermediate       111, 121, 21, 22, 31, 322, 42, 53
consumption        112, 122, 522, 61, 62, 63
not_classified     321 motor spirit, 51 passenger motor cars, 7 goods n.e.s.
=================  ==============================================================

The UN leaves 321, 51 and 7 outside the three classes (they serve households and industry
alike); they stay ``not_classified`` and are never assigned. ``32`` (processed fuels not split
into 321/322) is ``mixed``. The HS6 -> BEC table (``hs6_to_bec4_all_hs_versions.csv.gz``) holds
the UN HS -> BEC correlation tables for HS1996 onwards; its HS1992 rows are not a UN table: the R
``concordance`` package derived them by converting the UN's HS1996 table back to HS1992
(concordances/MANIFEST.md, "derived by the package"). Some HS6 codes correspond to two BEC codes:
193 in HS1992, of which 173 are n:n in the UN's HS1996 table under the same code and 20 only
through that conversion (an HS1992 code split into HS1996 codes of different BEC). Such an HS6
takes the SNA class its BEC codes share, or ``mixed`` when they differ (e.g. 010120 asses and
mules: BEC 111 food for industry and 41 capital goods).

A coarser code (HS2 chapter, HS4 heading) takes the class that all its HS6 subheadings share;
when they differ it is ``mixed`` in the lower bound (never an unweighted mean or a majority);
the classes it spans are kept, so a class's value has an upper bound too (:func:`code_classes`).
The apportioned estimate splits what world trade weights can split
(:mod:`pipeline.metrics.end_use_estimate`). Codes with no HS6 subheading in the HS version
(Atlas ``99`` unspecified, BACI's aggregated 271000 in HS2017) are ``unmapped``.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

HS_BEC_FILE = "concordances/hs6_to_bec4_all_hs_versions.csv.gz"
BEC_SNA_FILE = "concordances/bec4_to_sna_end_use.csv"
SNA_CLASSES = ("capital", "intermediate", "consumption")
UN_CLASSES = (*SNA_CLASSES, "not_classified")  # the classes the UN correspondence names
END_USES = (*UN_CLASSES, "mixed", "unmapped")


def _read(path: Path, columns: list[str]) -> pd.DataFrame:
    if not path.is_file():
        raise FileNotFoundError(f"BEC end-use concordance not found at {path}: set TRADE_BULK_DIR to a "
                                f"directory holding {HS_BEC_FILE} and {BEC_SNA_FILE}")
    frame = pd.read_csv(path, dtype=str)
    missing = sorted(set(columns) - set(frame.columns))
    if missing:
        raise ValueError(f"{path}: columns {missing} are missing (has {list(frame.columns)}); use the "
                         "original concordance file (see concordances/MANIFEST.md)")
    return frame[columns]


def load_bec_sna(path: Path | str) -> pd.Series:
    """BEC Rev.4 code (3-digit padded: 41 -> ``410``) -> the SNA classes it falls in (a frozenset).

    ``sna_end_use`` in ``bec4_to_sna_end_use.csv`` is one of capital, intermediate, consumption,
    not_classified, or ``mixed: ...`` naming the classes it spans (BEC 32 unsplit: 321
    not_classified / 322 intermediate). Raises ``ValueError`` naming the file and the rows when a
    row names no class, or when a BEC code is listed twice.
    """
    path = Path(path)
    table = _read(path, ["bec4_code_3d_padded", "sna_end_use"])
    text = table["sna_end_use"].fillna("").str.strip()
    named = text.map(lambda t: frozenset(c for c in UN_CLASSES if re.search(rf"\b{c}\b", t)))
    # a row is one class word exactly, or "mixed: ..." naming two or more classes
    ok = text.isin(UN_CLASSES) | (text.str.startswith("mixed") & (named.map(len) >= 2))
    bad = table[~ok]
    if len(bad):
        raise ValueError(f"{path}: rows {bad.index.tolist()} give sna_end_use {bad['sna_end_use'].tolist()}; "
                         f"use one of {list(UN_CLASSES)} (or 'mixed: ...' naming them) as in the UN BEC Rev.4 "
                         "SNA correspondence")
    twice = table["bec4_code_3d_padded"][table["bec4_code_3d_padded"].duplicated()]
    if len(twice):
        raise ValueError(f"{path}: BEC codes {sorted(twice.unique())} are listed twice; keep one row per BEC code")
    return pd.Series(named.to_numpy(), index=table["bec4_code_3d_padded"], name="sna_classes")


def load_hs6_classes(hs_bec_path: Path | str, bec_sna_path: Path | str, hs_version: str) -> pd.Series:
    """The SNA classes (frozenset) of every HS6 subheading of ``hs_version`` (``"HS1992"`` ...).

    An HS6 mapped to several BEC codes (the UN's n:n correlation rows) gets the union of their
    classes. Indexed by hs6.

    Raises ``ValueError`` naming the file, the codes and the fix when a row repeats an
    (hs6, BEC) pair, an hs6 is not six digits, a BEC code is blank, or a BEC code is missing
    from the SNA table; and when the HS version is absent.
    """
    hs_bec_path, bec_sna_path = Path(hs_bec_path), Path(bec_sna_path)
    rows = _read(hs_bec_path, ["hs_version", "hs6", "bec4_3d"])
    rows = rows[rows["hs_version"] == hs_version]
    if rows.empty:
        raise ValueError(f"{hs_bec_path}: no rows for {hs_version}; versions present: "
                         f"{sorted(_read(hs_bec_path, ['hs_version'])['hs_version'].unique())}")
    bad = rows[~rows["hs6"].fillna("").str.fullmatch(r"\d{6}") | rows["bec4_3d"].isna()]
    if len(bad):
        raise ValueError(f"{hs_bec_path}: {hs_version} rows with a malformed hs6 or no BEC code: "
                         f"{bad[['hs6', 'bec4_3d']].head(5).to_dict('records')}; hs6 must be six digits "
                         "(read with dtype=str) and every row needs a BEC code")
    repeated = rows[rows.duplicated(["hs6", "bec4_3d"])]
    if len(repeated):
        raise ValueError(f"{hs_bec_path}: {hs_version} maps HS6 {sorted(repeated['hs6'].unique())[:10]} to the "
                         "same BEC code on several rows; keep one row per (hs6, BEC) pair")
    sna = load_bec_sna(bec_sna_path)
    unknown = rows[~rows["bec4_3d"].isin(sna.index)]
    if len(unknown):
        raise ValueError(
            f"{hs_bec_path}: BEC codes {sorted(unknown['bec4_3d'].unique())} (HS6 "
            f"{sorted(unknown['hs6'].unique())[:10]}) are not in {bec_sna_path}; add each with its SNA class "
            "from the UN BEC Rev.4 manual, or correct the concordance row")
    classes = rows.assign(sna=rows["bec4_3d"].map(sna)).groupby("hs6")["sna"]
    return classes.agg(lambda sets: frozenset().union(*sets)).rename("sna_classes")


def end_use_label(classes: frozenset) -> str:
    """One class -> that class; several -> ``mixed``; none (no HS6 under the code) -> ``unmapped``."""
    return next(iter(classes)) if len(classes) == 1 else ("mixed" if classes else "unmapped")


def code_classes(codes: pd.Series, hs6_classes: pd.Series) -> pd.Series:
    """The SNA classes of HS codes of any length (2, 4 or 6 digits), indexed by code.

    A code spans the union of the classes of the HS6 subheadings under it (an HS6 code its own);
    the empty set when none exists in the HS version.
    """
    hs6 = pd.DataFrame({"hs6": hs6_classes.index, "classes": hs6_classes.to_numpy()})
    out = {}
    unique = pd.Series(codes.astype(str).unique())
    for length in sorted(unique.str.len().unique()):
        known = hs6.groupby(hs6["hs6"].str[:length])["classes"].agg(lambda sets: frozenset().union(*sets))
        out.update({c: known.get(c, frozenset()) for c in unique[unique.str.len() == length]})
    return pd.Series(out, name="sna_classes", dtype=object)
