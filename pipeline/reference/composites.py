"""Group memberships of composite and historical reporting codes (BLX, SUN, YUG, CSK, SCG, ...).

Some sources report a union of economies under one code: the Comtrade/DTA panel holds
Belgium and Luxembourg only as ``BLX``, in every year up to 2016. ``composites:`` in
``country_groups.yaml`` lists each such code with its constituents. Rule: a composite code is
a member of a group on a date when EVERY constituent is a member on that date, so its spells
are the intersection of its constituents' spells (BLX is in the EU from 1958, in the OECD from
1961-12-07 when Luxembourg deposited). Where constituents differ (a part of a union in a bloc,
the rest not) the composite is in none of it: its trade cannot be split, and counting all of
it would overstate the bloc.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

_FAR = pd.Timestamp.max  # an open end (NaT) compared as "no end yet"
_BUILTIN = Path(__file__).with_name("country_groups.yaml")


@lru_cache(maxsize=1)
def _builtin_composites() -> dict[str, Any]:
    """The ``composites:`` section of the built-in groups file, read once."""
    return (yaml.safe_load(_BUILTIN.read_text()) or {}).get("composites") or {}


@lru_cache(maxsize=1)
def composite_parts() -> dict[str, tuple[str, ...]]:
    """``{composite code: constituents}`` of the built-in ``composites:`` (``BLX: (BEL, LUX)``):
    :func:`pipeline.metrics.goods_sources.selected_flows` uses it so that one economy is never
    published twice in a year (as ``BLX`` from one source and as ``BEL``/``LUX`` from another)."""
    return {str(code): tuple(str(p) for p in entry["constituents"])
            for code, entry in _builtin_composites().items()}


@lru_cache(maxsize=1)
def composite_years() -> dict[str, tuple[int | None, int | None]]:
    """``{composite code: (first year, last year)}`` the code stands for its constituents, from the
    ``start``/``end`` dates of the built-in ``composites:`` (``ANT``: (None, 2010), dissolved on
    2010-10-10; ``BLX``: (None, None), no end)."""
    return {str(code): tuple(pd.Timestamp(entry[k]).year if entry.get(k) else None for k in ("start", "end"))
            for code, entry in _builtin_composites().items()}


def inside_own_years(codes: pd.Series, years: pd.Series) -> pd.Series:
    """True where a composite code's year lies within the dates it stands for its constituents
    (ANT in 2010: it reported until October, beside Curacao's first rows); False elsewhere,
    and for codes without dates (BLX)."""
    windows = composite_years()
    first = codes.map(lambda c: windows.get(c, (None, None))[0]).astype("float64")
    last = codes.map(lambda c: windows.get(c, (None, None))[1]).astype("float64")
    years = years.astype("float64")
    dated = first.notna() | last.notna()
    after_start = first.isna() | (years >= first)
    before_end = last.isna() | (years <= last)
    return dated & after_start & before_end


def without_covered_composites(frame: pd.DataFrame, code: str = "iso3",
                               by: tuple[str, ...] = ("year",)) -> pd.DataFrame:
    """``frame`` without the rows of a composite code (:func:`composite_parts`) whose
    constituents have rows of their own with the same ``by`` values, outside the years the code
    stands for them (issue 12: one economy is never published twice; Atlas still reports
    Netherlands Antilles, ``ANT``, in 2011 and 2018 beside Curacao and Sint Maarten; ANT 2010,
    before its dissolution, stays). A composite alone in its year (``BLX`` before 1999) stays.
    Inputs of a metric keep the composite's trade (it is real trade, in world totals); only the
    published rows of the composite as a unit go."""
    parts = composite_parts()
    codes = frame[code].astype(str)
    mask = codes.isin(list(parts))
    if not mask.any():
        return frame
    keys = list(by)
    present = frame.loc[~mask, [code, *keys]].astype({code: str}).drop_duplicates()
    links = pd.DataFrame([(c, part) for c, ps in parts.items() for part in ps], columns=["_composite", code])
    covered = present.merge(links, on=code)[["_composite", *keys]].drop_duplicates().assign(_covered=True)
    rows = frame.loc[mask, keys].assign(_composite=codes[mask])
    hit = rows.merge(covered, on=["_composite", *keys], how="left")["_covered"].notna().to_numpy()
    hit &= ~inside_own_years(codes[mask], frame.loc[mask, "year"]).to_numpy()
    drop = pd.Series(False, index=frame.index)
    drop[frame.index[mask][hit]] = True
    return frame[~drop]


def read_composites(doc: dict[str, Any], path: Path, check_code, to_date) -> dict[str, dict[str, Any]]:
    """``composites:`` of one group file, validated: ``{code: {parts, start, end}}``.

    ``check_code(code, where)`` raises for a code that is no declared economy; ``to_date(value,
    where)`` parses a date. ``start``/``end`` (optional, inclusive) bound the dates the code
    stands for its constituents.
    """
    from pipeline.reference.groups import GroupDefinitionError

    spec = doc.get("composites") or {}
    if not isinstance(spec, dict):
        raise GroupDefinitionError(f"{path}: `composites:` must map a code to {{constituents: [...]}}")
    out = {}
    for code, entry in spec.items():
        where = f"{path}: composite {code}"
        parts = entry.get("constituents") if isinstance(entry, dict) else None
        if not isinstance(parts, list) or len(parts) < 2:
            raise GroupDefinitionError(f"{where}: needs `constituents:` with two or more codes ({entry!r})")
        check_code(code, where)
        for part in parts:
            check_code(part, f"{where}, constituent")
        bounds = [to_date(entry[k], where, k) if entry.get(k) not in (None, "") else pd.NaT
                  for k in ("start", "end")]
        out[str(code)] = {"parts": [str(p) for p in parts], "start": bounds[0], "end": bounds[1]}
    return out


def _intersect(a: list[tuple], b: list[tuple]) -> list[tuple]:
    """Pairwise intersection of two lists of inclusive (start, end) spells; end NaT = open."""
    out = []
    for a_start, a_end in a:
        for b_start, b_end in b:
            start = max(a_start, b_start)
            end = min(_FAR if pd.isna(a_end) else a_end, _FAR if pd.isna(b_end) else b_end)
            if end >= start:
                out.append((start, pd.NaT if end == _FAR else end))
    return out


def composite_rows(spells: pd.DataFrame, composites: dict[str, dict[str, Any]],
                   notes: dict[str, str]) -> pd.DataFrame:
    """Spells of every composite code in every group (columns of ``spells``: group_id, iso3,
    start_date, end_date, note), by the all-constituents rule of the module docstring."""
    rows = []
    for group_id, members in spells.groupby("group_id", sort=False):
        by_code = {code: list(zip(g["start_date"], g["end_date"])) for code, g in members.groupby("iso3")}
        for code, spec in composites.items():
            parts = spec["parts"]
            if code in by_code or not all(p in by_code for p in parts):
                continue  # a group may list the composite itself; otherwise all parts must be in
            common = [(pd.Timestamp.min if pd.isna(spec["start"]) else spec["start"], spec["end"])]
            for part in parts:
                common = _intersect(common, by_code[part])
            note = "; ".join(p for p in (notes.get(group_id, ""),
                                         f"composite code of {', '.join(parts)}: a member while all of them are")
                             if p)
            rows += [{"group_id": group_id, "iso3": code, "start_date": s, "end_date": e, "note": note}
                     for s, e in common]
    return pd.DataFrame(rows, columns=list(spells.columns))
