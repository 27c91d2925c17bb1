"""Partner flows and concentration: shares, Herfindahl-Hirschman index, top partner."""
from __future__ import annotations

import pandas as pd

from pipeline.reference.codes import country_codes

FLOW_COLUMNS = ["iso3", "partner_iso3", "year", "value_usd"]


def partner_flows(bilateral: pd.DataFrame, direction: str) -> pd.DataFrame:
    """Total-goods flows of each country with each partner, seen from the country.

    ``direction="exports"``: reported exports (reporter -> partner), plus mirror exports
    (partner-reported imports) for country-years with no reported exports.
    ``direction="imports"``: reported imports, plus mirror imports (partners' reported
    exports to the country) for country-years with no reported imports.
    Aggregates (ROW, WLD, regions) are dropped as partners and as countries: they are not
    somebody one trades with in the sense of a dependency. Returns :data:`FLOW_COLUMNS`.
    """
    if direction not in {"exports", "imports"}:
        raise ValueError(f"direction must be exports or imports, not {direction!r}")
    total = bilateral[bilateral["product_code"] == "TOTAL"]
    own_flow, mirror_flow = ("export", "import") if direction == "exports" else ("import", "export")
    reported = total[total["flow"] == own_flow].rename(columns={"reporter_iso3": "iso3"})
    mirror = total[total["flow"] == mirror_flow].rename(
        columns={"reporter_iso3": "partner_iso3", "partner_iso3": "iso3"}
    )
    covered = reported[["iso3", "year"]].drop_duplicates()
    mirror = mirror.merge(covered, on=["iso3", "year"], how="left", indicator=True)
    mirror = mirror[mirror["_merge"] == "left_only"]
    flows = pd.concat([reported[FLOW_COLUMNS], mirror[FLOW_COLUMNS]], ignore_index=True)
    codes = country_codes()
    keep = codes.is_economy(flows["iso3"]) & codes.is_economy(flows["partner_iso3"])
    keep &= flows["iso3"] != flows["partner_iso3"]
    return flows[keep].groupby(["iso3", "year", "partner_iso3"], as_index=False)["value_usd"].sum()


def concentration(flows: pd.DataFrame) -> pd.DataFrame:
    """Total, partner HHI and top partner per country and year.

    With partner shares :math:`s_p = v_p / \\sum_q v_q`, the Herfindahl-Hirschman index is
    :math:`HHI = \\sum_p s_p^2` in (0, 1]: 1 when all trade is with one partner, 1/n when it is
    spread evenly over n partners. Countries whose total is zero get an empty HHI and top
    partner (a share of nothing is undefined, not zero).

    ``top3_partner_share`` = sum of the three largest partner shares (0..1; the sum of all
    shares when there are fewer than three partners).

    Returns columns ``iso3, year, total_usd, hhi, top_partner_iso3, top_partner_share,
    top3_partner_share``.
    """
    grouped = flows.groupby(["iso3", "year"], sort=False)["value_usd"]
    total = grouped.transform("sum")
    share = flows["value_usd"] / total.where(total > 0)
    work = flows.assign(share=share, share_sq=share**2)
    out = work.groupby(["iso3", "year"], as_index=False).agg(
        total_usd=("value_usd", "sum"), hhi=("share_sq", "sum")
    )
    positive = work[work["share"] > 0]
    top = positive.sort_values(["share", "partner_iso3"], ascending=[False, True]).drop_duplicates(
        ["iso3", "year"]
    )[["iso3", "year", "partner_iso3", "share"]]
    ranked = positive.sort_values(["share", "partner_iso3"], ascending=[False, True])
    top3 = ranked.groupby(["iso3", "year"], sort=False).head(3)
    top3 = top3.groupby(["iso3", "year"], as_index=False)["share"].sum()
    top3["share"] = top3["share"].clip(upper=1.0)  # float rounding of a full sum only
    out = out.merge(top, on=["iso3", "year"], how="left").rename(
        columns={"partner_iso3": "top_partner_iso3", "share": "top_partner_share"}
    )
    out = out.merge(top3.rename(columns={"share": "top3_partner_share"}), on=["iso3", "year"], how="left")
    out.loc[out["total_usd"] <= 0, "hhi"] = float("nan")
    return out
