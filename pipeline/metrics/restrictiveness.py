"""Services trade restrictiveness (OECD STRI): ranks, group averages and TiSA-style sectors.

Input: the canonical ``services_restrictiveness`` table (``iso3, year, index_id, sector_id,
policy_area, value``; 0 = open .. 1 = closed, the OECD's values).

- Rank (:func:`restrictiveness_profile`): within one year, index, sector and policy area, the
  economies covered are ranked by value, ``rank = 1 + #{economies with a strictly higher value}``
  (1 = most restrictive; ties share the best rank, pandas ``rank(method="min",
  ascending=False)``), out of ``economies_ranked``.
- Group average: the simple (unweighted) mean of the values of the group's members covered that
  year, membership of the year by the 1 July rule (:func:`pipeline.reference.groups.membership_panel`),
  ``avg_g = (1/|C|) sum_{c in C} v_c`` with ``C`` = members of ``g`` with a value. ``members_covered
  = |C|`` and ``group_members`` (members that year) say how complete it is.
- TiSA-style sectors (:func:`stri_by_services_sector`): the mean composite over the STRI sectors
  that ``services_sectors.yaml`` maps to the sector (``stri:``) and that the index covers for the
  country and year; the MFN sectoral index where it covers the country-year-sector, else the
  intra-EEA index (``stri_index`` says which).

Only economies count (:meth:`CountryCodes.is_economy`): aggregates, reporting categories and
composite reporting codes (``BLX`` ...; :func:`composite_parts`, which groups hold when all their
constituents are members) are never ranked and never averaged.
"""
from __future__ import annotations

import pandas as pd

from pipeline.reference.codes import country_codes
from pipeline.reference.composites import composite_parts
from pipeline.reference.services_sectors import concordance

GROUPS = ("BRICS", "TISA", "OECD", "EU")  # the groups averaged (ids of core__country_groups)
CELL = ["year", "index_id", "sector_id", "policy_area"]  # one ranking, one average
SECTOR_INDICES = ("sectoral", "intra_eea")  # preference order for services_exposure.stri
PROFILE_COLUMNS = ["unit", "unit_type", "iso3", "year", "index_id", "sector_id", "policy_area", "value",
                   "rank_most_restrictive", "economies_ranked", "members_covered", "group_members", "source"]


def economies_only(codes: pd.Series) -> pd.Series:
    """True for codes that count as a country here: economies that are no composite code."""
    return country_codes().is_economy(codes) & ~codes.isin(list(composite_parts()))


def restrictiveness_profile(stri: pd.DataFrame, membership: pd.DataFrame,
                            groups: tuple[str, ...] = GROUPS) -> pd.DataFrame:
    """Economy rows (value, rank among the economies covered) and group-average rows (module
    docstring), columns :data:`PROFILE_COLUMNS`. ``membership`` is ``year, group_id, iso3``."""
    rows = stri[economies_only(stri["iso3"])].copy()
    by_cell = rows.groupby(CELL, observed=True)["value"]
    rows["rank_most_restrictive"] = by_cell.rank(method="min", ascending=False).astype("int64")
    rows["economies_ranked"] = by_cell.transform("count")
    economy = rows.assign(unit=rows["iso3"], unit_type="economy")
    members = membership[membership["group_id"].isin(groups) & economies_only(membership["iso3"])]
    size = members.groupby(["year", "group_id"]).size().rename("group_members").reset_index()
    tagged = rows.merge(members, on=["year", "iso3"])
    averages = (tagged.groupby([*CELL, "group_id"], observed=True)
                .agg(value=("value", "mean"), members_covered=("iso3", "nunique"),
                     economies_ranked=("economies_ranked", "first"),
                     source=("source", lambda s: ", ".join(sorted(set(s)))))
                .reset_index().merge(size, on=["year", "group_id"], how="left"))
    group = averages.assign(unit=averages["group_id"], unit_type="group", iso3=None)
    counts = {c: "Int64" for c in ("rank_most_restrictive", "economies_ranked", "members_covered", "group_members")}
    # Typed alike before the concat: each part lacks the other's columns (pandas warns on all-NA parts).
    parts = [p.reindex(columns=PROFILE_COLUMNS).astype({**counts, "iso3": "string"}) for p in (economy, group)]
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["year", "index_id", "sector_id", "policy_area", "unit_type", "unit"]).reset_index(drop=True)


def stri_by_services_sector(stri: pd.DataFrame) -> pd.DataFrame:
    """Per economy, year and TiSA-style sector: ``stri`` (mean composite of the sector's STRI
    sectors the index covers) and ``stri_index`` (sectoral, else intra_eea)."""
    mapping = concordance("stri")
    tisa = dict(zip(mapping["code"], mapping["sector_id"]))
    rows = stri[(stri["policy_area"] == "composite") & stri["index_id"].isin(SECTOR_INDICES)
                & economies_only(stri["iso3"])]
    rows = rows.assign(services_sector=rows["sector_id"].map(tisa)).dropna(subset=["services_sector"])
    means = (rows.groupby(["iso3", "year", "services_sector", "index_id"], observed=True)["value"].mean()
             .rename("stri").reset_index().rename(columns={"services_sector": "sector_id", "index_id": "stri_index"}))
    preference = means["stri_index"].map({k: i for i, k in enumerate(SECTOR_INDICES)})
    best = means.assign(_p=preference).sort_values("_p").drop_duplicates(["iso3", "year", "sector_id"])
    return best.drop(columns="_p").sort_values(["year", "iso3", "sector_id"]).reset_index(drop=True)


def digital_composite(stri: pd.DataFrame) -> pd.DataFrame:
    """``iso3, year, digital_stri``: the Digital STRI composite of each economy and year."""
    rows = stri[(stri["index_id"] == "digital") & (stri["policy_area"] == "composite")
                & economies_only(stri["iso3"])]
    return rows[["iso3", "year", "value"]].rename(columns={"value": "digital_stri"}).reset_index(drop=True)
