"""Value added in trade: how deep each economy sits in global value chains, and towards whom.

Definitions of the OECD-WTO Trade in Value Added (TiVA) database (OECD 2023, *Guide to
OECD TiVA Indicators*; Koopman, Wang & Wei 2014, AER 104(2)), computed from an MRIO table
(:mod:`pipeline.metrics.io_tables`) with ``A``, ``L = (I - A)^-1`` and ``v = 1 - 1'A``:

- gross exports ``EXGR_c = sum_{i in c} (sum_{j not in c} Z_ij + sum_{d != c} F_id)``,
  as an N-vector ``e_c`` that is zero outside c's industries;
- value added of source s embodied in c's exports ``VAS[s, c] = sum_{i in s} v_i (L e_c)_i``;
- ``DVA_c = VAS[c, c]`` (TiVA EXGR_DVA), ``FVA_c = sum_{s != c} VAS[s, c]`` (EXGR_FVA); since
  ``v L = 1'``, ``DVA_c + FVA_c = EXGR_c`` exactly;
- ``DVX_c = sum_{c' != c} VAS[c, c']``: c's value added in other countries' exports (TiVA
  DEXFVAP, forward participation);
- backward participation ``FVA/EXGR``, forward ``DVX/EXGR``, GVC participation the sum
  (Koopman et al. 2010), in percent;
- value added of s absorbed by the final demand of d ``VAD[s, d] = sum_{i in s} v_i (L F)_{i,d}``
  (TiVA FD_VA); ``sum_d VAD[s, d]`` is s's value added.

One LU factorisation of ``I - A`` per year serves both ``L E`` and ``L F`` (2R right-hand
sides): the inverse itself is never formed.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.metrics.io_tables import IOTable, calc_a, calc_v, leontief_solve


def calc_exports(table: IOTable) -> np.ndarray:
    """``E`` (N x R): column c holds the gross exports of c's industries, zero elsewhere."""
    region = table.region_of_row
    r = len(table.regions)
    col_region = region  # Z columns are ordered like rows
    foreign_inter = np.zeros((len(region), r))
    for c in range(r):
        rows = region == c
        foreign_inter[rows, c] = table.z[np.ix_(rows, col_region != c)].sum(axis=1)
        foreign_inter[rows, c] += np.delete(table.f[rows], c, axis=1).sum(axis=1)
    return foreign_inter


def _by_region(matrix: np.ndarray, region: np.ndarray, r: int) -> np.ndarray:
    """Sum the rows of ``matrix`` within each region: (N x K) -> (R x K)."""
    out = np.zeros((r, matrix.shape[1]))
    np.add.at(out, region, matrix)
    return out


def calc_value_added_flows(table: IOTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``VAS`` (source x exporter), ``VAD`` (source x final user) and ``EXGR`` (R), in USD."""
    a = calc_a(table.z, table.x)
    v = calc_v(a)
    exports = calc_exports(table)
    solved = leontief_solve(a, np.hstack([exports, table.f]))
    r = len(table.regions)
    weighted = v[:, None] * solved
    region = table.region_of_row
    vas = _by_region(weighted[:, :r], region, r)
    vad = _by_region(weighted[:, r:], region, r)
    return vas, vad, exports.sum(axis=0)


def value_chain_year(table: IOTable) -> dict[str, pd.DataFrame]:
    """Country totals, partner detail and final-demand absorption for one table year."""
    vas, vad, exgr = calc_value_added_flows(table)
    regions = table.regions
    dva = np.diag(vas).copy()
    fva = vas.sum(axis=0) - dva
    dvx = vas.sum(axis=1) - dva
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = lambda part: np.where(exgr > 0, 100 * part / exgr, np.nan)  # noqa: E731
        totals = pd.DataFrame({
            "iso3": regions, "year": table.year, "exgr_usd": exgr, "dva_usd": dva,
            "fva_usd": fva, "dvx_usd": dvx, "gvc_backward_pct": pct(fva),
            "gvc_forward_pct": pct(dvx), "gvc_participation_pct": pct(fva + dvx),
        })
    source, exporter = np.meshgrid(np.arange(len(regions)), np.arange(len(regions)), indexing="ij")
    off = source != exporter
    partners = pd.DataFrame({
        "iso3": np.array(regions)[exporter[off]], "partner_iso3": np.array(regions)[source[off]],
        "year": table.year,
        "fva_from_partner_usd": vas[off],                       # partner's VA in iso3's exports
        "dvx_via_partner_usd": vas.T[off],                      # iso3's VA in partner's exports
    })
    absorption = pd.DataFrame(vad, index=regions, columns=regions)
    return {"totals": totals, "partners": partners, "absorption": absorption}


def absorption_by_group(absorption: pd.DataFrame, year: int,
                        membership: pd.DataFrame) -> pd.DataFrame:
    """Value added of each country absorbed by each group's final demand, and its share.

    ``va_absorbed_usd[s, g] = sum_{d in g} VAD[s, d]``; ``share = va_absorbed / sum_d VAD[s, d]``
    (0..1). ``membership`` has ``group_id, iso3, year`` rows for the members of each year.
    """
    members = membership[membership["year"] == year]
    total = absorption.sum(axis=1)
    rows = []
    for group_id, group in members.groupby("group_id"):
        inside = [c for c in absorption.columns if c in set(group["iso3"])]
        absorbed = absorption[inside].sum(axis=1) if inside else pd.Series(0.0, absorption.index)
        rows.append(pd.DataFrame({
            "iso3": absorption.index, "year": year, "group_id": group_id,
            "is_member": absorption.index.isin(inside),
            "va_absorbed_usd": absorbed.to_numpy(),
            "va_absorbed_share": (absorbed / total.where(total > 0)).to_numpy(),
        }))
    return pd.concat(rows, ignore_index=True)
