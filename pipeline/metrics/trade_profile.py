"""The country trade profile and exposure to country groups."""
from __future__ import annotations

import pandas as pd

from pipeline.metrics.concentration import concentration
from pipeline.metrics.goods_sources import TotalsSource, selected_flows

OPENNESS_INDICATORS = {"NE.EXP.GNFS.ZS": "exports_gdp_pct", "NE.IMP.GNFS.ZS": "imports_gdp_pct"}


def country_trade_profile(bilateral: pd.DataFrame, macro: pd.DataFrame,
                          precedence: list[TotalsSource] | None = None) -> pd.DataFrame:
    """One row per country and year with exports, imports, openness and partner concentration.

    Every country-year that a declared source of goods totals covers (``precedence``, default
    the manifest's ``goods_totals``) gets a row, from ONE source named in ``source``;
    ``exports_mirror`` / ``imports_mirror`` say where a direction is partners' reports.
    ``unallocated_*_partner_share`` = share of the total with codes that are no economy (UNS,
    SPE, BUN, FRE, ANS); partner HHI and top partners leave them out
    (:func:`pipeline.metrics.concentration.concentration`).

    ``trade_openness_pct`` = WDI exports + imports of goods and services, % of GDP;
    ``exports_gdp_pct`` / ``imports_gdp_pct`` = WDI exports / imports of goods and services,
    % of GDP. ``top3_*_partner_share`` = sum of the three largest partner shares (0..1). The
    WDI columns are left empty
    where WDI has no value (historical codes, years before coverage). Rows: every non-aggregate
    economy that exports or imports in the bilateral table that year; ``exports_usd`` or
    ``imports_usd`` is empty when no flow in that direction was reported, directly or as mirror.
    """
    parts = {}
    flows = selected_flows(bilateral, precedence)
    for direction, prefix in (("exports", "export"), ("imports", "import")):
        conc = concentration(flows[flows["direction"] == direction])
        parts[direction] = conc.rename(
            columns={
                "total_usd": f"{direction}_usd",
                "unallocated_share": f"unallocated_{prefix}_partner_share",
                "mirror": f"{direction}_mirror",
                "hhi": f"{prefix}_partner_hhi",
                "top_partner_iso3": f"top_{prefix}_partner_iso3",
                "top_partner_share": f"top_{prefix}_partner_share",
                "top3_partner_share": f"top3_{prefix}_partner_share",
            }
        )
    # A direction nobody reported (neither the country nor, as mirror, its partners) stays
    # empty: Kenya's missing export reports after 2008 are not zero exports.
    profile = parts["exports"].merge(parts["imports"], on=["iso3", "year"], how="outer", suffixes=("", "_imports"))
    # One source per country-year for both directions (selected_flows): fill where exports are empty.
    profile["source"] = profile["source"].fillna(profile.pop("source_imports"))
    wdi = macro[macro["indicator_code"].isin(list(OPENNESS_INDICATORS)) & ~macro["is_aggregate"]]
    wide = wdi.pivot_table(index=["iso3", "year"], columns="indicator_code", values="value")
    wide = wide.rename(columns=OPENNESS_INDICATORS).reset_index()
    for col in OPENNESS_INDICATORS.values():
        if col not in wide:
            wide[col] = float("nan")
    wide["trade_openness_pct"] = wide["exports_gdp_pct"] + wide["imports_gdp_pct"]
    profile = profile.merge(
        wide[["iso3", "year", "trade_openness_pct", "exports_gdp_pct", "imports_gdp_pct"]],
        on=["iso3", "year"], how="left"
    )
    columns = [
        "iso3", "year", "exports_usd", "imports_usd", "trade_openness_pct", "imports_gdp_pct",
        "export_partner_hhi", "import_partner_hhi", "top_export_partner_iso3",
        "top_export_partner_share", "top_import_partner_iso3", "top_import_partner_share",
        "exports_gdp_pct", "top3_export_partner_share", "top3_import_partner_share",
        "unallocated_export_partner_share", "unallocated_import_partner_share", "source",
        "exports_mirror", "imports_mirror",
    ]
    return profile[columns].sort_values(["year", "iso3"]).reset_index(drop=True)


def country_group_exposure(bilateral: pd.DataFrame, membership: pd.DataFrame,
                           precedence: list[TotalsSource] | None = None) -> pd.DataFrame:
    """Share of each country's exports (imports) going to (coming from) each group's members.

    :math:`share_{c,g,t} = \\sum_{p \\in G_t} v_{c,p,t} / \\sum_p v_{c,p,t}` with :math:`G_t`
    the group's members in year t (``membership``: columns ``year, group_id, iso3``; composite
    codes such as ``BLX`` are members through their constituents, ``country_groups.yaml``) and
    the denominator the whole total, trade with unallocated codes (UNS ...) included. A
    country's flows with itself do not exist, so a member's share counts the other members.
    Flows come from the country-year's one source (``source``; see :func:`country_trade_profile`).
    Countries with zero total flows in a direction are left out for that direction.
    """
    frames = []
    groups = membership["group_id"].drop_duplicates()
    selected = selected_flows(bilateral, precedence)
    for direction in ("exports", "imports"):
        flows = selected[selected["direction"] == direction]
        totals = flows.groupby(["iso3", "year", "source"], as_index=False)["value_usd"].sum()
        totals = totals[totals["value_usd"] > 0]
        to_members = flows.merge(
            membership.rename(columns={"iso3": "partner_iso3"}), on=["year", "partner_iso3"]
        )
        within = to_members.groupby(["iso3", "year", "group_id"], as_index=False)["value_usd"].sum()
        grid = totals.merge(groups.to_frame(), how="cross")
        grid = grid.merge(within, on=["iso3", "year", "group_id"], how="left", suffixes=("_total", ""))
        # Sums of a subset can exceed the total by float rounding only: clip that away.
        grid["share"] = (grid["value_usd"].fillna(0.0) / grid["value_usd_total"]).clip(0.0, 1.0)
        member_keys = membership.assign(is_member=True)
        grid = grid.merge(member_keys, on=["iso3", "year", "group_id"], how="left")
        grid["is_member"] = grid["is_member"].astype("boolean").fillna(False).astype(bool)
        grid["direction"] = direction
        frames.append(grid[["iso3", "year", "group_id", "direction", "is_member", "share", "source"]])
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["year", "iso3", "group_id", "direction"]).reset_index(drop=True)
