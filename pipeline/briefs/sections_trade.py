"""Sections of a brief on goods trade: profile, group exposure, commodities and products, end use.

Each function returns a section dict ``{"id", "title", "blocks", "missing"}``: blocks of figures,
tables and plots read from the published tables (never recomputed), and the lines saying what
the warehouse does not cover for the country and which source would.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from pipeline.briefs import charts
from pipeline.briefs.coverage import not_covered
from pipeline.briefs.figures import cell, country_name, figure, figures, latest, plain, series
from pipeline.briefs.reader import WarehouseView

HEADLINE_GROUPS = ("EU", "TTIP", "TISA", "BRICS")
NOT_REGIONAL = {*HEADLINE_GROUPS, "OECD", "G7"}
ATLAS_SECTORS = {"0": "Textiles", "1": "Agriculture", "2": "Stone", "3": "Minerals", "4": "Metals",
                 "5": "Chemicals", "6": "Vehicles", "7": "Machinery", "8": "Electronics", "9": "Other"}
# (pipeline/reference/product_classifications.yaml, ATLAS_SECTION)


def section(sid: str, title: str, blocks: list, missing: list[str]) -> dict[str, Any]:
    blocks = [b for b in blocks if b and (b.get("figures") or b.get("rows") or b.get("png"))]
    return {"id": sid, "title": title, "blocks": blocks, "missing": missing}


def opening(view: WarehouseView, t: str, where: dict, sid: str, title: str, what: str,
            column: str = "iso3") -> tuple[pd.DataFrame, dict[str, Any] | None]:
    """The country's rows of table ``t``, and the section saying why there are none (else None)."""
    rows = view.rows(t, where)
    if not rows.empty:
        return rows, None
    iso3 = where["unit" if column == "unit" else "iso3"]
    return rows, section(sid, title, [], [not_covered(view, t, iso3, what, column)])


def facts(items: list, title: str = "") -> dict[str, Any]:
    return {"kind": "figures", "title": title, "figures": [f for f in items if f]}


def table(title: str, header: list[str], rows: list[list]) -> dict[str, Any]:
    rows = [r for r in rows if any(c is not None and "value" in c for c in r)]
    return {"kind": "table", "title": title, "header": header, "rows": rows}


def plot(title: str, png: str | None, lines: list | None = None) -> dict[str, Any] | None:
    return {"kind": "plot", "title": title, "png": png, "series": [s for s in lines or [] if s]} if png else None


def trade_profile(view: WarehouseView, iso3: str) -> dict[str, Any]:
    name, t = country_name(iso3), "country_trade_profile"
    rows, empty = opening(view, t, {"iso3": iso3}, "trade", "Trade profile", "Goods trade")
    if empty:
        return empty
    now, year = latest(rows, "exports_usd")
    if now.empty:
        now, year = latest(rows)
    row = now.iloc[0]
    imports_mirror = plain(row["imports_mirror"]) is True
    exports_mirror = plain(row["exports_mirror"]) is True
    import_caveat = "imports are partners' reported exports (mirror data)" if imports_mirror else ""
    export_caveat = "exports are partners' reported imports (mirror data)" if exports_mirror else ""
    key = ["iso3", "year"]
    headline = (figures(t, row, key, {"exports_usd": "Goods exports (mirror)" if exports_mirror else "Goods exports"},
                        export_caveat)
                + figures(t, row, key, {"imports_usd": "Goods imports (mirror)" if imports_mirror else "Goods imports"},
                          import_caveat)
                + figures(t, row, key, {
                    "trade_openness_pct": "Trade openness (goods and services, % of GDP)",
                    "exports_gdp_pct": "Exports of goods and services, % of GDP",
                    "imports_gdp_pct": "Imports of goods and services, % of GDP"},
                    "World Bank WDI national accounts (NE.EXP.GNFS.ZS, NE.IMP.GNFS.ZS), not the goods source",
                    source="World Bank WDI"))
    partners = (figures(t, row, key, {
        "top_export_partner_iso3": "Largest export market", "top_export_partner_share": "its share of exports",
        "top3_export_partner_share": "Three largest markets' share of exports",
        "export_partner_hhi": "Export partner concentration (HHI)"}, export_caveat)
        + figures(t, row, key, {
            "top_import_partner_iso3": "Largest supplier", "top_import_partner_share": "its share of imports",
            "top3_import_partner_share": "Three largest suppliers' share of imports",
            "import_partner_hhi": "Import partner concentration (HHI)"}, import_caveat))
    lines = [series(t, rows, "exports_usd", key, "Goods exports"), series(t, rows, "imports_usd", key, "Goods imports")]
    openness = [series(t, rows, "trade_openness_pct", key, "Trade openness")]
    blocks = [facts(headline, f"{name}, {year}"), facts(partners, f"Partners, {year}"),
              plot("Goods exports and imports (USD bn)", charts.line_chart(lines, f"{name}: goods trade, USD bn"), lines),
              plot("Trade openness (% of GDP)", charts.line_chart(openness, f"{name}: trade openness, % of GDP"),
                   openness)]
    return section("trade", "Trade profile", blocks, [])


def group_exposure(view: WarehouseView, iso3: str) -> dict[str, Any]:
    name, t = country_name(iso3), "country_group_exposure"
    rows, empty = opening(view, t, {"iso3": iso3}, "groups", "Exposure to the EU, TTIP, TiSA, BRICS and regional blocs", "Group exposure")
    if empty:
        return empty
    now, year = latest(rows)
    blocs = sorted(set(now.loc[now["is_member"].fillna(False).astype(bool), "group_id"]) - NOT_REGIONAL)
    key = ["iso3", "year", "group_id", "direction"]
    table_rows, bars = [], []
    for group in [*HEADLINE_GROUPS, *blocs]:
        part = now[now["group_id"] == group].set_index("direction")
        if part.empty:
            continue
        member = bool(part["is_member"].iloc[0])
        exports = figure(t, part.loc["exports"].to_dict() | {"direction": "exports"}, "share", key,
                         f"Exports to {group}") if "exports" in part.index else None
        imports = figure(t, part.loc["imports"].to_dict() | {"direction": "imports"}, "share", key,
                         f"Imports from {group}") if "imports" in part.index else None
        table_rows.append([cell(group), cell("member" if member else "outside"), exports, imports])
        bars.append((f"{group} (member)" if member else group, exports))
    # Years before a group had members (TTIP before 2013, BRICS before 2006) have no share to plot.
    # A member counts in a year when it is one on 1 July (country_group_exposure's rule).
    spells = view.rows("country_groups", {"group_id": list(HEADLINE_GROUPS)}, ["group_id", "start_date"])
    start = pd.to_datetime(spells["start_date"])
    first_year = start.dt.year + (start > pd.to_datetime(start.dt.year.astype(str) + "-07-01")).astype(int)
    formed = rows["group_id"].astype(str).map(first_year.groupby(spells["group_id"].astype(str)).min())
    with_members = rows[formed.isna() | (rows["year"].astype(int) >= formed.fillna(0))]
    lines = [series(t, with_members[(with_members["group_id"] == g) & (with_members["direction"] == "exports")],
                    "share", key, f"to {g}") for g in HEADLINE_GROUPS]
    blocks = [table(f"Share of {name}'s goods trade with each group's members, {year} (membership of that year)",
                    ["group", f"{name} is", "exports to members", "imports from members"], table_rows),
              plot("Export shares over time", charts.line_chart(lines, f"{name}: share of exports to each group"),
                   lines)]
    missing = [] if blocs else [f"Regional blocs: {name} belongs to none of the regional groups of "
                                "core__country_groups in {year} (add one with TRADE_COUNTRY_GROUPS_FILE)."
                                .replace("{year}", str(year))]
    return section("groups", "Exposure to the EU, TTIP, TiSA, BRICS and regional blocs", blocks, missing)


def commodities(view: WarehouseView, iso3: str) -> dict[str, Any]:
    name, t = country_name(iso3), "export_product_concentration"
    title = "Commodity dependence and product concentration"
    rows, empty = opening(view, t, {"iso3": iso3}, "commodities", title, "Product concentration")
    if empty:
        return empty
    key, missing, blocks = ["iso3", "year", "product_classification"], [], []
    card = view.rows("country_scorecard", {"iso3": iso3})
    card, card_year = latest(card, "commodity_export_share")
    if card_year is not None:
        c = card.iloc[0]
        klass = c["commodity_share_classification"]
        ck = ["iso3", "year"]
        blocks.append(facts(figures("country_scorecard", c, ck, {
            "commodity_export_share": "Primary commodities, share of exports (UNCTAD)",
            "commodity_dependent": "Commodity dependent (UNCTAD: more than 60%)",
            "agricultural_export_share": "Agricultural products", "fuels_export_share": "Fuels",
            "ores_metals_export_share": "Ores, metals, precious stones and gold",
            "commodity_share_classification": "Product source"}), f"Commodity dependence, {card_year}"))
        source_row = rows[(rows["year"] == card_year) & (rows["product_classification"] == klass)]
        if not source_row.empty:
            blocks.append(facts(figures(t, source_row.iloc[0], key, {
                "commodity_export_share_low": "Lower bound (split codes counted out)",
                "commodity_export_share_high": "Upper bound (split codes counted in)",
                "coverage_share": "Coverage of merchandise exports"},
                caveat=str(source_row.iloc[0]["coverage_note"] or "")), f"Bounds of the commodity share ({klass})"))
    else:
        notes = rows["commodity_note"].dropna()
        note = notes.iloc[-1] if len(notes) else "no row of the table carries HS codes"
        missing.append(f"UNCTAD commodity share: not available for {name} ({note}). "
                       "HS product detail would give it: the Atlas HS2/HS4 file covers 31 countries here, "
                       "BACI HS6 (every country, CEPII) only its ZAF/AFG extract.")
    sectors, year = latest(rows[rows["product_classification"] == "ATLAS_SECTION"])
    if year is not None:
        blocks.append(facts(figures(t, sectors.iloc[0], key, {
            "product_hhi": "Product concentration (HHI over the 10 Atlas sectors)",
            "product_theil": "Theil index over the 10 Atlas sectors", "n_products": "Sectors exported"}),
            f"Product concentration, {year} (Atlas sectors)"))
    # Only a row that is the country's figure (coverage 0.8-2x its merchandise exports) stands for it.
    figure_rows = rows[rows["is_country_figure"].fillna(False).astype(bool)] if "is_country_figure" in rows else rows
    unctad, u_year = latest(figure_rows, "unctad_concentration_index")
    if u_year is not None:
        blocks.append(facts(figures(t, unctad.iloc[0], key, {
            "unctad_concentration_index": "UNCTAD concentration index (SITC Rev.3, 3-digit)"},
            caveat=str(unctad.iloc[0].get("coverage_note") or "")),
            f"UNCTAD concentration index, {u_year} ({unctad.iloc[0]['product_classification']})"))
    hs, hs_year = latest(rows[rows["product_classification"] != "ATLAS_SECTION"])
    if hs_year is not None and hs_year != u_year:
        notes = hs["unctad_concentration_note"].dropna()
        if len(notes):
            missing.append(f"UNCTAD concentration index, {hs_year}: {notes.iloc[0]}")
    blocks += top_products(view, iso3)
    return section("commodities", title, blocks, missing)


def top_products(view: WarehouseView, iso3: str, n: int = 8) -> list[dict[str, Any]]:
    """The largest export products of the latest year, per classification (RCA table)."""
    t, blocks = "revealed_comparative_advantage", []
    rows = view.rows(t, {"iso3": iso3})
    key = ["iso3", "year", "product_classification", "product_code"]
    for klass, label in (("ATLAS_SECTION", "Atlas sectors"), ("HS92_2_4", "HS 1992 chapters and headings")):
        now, year = latest(rows[rows["product_classification"] == klass])
        if year is None:
            continue
        top = now.nlargest(n, "export_share")
        table_rows = [[cell(ATLAS_SECTORS.get(r["product_code"], r["product_code"]) if klass == "ATLAS_SECTION"
                            else r["product_code"]),
                       figure(t, r, "export_value_usd", key, "exports"), figure(t, r, "export_share", key, "share"),
                       figure(t, r, "rca", key, "RCA")] for _, r in top.iterrows()]
        blocks.append(table(f"Top export products, {year} ({label})", ["product", "exports", "share of exports",
                                                                        "revealed comparative advantage"], table_rows))
    return blocks


def end_use(view: WarehouseView, iso3: str) -> dict[str, Any]:
    name, t = country_name(iso3), "end_use_trade"
    title = "Imported capital goods and intermediates"
    rows, empty = opening(view, t, {"iso3": iso3, "direction": "imports"}, "end_use", title, "Trade by end use")
    if empty:
        return empty
    now, year = latest(rows)
    key = ["iso3", "year", "product_classification", "direction", "partner_group", "end_use"]
    world = now[now["partner_group"] == "WORLD"].set_index("end_use")
    shares = []
    for use in ("capital", "intermediate", "consumption"):
        if use in world.index:
            r = world.loc[use].to_dict() | {"end_use": use}
            shares.append([cell(use), figure(t, r, "end_use_share", key, f"{use} (lower bound)"),
                           figure(t, r, "end_use_share_estimate", key, f"{use} (estimate)"),
                           figure(t, r, "end_use_share_max", key, f"{use} (upper bound)")])
    suppliers = []
    for use in ("capital", "intermediate"):
        part = now[(now["end_use"] == use) & (now["partner_group"] != "WORLD")]
        for _, r in part.sort_values("partner_group_share_estimate", ascending=False).iterrows():
            suppliers.append([cell(use), cell(r["partner_group"]),
                              figure(t, r, "partner_group_share_estimate", key, f"{use} from {r['partner_group']}"),
                              figure(t, r, "partner_group_share", key, f"{use} from {r['partner_group']} (lower bound)")])
    bars = [(f"{r[0]['text']}: {r[1]['text']}", r[2]) for r in suppliers if r[0]["text"] == "capital"]
    klass = now["product_classification"].iloc[0]
    blocks = [table(f"End use of {name}'s goods imports, {year} ({klass}; share of imports from the world)",
                    ["end use", "lower bound", "estimate", "upper bound"], shares),
              table(f"Who supplies them, {year} (share of the end use's imports from each group)",
                    ["end use", "partner", "estimate", "lower bound"], suppliers),
              plot("Capital-goods suppliers", charts.bar_chart(bars, f"{name}: share of capital-goods imports by supplier"))]
    return section("end_use", title, blocks, [])


def headline_frame(sections: list[dict[str, Any]]) -> pd.DataFrame:
    """Every figure of the sections as rows (label, display, table, column, year): for previews."""
    out = []
    for s in sections:
        for b in s["blocks"]:
            for f in b.get("figures", []):
                out.append({"section": s["title"], "figure": f["label"], "value": f["display"],
                            "table": f["table"], "column": f["column"], "year": f["year"]})
    return pd.DataFrame(out)
