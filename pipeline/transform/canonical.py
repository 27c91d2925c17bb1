"""Finishing steps shared by every source of a canonical table.

Each ``finalize_*`` takes the frames read from all inputs of one table (already renamed to
canonical columns by the source) and returns one frame ready for the contract gate: codes
rewritten from aliases (``ROM`` -> ``ROU``), units attached, aggregates flagged.
"""
from __future__ import annotations

import re

import pandas as pd

from pipeline.reference.codes import country_codes
from pipeline.reference.stri import policy_area_of

# World Bank indicator codes end in a suffix that states the unit (WDI naming convention).
_WDI_UNIT_RULES = [
    (r"\.CD(\.WT|\.WD)?$", "USD"),
    (r"\.KD$", "USD_constant_2015"),
    (r"\.KD\.ZG$", "pct_growth"),
    (r"\.ZG$", "pct_growth"),
    (r"\.ZS(\.UN)?$", "pct"),
    (r"^SP\.POP\.TOTL$", "persons"),
    (r"^PA\.NUS\.FCRF$", "LCU_per_USD"),
]


def wdi_unit(indicator_code: str) -> str:
    """Unit of a World Bank indicator from its code, ``unknown`` if the code says nothing."""
    for pattern, unit in _WDI_UNIT_RULES:
        if re.search(pattern, indicator_code):
            return unit
    return "unknown"


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def finalize_bilateral_goods_trade(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return bilateral_codes(_concat(frames))


def bilateral_codes(frame: pd.DataFrame) -> pd.DataFrame:
    """The row-wise step of :func:`finalize_bilateral_goods_trade` (ISO3 aliases rewritten), for
    one input at a time (:mod:`pipeline.transform.staging`); a column the frame lacks is left to
    the contract gate."""
    codes = country_codes()
    for col in ("reporter_iso3", "partner_iso3"):
        if col in frame:
            frame[col] = codes.canonical(frame[col])
    return frame


def finalize_macro_indicators(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Long format: a missing observation is an absent row. The World Bank API sends every
    economy-year with ``"value": null`` where it has no data; those rows are dropped here (the
    landed answer keeps them)."""
    frame = _concat(frames)
    frame = frame[frame["value"].notna()].reset_index(drop=True)
    codes = country_codes()
    frame["iso3"] = codes.canonical(frame["iso3"])
    if "unit" not in frame:
        frame["unit"] = frame["indicator_code"].map(
            {c: wdi_unit(c) for c in frame["indicator_code"].dropna().unique()}
        )
    frame["is_aggregate"] = codes.is_aggregate(frame["iso3"])
    return frame


def finalize_gravity_panel(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frame = _concat(frames)
    codes = country_codes()
    for col in ("exporter_iso3", "importer_iso3"):
        frame[col] = codes.canonical(frame[col])
    frame["panel_id"] = frame["source"]
    return frame


def finalize_input_output(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frame = _concat(frames)
    codes = country_codes()
    for col in ("row_iso3", "col_iso3"):
        frame[col] = codes.canonical(frame[col])
    return frame


def _finalize_oecd(frames: list[pd.DataFrame], value: str, code_columns: tuple[str, ...], source: str) -> pd.DataFrame:
    """OECD tables in long form: an observation without a value is an absent row (the landed
    answer keeps it); area codes rewritten from aliases; ``source`` names the dataflow."""
    frame = _concat(frames)
    if frame.empty:
        return frame
    frame = frame[frame[value].notna()].reset_index(drop=True)
    codes = country_codes()
    for col in code_columns:
        frame[col] = codes.canonical(frame[col])
    return frame.assign(source=source)


def finalize_services_trade(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return _finalize_oecd(frames, "value_usd", ("reporter_iso3", "partner_iso3"), "oecd_batis")


def finalize_value_added_trade(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return _finalize_oecd(frames, "value", ("iso3", "partner_iso3"), "oecd_tiva")


def finalize_services_restrictiveness(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """STRI rows of every input (bulk files and OECD answers) in the canonical layout: the OECD's
    MEASURE / CLAS code (``measure_code``) becomes the index's ``policy_area`` through
    ``pipeline/reference/stri.yaml``; an undeclared code, or a missing column, is left for the
    contract gate to count and name (never dropped). Kosovo's OECD code XKV becomes XKX. An
    observation without a value is an absent row (a landed API answer keeps it); an input without
    a value column at all (a renamed column) keeps its rows, empty, for the gate's not-null rule."""
    frames = [f if "source" in f else f.assign(source="oecd_api") for f in frames]  # bulk rows name their dataset
    frame = _concat([f[f["value"].notna()] if "value" in f else f for f in frames])
    # An empty answer (nothing revised since updatedAfter) keeps its columns, policy_area included.
    if {"index_id", "measure_code"} <= set(frame.columns):
        frame["policy_area"] = policy_area_of(frame["index_id"], frame["measure_code"])
    frame = frame.drop(columns=["measure_code"], errors="ignore")
    if "iso3" in frame:
        frame["iso3"] = country_codes().canonical(frame["iso3"])
    return frame
