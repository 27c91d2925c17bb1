"""Value added in trade: how deep each economy sits in global value chains, and towards whom.

Indicators of the OECD-WTO Trade in Value Added database, as defined in OECD (2021), *Guide to
OECD's Trade in Value Added (TiVA) Indicators, 2021 edition* (sections 5 and 6; codes as in the
2023 and 2025 releases), computed from an MRIO table (:mod:`pipeline.metrics.io_tables`) with
``A``, ``L = (I - A)^-1`` and ``v = 1 - 1'A``. From the WIOD extract (no VA row) ``v`` is value
added incl. net product taxes and international transport margins (WIOD rows VA, TXSP,
EXP_adj, PURR, PURNR, IntTTM; :mod:`pipeline.metrics.io_tables`), so "value added" below means
that residual, close to but wider than TiVA's VALU:

- gross exports ``EXGR_c = sum_{i in c} (sum_{j not in c} Z_ij + sum_{d != c} F_id)`` (TiVA
  EXGR), as an N-vector ``e_c`` that is zero outside c's industries;
- value added of source s embodied in c's exports ``VAS[s, c] = sum_{i in s} v_i (L e_c)_i``
  (TiVA EXGR_BSCI summed over industries);
- ``DVA_c = VAS[c, c]`` (TiVA EXGR_DVA), ``FVA_c = sum_{s != c} VAS[s, c]`` (EXGR_FVA); since
  ``v L = 1'``, ``DVA_c + FVA_c = EXGR_c`` exactly. ``VAS[s, c]`` for one ``s != c`` is TiVA
  DEXFVAP (Guide 5.11: *backward* participation, foreign value added in c's exports by origin);
- ``DVX_c = sum_{c' != c} VAS[c, c']``: c's value added in other countries' exports, TiVA
  FEXDVAP summed over partners (Guide 5.13: *forward* participation; as a share of c's own
  gross exports it is EXGR_DVAFXSH, Guide 5.12);
- backward participation ``FVA/EXGR`` (EXGR_FVASH; in the 2025 release EXGR_FVA in unit
  PT_EXGR), forward ``DVX/EXGR`` (EXGR_DVAFXSH), and the GVC participation index, their sum,
  in percent: the index of Koopman, Powers, Wang & Wei (2010), *Give Credit Where Credit Is
  Due*, NBER WP 16426, not a TiVA indicator. The gross-exports split DVA + FVA follows
  Koopman, Wang & Wei (2014), AER 104(2), in its TiVA form;
- value added of s absorbed by the final demand of d ``VAD[s, d] = sum_{i in s} v_i (L F)_{i,d}``
  (TiVA FD_VA, origin of value added in final demand, with origin s and final-demand area d;
  summed over d != s it is FFD_DVA, Guide 6.1; for ``d = s`` it is FD_VA with domestic origin,
  which OECD's FD_VA cube also labels source "DXD: Domestic". ``DXD_DVA`` is exvatools' name,
  not a TiVA code); ``sum_d VAD[s, d]`` is s's value added (in the sense above).

One LU factorisation of ``I - A`` per year (:func:`pipeline.metrics.leontief.solve_year`) serves
``L E`` and ``L F`` here and the industry detail of :mod:`pipeline.metrics.value_chain_industries`:
the inverse itself is never formed.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.metrics.io_tables import IOTable
from pipeline.metrics.leontief import SolvedYear, as_solved, calc_exports
from pipeline.reference.codes import country_codes

__all__ = ["absorption_by_group", "calc_exports", "calc_value_added_flows", "value_chain_year"]


def _by_region(matrix: np.ndarray, r: int) -> np.ndarray:
    """Sum the rows of ``matrix`` within each region (region-major rows): (N x K) -> (R x K)."""
    return matrix.reshape(r, -1, matrix.shape[1]).sum(axis=1)


def calc_value_added_flows(year: IOTable | SolvedYear) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``VAS`` (source x exporter), ``VAD`` (source x final user) and ``EXGR`` (R), in USD."""
    system = as_solved(year)
    r = len(system.table.regions)
    vas = _by_region(system.v[:, None] * system.through_exports, r)
    vad = _by_region(system.v[:, None] * system.through_final, r)
    return vas, vad, system.exports.sum(axis=0)


def value_chain_year(year: IOTable | SolvedYear) -> dict[str, pd.DataFrame]:
    """Country totals, partner detail and final-demand absorption for one table year."""
    system = as_solved(year)
    vas, vad, exgr = calc_value_added_flows(system)
    table = system.table
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
    """Value added of each economy absorbed by the final demand of the OTHER members of each
    group, and by its own final demand, in USD and as shares of its value added.

    With ``VAD`` (source x final user, USD) of :func:`value_chain_year` (TiVA FD_VA by origin,
    OECD 2021 Guide, section 6) and ``VA_s = sum_d VAD[s, d]``:

    - ``va_absorbed_usd[s, g] = sum_{d in g, d != s} VAD[s, d]``: the members' part of TiVA
      FFD_DVA (domestic value added in foreign final demand, Guide 6.1), so a member's own
      consumers and investors never count as the group's: Poland's EU share moves from 0.155
      (EU-15, 2003) to 0.174 (EU-25 less Poland, 2004), not to 0.913;
    - ``va_absorbed_share = va_absorbed_usd / VA_s`` (0..1; null where ``VA_s <= 0``);
    - ``va_absorbed_domestic_usd[s] = VAD[s, s]`` (TiVA FD_VA with domestic origin, value added
      absorbed by the economy's own final demand) and its share ``/ VA_s``, on every group row;
    - ``members_total``: the group's members that year (a composite code such as ``BLX``
      counts through its constituents, not as a member of its own); ``members_covered``: those that are a
      region of the table. A member the table folds into its rest of the world (WIOD: CHE,
      NOR, NZL ... in the OECD) absorbs inside the ``ROW`` column, which belongs to no group,
      so the sum leaves its demand out: the share is a lower bound when covered < total.
      ``va_absorbed_usd`` and its share are null where none of the group's members other than
      ``s`` is in the table though it has some (unknown, not 0); 0 for a group of ``s`` alone.

    ``membership`` has ``group_id, iso3, year`` rows for the members of each year.
    """
    absorption = absorption.loc[:, absorption.index]  # users in the order of the sources
    members = membership[membership["year"] == year]
    total = absorption.sum(axis=1)
    share_of = lambda usd: (usd / total.where(total > 0)).to_numpy()  # noqa: E731
    own = pd.Series(np.diag(absorption.to_numpy()), absorption.index)
    # a member's own final demand is domestic absorption, not the group's: drop the diagonal
    foreign = absorption.mask(np.eye(len(absorption), dtype=bool), 0.0)
    rows = []
    for group_id, group in members.groupby("group_id"):
        inside = [c for c in absorption.columns if c in set(group["iso3"])]
        is_member = absorption.index.isin(inside)
        # composite and historical codes (BLX = BEL + LUX) are members through their
        # constituents: count each economy once, by its own code
        n_total = group.loc[~group["iso3"].isin(list(country_codes().non_iso)), "iso3"].nunique()
        # no other member in the table although there are others: unknown, not 0
        unknown = (len(inside) - is_member == 0) & (n_total - is_member > 0)
        others = foreign[inside].sum(axis=1).mask(unknown)
        rows.append(pd.DataFrame({
            "iso3": absorption.index, "year": year, "group_id": group_id,
            "is_member": is_member, "members_covered": len(inside), "members_total": n_total,
            "va_absorbed_usd": others.to_numpy(), "va_absorbed_share": share_of(others),
            "va_absorbed_domestic_usd": own.to_numpy(), "va_absorbed_domestic_share": share_of(own),
        }))
    return pd.concat(rows, ignore_index=True)
