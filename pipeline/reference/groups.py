"""Country groups (EU, TTIP, TISA, BRICS, OECD, G7, user groups) as dated membership spells.

``country_groups.yaml`` beside this module holds the built-in groups; a user file in the same
format adds groups or replaces built-in ones. Membership for a year follows the mid-year rule
documented in :func:`members_in_year`.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from pipeline.reference.codes import CODES_FILE, country_codes
from pipeline.reference.composites import composite_rows, read_composites

BUILTIN_GROUPS = Path(__file__).with_name("country_groups.yaml")
GROUPS_COLUMNS = ["group_id", "iso3", "start_date", "end_date", "note"]
_ISO3 = re.compile(r"[A-Z]{3}")


class GroupDefinitionError(ValueError):
    """A group file is malformed; the message names the file, the group and the entry."""


class _TextDates(yaml.SafeLoader):
    """YAML without implicit timestamps: ``2019-13-45`` stays text for :func:`_date` to refuse
    with the file, group and member named, instead of failing inside the YAML parser."""


_TextDates.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# The years the pipeline handles (the contracts' year rule), well inside pandas' datetime range.
EARLIEST, LATEST = date(1900, 1, 1), date(2100, 12, 31)


def _date(value: Any, where: str, key: str = "date") -> pd.Timestamp:
    """An ISO 8601 calendar date (``YYYY-MM-DD``) between :data:`EARLIEST` and :data:`LATEST`.

    Only ISO dates: ``05/06/2019`` is 5 June in most of the world and 6 May in the US, so a date
    written any other way is refused rather than guessed."""
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        text = str(value).strip()
        if not _ISO_DATE.fullmatch(text):
            raise GroupDefinitionError(f"{where}: {key} {value!r} is not an ISO date: write YYYY-MM-DD "
                                       "(e.g. 2019-06-05 for 5 June 2019)")
        try:
            value = date.fromisoformat(text)
        except ValueError as exc:
            raise GroupDefinitionError(f"{where}: {key} {text!r} is not a calendar date ({exc}): "
                                       "write YYYY-MM-DD") from None
    if not EARLIEST <= value <= LATEST:
        raise GroupDefinitionError(
            f"{where}: {key} {value.isoformat()} is outside {EARLIEST}..{LATEST}, the years the "
            "pipeline handles" + (": leave `end` out for a membership that has not ended" if key == "end" else ""))
    return pd.Timestamp(value)


def _check_code(code: Any, where: str) -> None:
    """A group holds economies: current ISO 3166-1 alpha-3 or a code declared in country_codes.yaml."""
    if not isinstance(code, str) or not _ISO3.fullmatch(code):
        raise GroupDefinitionError(f"{where}: iso3 {code!r} is not three uppercase letters")
    codes = country_codes()
    if code in codes.aliases:
        raise GroupDefinitionError(f"{where}: {code} is an old code of {codes.aliases[code]}: write {codes.aliases[code]}")
    if code not in codes.valid:
        raise GroupDefinitionError(
            f"{where}: {code} is neither an ISO 3166-1 alpha-3 code nor declared in {CODES_FILE}: use the "
            "country's ISO code (e.g. DEU, not GER), or declare a historical code under `non_iso` there")
    if code in codes.aggregates or code in codes.not_economies:
        raise GroupDefinitionError(f"{where}: {code} ({codes.name(code)}) is no economy: a group holds "
                                   "economies only; list its member countries instead")


def _read(path: Path) -> dict[str, dict[str, Any]]:
    if not path.is_file():
        raise GroupDefinitionError(f"{path}: country group file does not exist")
    try:
        doc = yaml.load(path.read_text(), Loader=_TextDates)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as exc:
        raise GroupDefinitionError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("groups"), dict):
        raise GroupDefinitionError(f"{path}: expected a top-level `groups:` mapping")
    for group_id, spec in doc["groups"].items():
        if not isinstance(spec, dict) or not isinstance(spec.get("members", []), list):
            raise GroupDefinitionError(
                f"{path}: group {group_id}: expected a mapping with a `members:` list")
    return doc


def _direct_spells(group_id: str, spec: dict[str, Any], path: Path) -> list[dict[str, Any]]:
    """The group's own ``members`` entries, validated."""
    spells = []
    for i, member in enumerate(spec.get("members") or [], start=1):
        where = f"{path}: group {group_id}, member #{i}"
        if not isinstance(member, dict) or "iso3" not in member or member.get("start") is None:
            raise GroupDefinitionError(f"{where}: every member needs `iso3` and `start` ({member!r})")
        iso3 = member["iso3"]
        _check_code(iso3, where)
        where = f"{where} ({iso3})"
        start = _date(member["start"], where, "start")
        end = pd.NaT if member.get("end") in (None, "") else _date(member["end"], where, "end")
        if end is not pd.NaT and end < start:
            raise GroupDefinitionError(f"{where}: end {end.date()} is before start {start.date()}")
        spells.append({"iso3": iso3, "start_date": start, "end_date": end,
                       "member_note": str(member.get("note") or "").strip(), "via": ""})
    return spells


def _clip(spell: dict[str, Any], low: pd.Timestamp, high: pd.Timestamp, via: str) -> dict | None:
    """``spell`` restricted to ``[low, high]`` (NaT = unbounded), or None when they don't meet."""
    start = spell["start_date"] if low is pd.NaT else max(spell["start_date"], low)
    end = spell["end_date"]
    if high is not pd.NaT:
        end = high if end is pd.NaT else min(end, high)
    if end is not pd.NaT and end < start:
        return None
    return {**spell, "start_date": start, "end_date": end, "via": spell["via"] or via}


def _check_overlaps(group_id: str, spells: list[dict[str, Any]], path: Path) -> None:
    ordered = sorted(spells, key=lambda s: (s["iso3"], s["start_date"]))
    for prev, cur in zip(ordered, ordered[1:]):
        if prev["iso3"] == cur["iso3"] and (prev["end_date"] is pd.NaT
                                            or prev["end_date"] >= cur["start_date"]):
            raise GroupDefinitionError(
                f"{path}: group {group_id} has overlapping spells for {cur['iso3']} (one starts "
                f"{cur['start_date'].date()} before the previous one ends): merge them")


def load_country_groups(extra_yaml: str | Path | None = None) -> pd.DataFrame:
    """Load the built-in country groups and, optionally, a user file of more groups.

    Parameters
    ----------
    extra_yaml : str or Path, optional
        A YAML file in the format of ``country_groups.yaml``. Its groups are added to the
        built-in ones; a group with the id of a built-in group REPLACES that group entirely.
        ``include_members_of`` refers to the merged set, so a user ``EU`` also changes TTIP/TISA.

    Returns
    -------
    pandas.DataFrame
        One row per membership spell, columns :data:`GROUPS_COLUMNS`; composite codes
        (``composites:``, e.g. ``BLX``) get the spells all their constituents share
        (:mod:`pipeline.reference.composites`): ``start_date`` and
        ``end_date`` as ``datetime64[ns]`` (``end_date`` is the last day of membership, NaT while
        still a member), ``note`` the group note joined with the member's note. A group with
        ``include_members_of: X`` also holds X's spells clipped to its own ``start``/``end``.
        Sorted by group_id, iso3, start_date.

    Raises
    ------
    GroupDefinitionError
        Naming the file, group and entry, when the file lacks ``groups``, a member lacks ``iso3``
        or ``start``, an iso3 is not three uppercase letters or is no declared economy (``XXX``,
        an aggregate such as ``WLD``, ``UNS``; aliases such as ``ROM`` name their current code), a date is invalid, ``end`` precedes
        ``start``, spells of one country in one group overlap, or ``include_members_of`` names an
        unknown group (or forms a cycle).
    """
    paths = [BUILTIN_GROUPS] + ([Path(extra_yaml)] if extra_yaml else [])
    specs: dict[str, tuple[Path, dict[str, Any]]] = {}
    composites: dict[str, dict[str, Any]] = {}
    for path in paths:
        doc = _read(path)
        specs.update({g: (path, spec) for g, spec in doc["groups"].items()})
        composites.update(read_composites(doc, path, _check_code, _date))
    resolved: dict[str, list[dict[str, Any]]] = {}

    def resolve(group_id: str, chain: tuple[str, ...]) -> list[dict[str, Any]]:
        if group_id in resolved:
            return resolved[group_id]
        path, spec = specs[group_id]
        spells = _direct_spells(group_id, spec, path)
        included = spec.get("include_members_of")
        if included:
            if not isinstance(included, str) or included not in specs:
                raise GroupDefinitionError(
                    f"{path}: group {group_id}: include_members_of names unknown group {included!r}")
            if included in chain:
                raise GroupDefinitionError(f"{path}: group {group_id}: include_members_of cycle "
                                           f"{' -> '.join((*chain, included))}")
            low, high = (pd.NaT if spec.get(key) in (None, "")
                         else _date(spec[key], f"{path}: group {group_id}", key)
                         for key in ("start", "end"))
            clipped = (_clip(s, low, high, included) for s in resolve(included, (*chain, included)))
            spells += [s for s in clipped if s is not None]
        _check_overlaps(group_id, spells, path)
        resolved[group_id] = spells
        return spells

    rows = []
    for group_id, (_, spec) in specs.items():
        group_note = " ".join(str(spec.get("note") or "").split())
        for spell in resolve(group_id, (group_id,)):
            parts = [group_note, f"member through {spell['via']}" if spell["via"] else "",
                     spell["member_note"]]
            rows.append({"group_id": str(group_id), "iso3": spell["iso3"],
                         "start_date": spell["start_date"], "end_date": spell["end_date"],
                         "note": "; ".join(p.rstrip(".") for p in parts if p)})
    frame = pd.DataFrame(rows, columns=GROUPS_COLUMNS)
    for column in ("start_date", "end_date"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
    notes = {g: " ".join(str(spec.get("note") or "").split()).rstrip(".") for g, (_, spec) in specs.items()}
    extra = composite_rows(frame, composites, notes)
    if len(extra):
        frame = pd.concat([frame, extra.astype(frame.dtypes.to_dict())], ignore_index=True)
    frame["note"] = frame["note"].astype(str)
    return frame.sort_values(["group_id", "iso3", "start_date"]).reset_index(drop=True)


def membership_panel(groups: pd.DataFrame, years: Iterable[int]) -> pd.DataFrame:
    """Members of every group in each of ``years``, by the 1 July rule of :func:`members_in_year`.

    Parameters
    ----------
    groups : pandas.DataFrame
        Spells as returned by :func:`load_country_groups` (dates may be datetimes or dates).
    years : iterable of int
        The years to evaluate.

    Returns
    -------
    pandas.DataFrame
        Columns ``year, group_id, iso3``, one row per member of a group in a year, sorted.
    """
    spells = groups[["group_id", "iso3"]].assign(
        start_date=pd.to_datetime(groups["start_date"]), end_date=pd.to_datetime(groups["end_date"]))
    year_frame = pd.DataFrame({"year": pd.Series(list(years), dtype="int64")})
    year_frame["mid_year"] = pd.to_datetime(dict(year=year_frame["year"], month=7, day=1))
    grid = spells.merge(year_frame, how="cross")
    member = (grid["start_date"] <= grid["mid_year"]) & (
        grid["end_date"].isna() | (grid["end_date"] >= grid["mid_year"]))
    out = grid.loc[member, ["year", "group_id", "iso3"]].drop_duplicates()
    return out.sort_values(["year", "group_id", "iso3"]).reset_index(drop=True)


def members_in_year(groups: pd.DataFrame, year: int) -> pd.DataFrame:
    """Members of every group in ``year``.

    Rule (mid-year convention): a country is a member of a group in year ``Y`` if and only if
    one of its spells covers 1 July of ``Y``, i.e. ``start_date <= Y-07-01`` and (``end_date``
    is NaT or ``end_date >= Y-07-01``). Joining after 1 July counts from the next year; leaving
    before 1 July ends membership that year. So the UK (left the EU 2020-01-31) is in the EU
    and TTIP in 2019 but not in 2020; TTIP starts 2013-07-08, so no one is in TTIP in 2013;
    Croatia (joined 2013-07-01) is in the EU in 2013; South Africa (2010-12-24) is in BRICS
    from 2011; Egypt (2024-01-01) from 2024.

    Parameters
    ----------
    groups : pandas.DataFrame
        Spells as returned by :func:`load_country_groups`.
    year : int
        The year to evaluate.

    Returns
    -------
    pandas.DataFrame
        Columns ``group_id, iso3``, one row per member, sorted.
    """
    return membership_panel(groups, [year])[["group_id", "iso3"]]


def members_on_date(groups: pd.DataFrame, date) -> pd.DataFrame:
    """Members of every group on one ``date`` (a spell covers it: ``start_date <= date`` and
    ``end_date`` is NaT or ``>= date``). :func:`members_in_year` is this rule on 1 July; a
    date such as 2025-01-05 (before Indonesia joined BRICS on 2025-01-06) needs this one.

    Returns
    -------
    pandas.DataFrame
        Columns ``group_id, iso3``, one row per member, sorted.
    """
    day = pd.Timestamp(date)
    start, end = pd.to_datetime(groups["start_date"]), pd.to_datetime(groups["end_date"])
    member = (start <= day) & (end.isna() | (end >= day))
    out = groups.loc[member, ["group_id", "iso3"]].drop_duplicates()
    return out.sort_values(["group_id", "iso3"]).reset_index(drop=True)
