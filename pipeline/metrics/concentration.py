"""Partner flows and concentration: shares, Herfindahl-Hirschman index, top partner."""
from __future__ import annotations

import pandas as pd

from pipeline.metrics.goods_sources import TotalsSource, selected_flows
from pipeline.reference.codes import country_codes

FLOW_COLUMNS = ["iso3", "partner_iso3", "year", "value_usd", "source", "mirror"]
# Above this share of trade with codes that are no economy, the identified partners are too
# small a part of the total for their concentration to describe it (Iran 1976: 95.8% to UNS,
# HHI 0.224 of the 4.2% left, top partner TWN at 1.9%): HHI and top partners are left empty.
MAX_UNALLOCATED_SHARE = 0.5


def partner_flows(bilateral: pd.DataFrame, direction: str,
                  precedence: list[TotalsSource] | None = None) -> pd.DataFrame:
    """Goods flows of each country with each partner in one direction, from the country-year's
    best source (:func:`pipeline.metrics.goods_sources.selected_flows`).

    ``direction="exports"``: reported exports, else (mirror-complete sources) partners' imports;
    ``direction="imports"``: reported imports, else partners' exports to the country.
    Partners that are no economy (``UNS``, ``SPE``, ``BUN``, ``FRE``, ``ANS``) stay: their
    trade is part of the total. Returns :data:`FLOW_COLUMNS` (``value_usd`` in USD).
    """
    if direction not in {"exports", "imports"}:
        raise ValueError(f"direction must be exports or imports, not {direction!r}")
    flows = selected_flows(bilateral, precedence)
    return flows.loc[flows["direction"] == direction, FLOW_COLUMNS].reset_index(drop=True)


def concentration(flows: pd.DataFrame) -> pd.DataFrame:
    """Total, unallocated share, partner HHI and top partners per country and year.

    With :math:`V = \\sum_q v_q` over every partner code (the total, USD), :math:`A` the set of
    partners that are economies and :math:`V_A = \\sum_{p \\in A} v_p`:

    - ``unallocated_share`` :math:`= (V - V_A) / V`: trade with codes that are no economy
      (areas n.e.s. ``UNS``, ``SPE``, ``BUN``, ``FRE``, Atlas ``ANS``);
    - ``hhi`` :math:`= \\sum_{p \\in A} (v_p / V_A)^2` in (0, 1], the Herfindahl-Hirschman
      index of the shares among identified partners (an unknown destination is not one
      partner: counting it as one would make Iraq 2008, 100% to ``UNS``, an HHI of 1);
    - ``top_partner_iso3`` the largest economy partner, ``top_partner_share`` :math:`= v_{top} / V`
      and ``top3_partner_share`` the three largest together, shares of the whole total (0..1).

    HHI and top partners are empty when :math:`V_A = 0` (a share of nothing is undefined) and
    when ``unallocated_share`` > :data:`MAX_UNALLOCATED_SHARE` (0.5): most of the trade has no
    known partner, so the ranking of the rest says little; ``unallocated_share`` shows why.
    ``source`` and ``mirror`` pass through (one source per country-year).

    Returns columns ``iso3, year, total_usd, unallocated_share, hhi, top_partner_iso3,
    top_partner_share, top3_partner_share, source, mirror``.
    """
    keys = ["iso3", "year"]
    is_partner = country_codes().is_economy(flows["partner_iso3"])
    grouped = flows.groupby(keys, sort=False)
    total = grouped["value_usd"].transform("sum")
    allocated = flows["value_usd"].where(is_partner, 0.0).groupby([flows["iso3"], flows["year"]]).transform("sum")
    partners = flows[is_partner].assign(
        share=flows["value_usd"] / total.where(total > 0),
        share_sq=(flows["value_usd"] / allocated.where(allocated > 0)) ** 2,
    )
    out = grouped.agg(total_usd=("value_usd", "sum"), source=("source", "first"),
                      mirror=("mirror", "max")).reset_index()
    hhi = partners.groupby(keys, as_index=False).agg(hhi=("share_sq", "sum"),
                                                     allocated_usd=("value_usd", "sum"))
    out = out.merge(hhi, on=keys, how="left")
    out["unallocated_share"] = 1.0 - out["allocated_usd"].fillna(0.0) / out["total_usd"].where(out["total_usd"] > 0)
    out["unallocated_share"] = out["unallocated_share"].clip(0.0, 1.0)  # float rounding only
    ranked = partners[partners["share"] > 0].sort_values(["share", "partner_iso3"], ascending=[False, True])
    top = ranked.drop_duplicates(keys)[[*keys, "partner_iso3", "share"]]
    top3 = ranked.groupby(keys, sort=False).head(3).groupby(keys, as_index=False)["share"].sum()
    top3["share"] = top3["share"].clip(upper=1.0)  # float rounding of a full sum only
    out = out.merge(top, on=keys, how="left").rename(
        columns={"partner_iso3": "top_partner_iso3", "share": "top_partner_share"})
    out = out.merge(top3.rename(columns={"share": "top3_partner_share"}), on=keys, how="left")
    undefined = ~(out["allocated_usd"] > 0) | (out["unallocated_share"] > MAX_UNALLOCATED_SHARE)
    out.loc[undefined, ["hhi", "top_partner_iso3", "top_partner_share", "top3_partner_share"]] = float("nan")
    return out[["iso3", "year", "total_usd", "unallocated_share", "hhi", "top_partner_iso3",
                "top_partner_share", "top3_partner_share", "source", "mirror"]]
