"""Tidy tables of the TiVA indicators of :mod:`pipeline.metrics.value_chains`, every year.

* :func:`value_chain_tables` -> country totals, country-industry detail, partner detail and
  group detail (membership of the year, from ``pipeline.reference.groups.membership_panel``).

All values in USD (the canonical ``input_output`` table is already in USD), percentages 0..100,
shares 0..1.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.metrics.io_tables import MRIO, mrio_from_long
from pipeline.metrics.value_chains import ValueChains, calc_value_chains, participation_pct


def _country_frame(mrio: MRIO, vc: ValueChains) -> pd.DataFrame:
    region = mrio.region_of_row
    n_r = len(mrio.regions)
    sums = {k: np.bincount(region, weights=getattr(vc, k), minlength=n_r)
            for k in ("exgr", "dva", "fva", "dvx", "value_added")}
    frame = pd.DataFrame({
        "iso3": mrio.regions, "year": mrio.year,
        "exgr_usd": sums["exgr"], "dva_usd": sums["dva"], "fva_usd": sums["fva"],
        "dvx_usd": sums["dvx"],
        **participation_pct(sums["fva"], sums["dvx"], sums["exgr"]),
        "value_added_usd": sums["value_added"], "final_demand_usd": vc.final_demand,
    })
    return frame


def _industry_frame(mrio: MRIO, vc: ValueChains) -> pd.DataFrame:
    return pd.DataFrame({
        "iso3": np.asarray(mrio.regions)[mrio.region_of_row],
        "sector": np.tile(mrio.sectors, len(mrio.regions)),
        "year": mrio.year,
        "exgr_usd": vc.exgr, "dva_usd": vc.dva, "fva_usd": vc.fva, "dvx_usd": vc.dvx,
        **participation_pct(vc.fva, vc.dvx, vc.exgr),
    })


def _partner_frame(mrio: MRIO, vc: ValueChains) -> pd.DataFrame:
    """One row per (country, partner): partner's VA in the country's exports (FVA by source)
    and the country's VA in the partner's exports (DVX by destination)."""
    regions = np.asarray(mrio.regions)
    n_r = len(regions)
    fva = vc.fva_by_source              # [source, exporter]
    ii, jj = np.meshgrid(np.arange(n_r), np.arange(n_r), indexing="ij")
    off = ii != jj
    iso3, partner = ii[off], jj[off]    # country = exporter for FVA, origin for DVX
    fva_from = fva[partner, iso3]
    dvx_via = vc.dvx_by_exporter[iso3, partner]
    fva_tot = np.bincount(iso3, weights=fva_from, minlength=n_r)
    dvx_tot = np.bincount(iso3, weights=dvx_via, minlength=n_r)
    with np.errstate(divide="ignore", invalid="ignore"):
        return pd.DataFrame({
            "iso3": regions[iso3], "partner_iso3": regions[partner], "year": mrio.year,
            "fva_from_partner_usd": fva_from,
            "fva_partner_share": np.where(fva_tot[iso3] > 0, fva_from / fva_tot[iso3], 0.0),
            "dvx_via_partner_usd": dvx_via,
            "dvx_partner_share": np.where(dvx_tot[iso3] > 0, dvx_via / dvx_tot[iso3], 0.0),
            "va_absorbed_by_partner_usd": vc.va_absorbed[iso3, partner],
        })


def _group_frame(mrio: MRIO, vc: ValueChains, members: pd.DataFrame) -> pd.DataFrame:
    """Per (country, group): own VA absorbed by the group's final demand, FVA sourced from the
    group and DVX via the group's exports, with shares; members of the year only."""
    regions = list(mrio.regions)
    index = {r: i for i, r in enumerate(regions)}
    va_total = vc.va_absorbed.sum(axis=1)
    fva = vc.fva_by_source
    fva_total, dvx_total = fva.sum(axis=0), vc.dvx_by_exporter.sum(axis=1) - np.diag(
        vc.dvx_by_exporter)
    dvx = vc.dvx_by_exporter.copy()
    np.fill_diagonal(dvx, 0.0)
    rows = []
    for group_id, group in members.groupby("group_id"):
        mask = np.zeros(len(regions), dtype=bool)
        mask[[index[c] for c in group["iso3"] if c in index]] = True
        if not mask.any():
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            absorbed = vc.va_absorbed[:, mask].sum(axis=1)
            fva_g, dvx_g = fva[mask, :].sum(axis=0), dvx[:, mask].sum(axis=1)
            rows.append(pd.DataFrame({
                "iso3": regions, "year": mrio.year, "group_id": group_id, "is_member": mask,
                "va_absorbed_usd": absorbed,
                "va_absorbed_share": np.where(va_total != 0, absorbed / va_total, 0.0),
                "fva_from_group_usd": fva_g,
                "fva_group_share": np.where(fva_total > 0, fva_g / fva_total, 0.0),
                "dvx_via_group_usd": dvx_g,
                "dvx_group_share": np.where(dvx_total > 0, dvx_g / dvx_total, 0.0),
            }))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def value_chain_tables(input_output: pd.DataFrame, membership: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """TiVA tables for every year of the long ``input_output`` table.

    Parameters
    ----------
    input_output : DataFrame
        The canonical ``core__input_output`` table (long form, USD).
    membership : DataFrame
        ``year, group_id, iso3`` (:func:`pipeline.reference.groups.membership_panel`).

    Returns
    -------
    dict
        ``country``, ``industry``, ``partner`` and ``group`` frames.
    """
    parts: dict[str, list[pd.DataFrame]] = {k: [] for k in ("country", "industry", "partner", "group")}
    for year, frame in input_output.groupby("year", sort=True):
        mrio = mrio_from_long(frame)
        vc = calc_value_chains(mrio)
        parts["country"].append(_country_frame(mrio, vc))
        parts["industry"].append(_industry_frame(mrio, vc))
        parts["partner"].append(_partner_frame(mrio, vc))
        parts["group"].append(_group_frame(mrio, vc, membership[membership["year"] == year]))
    return {k: pd.concat(v, ignore_index=True) for k, v in parts.items()}
