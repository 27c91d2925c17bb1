"""The country scorecard: one row per country and year joining the headline indicators.

Every input is an already published output; this module only selects and joins, so each
column keeps the definition (and unit) of the table it comes from. Value-chain columns from
``out__value_chain_exposure`` join on ``iso3, year`` the same way (:func:`join_headline`).
"""
from __future__ import annotations

import pandas as pd

from pipeline.metrics.product_flows import classifications
from pipeline.metrics.restrictiveness import digital_composite
from pipeline.metrics.trade_profile import OPENNESS_INDICATORS

HEADLINE_GROUPS = ["EU", "TTIP", "TISA", "BRICS"]
OPENNESS_COLUMNS = ["exports_gdp_pct", "imports_gdp_pct", "trade_openness_pct"]
PROFILE_COLUMNS = [
    "exports_usd", "imports_usd", "exports_gdp_pct", "imports_gdp_pct", "trade_openness_pct",
    "export_partner_hhi", "import_partner_hhi", "top3_export_partner_share", "top3_import_partner_share",
]
# Product concentration comparable across all countries: Atlas sectors cover the whole world.
PRODUCT_CLASSIFICATION = "ATLAS_SECTION"


# UNCTAD commodity dependence beside the share (pipeline/metrics/commodity.py).
COMMODITY_COLUMNS = ["commodity_dependent", "agricultural_export_share", "fuels_export_share",
                     "ores_metals_export_share"]
GVC_COLUMNS = ["gvc_backward_pct", "gvc_forward_pct", "gvc_participation_pct"]


def join_headline(base: pd.DataFrame, extra: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Left-join ``columns`` of ``extra`` (keyed ``iso3, year``) onto ``base``; duplicates raise."""
    if extra.duplicated(["iso3", "year"]).any():
        raise ValueError(f"scorecard input for {columns} has several rows per iso3, year: aggregate it first")
    return base.merge(extra[["iso3", "year", *columns]], on=["iso3", "year"], how="left")


def openness(macro: pd.DataFrame) -> pd.DataFrame:
    """WDI exports and imports of goods and services, % of GDP, and their sum, per country-year
    (same definitions as :func:`pipeline.metrics.trade_profile.country_trade_profile`)."""
    wdi = macro[macro["indicator_code"].isin(list(OPENNESS_INDICATORS)) & ~macro["is_aggregate"].astype(bool)]
    wide = wdi.pivot_table(index=["iso3", "year"], columns="indicator_code", values="value")
    wide = wide.rename(columns=OPENNESS_INDICATORS).reset_index()
    for col in OPENNESS_INDICATORS.values():
        if col not in wide:
            wide[col] = float("nan")
    wide["trade_openness_pct"] = wide["exports_gdp_pct"] + wide["imports_gdp_pct"]
    wide["year"] = wide["year"].astype(int)
    return wide[["iso3", "year", *OPENNESS_COLUMNS]]


def country_scorecard(profile: pd.DataFrame, group_exposure: pd.DataFrame,
                      product_concentration: pd.DataFrame, strategic: pd.DataFrame,
                      macro: pd.DataFrame | None = None,
                      value_chains: pd.DataFrame | None = None,
                      restrictiveness: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (iso3, year) present in any input, headline columns side by side.

    - from the trade profile: :data:`PROFILE_COLUMNS` (USD, % of GDP, HHI 0..1, shares 0..1),
      ``trade_source`` (the profile's one ``source`` of the country-year) and ``imports_mirror``;
      the % of GDP columns come from WDI (``macro``) for every row, also in years the
      bilateral panel lacks;
    - product concentration of exports on Atlas sectors: ``export_product_hhi`` (0..1) and
      ``export_product_theil`` (0..ln 10);
    - commodity dependence (UNCTAD): ``commodity_export_share`` (0..1), its three parts
      (agricultural, fuels, ores and metals, 0..1) and ``commodity_dependent`` (share > 0.6),
      from the finest HS classification available for the country-year, named in
      ``commodity_share_classification``; only product rows that are the country's figure
      (``is_country_figure``: coverage of merchandise exports) are used. The Atlas-sector
      indices are taken whatever their coverage: the classification is world-complete;
    - group exposure: ``exports_to_<g>_share``, ``imports_from_<g>_share`` (0..1) and
      ``<g>_member`` for g in :data:`HEADLINE_GROUPS`, membership taken in that year;
    - ``strategic_dependency_count``: products flagged in the finest HS classification evaluated
      for that country-year (named in ``strategic_dependency_classification``): 0 where the
      country was evaluated and nothing flagged, empty where it was not evaluated on HS
      products. The 10 Atlas sectors are no count of products comparable with the EC's list
      (0 there means "no dependent sector out of 10"): they never feed the count. ``strategic``
      holds every evaluated row with ``is_dependency`` (``out__strategic_dependencies``); rows
      of group units (EU, ``iso3`` empty) are no country and are left out;
    - value chains from ``out__value_chain_exposure``: :data:`GVC_COLUMNS` (percent of gross
      exports), empty outside the input-output table's countries and years;
    - ``digital_stri``: the OECD Digital STRI composite (0 open .. 1 closed) from
      ``core__services_restrictiveness`` (``restrictiveness``), joined onto the rows above (it adds
      no row); empty where the index does not cover the country and year.
    """
    if "unit_type" in strategic:
        strategic = strategic[strategic["unit_type"] == "economy"]
    keys = pd.concat([f[["iso3", "year"]] for f in (profile, group_exposure, product_concentration, strategic)
                      if len(f)], ignore_index=True).drop_duplicates()
    out = join_headline(keys, profile, [c for c in PROFILE_COLUMNS if c not in OPENNESS_COLUMNS or macro is None])
    # The one source of the goods, partner and group columns (issue 12 part 2).
    provenance = profile.reindex(columns=["iso3", "year", "source", "imports_mirror"])
    out = join_headline(out, provenance.rename(columns={"source": "trade_source"}), ["trade_source", "imports_mirror"])
    if macro is not None:
        out = join_headline(out, openness(macro), OPENNESS_COLUMNS)
    # Atlas sectors hold every exporter of the world: their indices are always taken (coverage
    # only informs their note). Other product sources count only where they are the country's
    # figure (issue 12 part 5: the 56 % BACI extract of South Africa never is).
    sectors = product_concentration[product_concentration["product_classification"] == PRODUCT_CLASSIFICATION]
    sectors = sectors.rename(columns={"product_hhi": "export_product_hhi", "product_theil": "export_product_theil"})
    out = join_headline(out, sectors, ["export_product_hhi", "export_product_theil"])
    if "is_country_figure" in product_concentration:
        product_concentration = product_concentration[product_concentration["is_country_figure"].fillna(False)
                                                      .astype(bool)]
    hs = product_concentration[product_concentration["commodity_export_share"].notna()]
    hs = hs.assign(_detail=hs["product_classification"].map(lambda c: classifications().get(c, {}).get("detail", 0)))
    hs = hs.sort_values("_detail", ascending=False).drop_duplicates(["iso3", "year"])
    hs = hs.rename(columns={"product_classification": "commodity_share_classification"})
    for column in COMMODITY_COLUMNS:
        if column not in hs:
            hs[column] = pd.NA
    out = join_headline(out, hs, ["commodity_export_share", *COMMODITY_COLUMNS, "commodity_share_classification"])
    for group in HEADLINE_GROUPS:
        g = group_exposure[group_exposure["group_id"] == group]
        wide = g.pivot_table(index=["iso3", "year"], columns="direction", values="share").reset_index()
        wide = wide.rename(columns={"exports": f"exports_to_{group.lower()}_share",
                                    "imports": f"imports_from_{group.lower()}_share"})
        for col in (f"exports_to_{group.lower()}_share", f"imports_from_{group.lower()}_share"):
            if col not in wide:
                wide[col] = float("nan")
        member = g.groupby(["iso3", "year"], as_index=False)["is_member"].max().rename(
            columns={"is_member": f"{group.lower()}_member"})
        wide = wide.merge(member, on=["iso3", "year"], how="left")
        out = join_headline(out, wide, [f"exports_to_{group.lower()}_share",
                                        f"imports_from_{group.lower()}_share", f"{group.lower()}_member"])
    if len(strategic):
        order = {"HS92_6": 3, "HS17_6": 3, "HS92_2_4": 2, "ATLAS_SECTION": 1}
        is_hs = strategic["product_classification"].map(lambda c: bool(classifications().get(c, {}).get("nomenclature")))
        hs = strategic[is_hs.astype(bool)]
        counts = hs.groupby(["iso3", "year", "product_classification"], as_index=False)["is_dependency"].sum()
        counts["_detail"] = counts["product_classification"].map(order).fillna(0)
        counts = counts.sort_values("_detail", ascending=False).drop_duplicates(["iso3", "year"])
        counts = counts.rename(columns={"is_dependency": "strategic_dependency_count",
                                        "product_classification": "strategic_dependency_classification"})
        out = join_headline(out, counts, ["strategic_dependency_count", "strategic_dependency_classification"])
    else:
        out["strategic_dependency_count"] = pd.NA
        out["strategic_dependency_classification"] = pd.NA
    if value_chains is not None:
        out = join_headline(out, value_chains, GVC_COLUMNS)
    else:
        for column in GVC_COLUMNS:
            out[column] = float("nan")
    if restrictiveness is not None:
        out = join_headline(out, digital_composite(restrictiveness), ["digital_stri"])
    else:
        out["digital_stri"] = float("nan")
    columns = ["iso3", "year", *PROFILE_COLUMNS] + [c for c in out.columns if c not in PROFILE_COLUMNS + ["iso3", "year"]]
    return out[columns].sort_values(["year", "iso3"]).reset_index(drop=True)
