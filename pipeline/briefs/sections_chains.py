"""Sections of a brief beyond goods totals: strategic dependencies, value chains, services and
restrictiveness, agreement scenarios (read from the published tables, never recomputed)."""
from __future__ import annotations

from typing import Any

from pipeline.briefs import charts
from pipeline.briefs.coverage import not_covered
from pipeline.briefs.figures import cell, country_name, figure, figures, latest, series
from pipeline.briefs.reader import WarehouseView
from pipeline.briefs.sections_trade import ATLAS_SECTORS, facts, opening, plot, section, table


def strategic(view: WarehouseView, iso3: str, n: int = 12) -> dict[str, Any]:
    name, t = country_name(iso3), "strategic_dependencies"
    title = "Strategic dependencies"
    rows, empty = opening(view, t, {"unit": iso3, "unit_type": "economy"}, "strategic", title, "Strategic dependencies", "unit")
    if empty:
        return empty
    blocks, missing = [], []
    card = view.rows("country_scorecard", {"iso3": iso3})
    card, c_year = latest(card, "strategic_dependency_count")
    if c_year is not None:
        blocks.append(facts(figures("country_scorecard", card.iloc[0], ["iso3", "year"], {
            "strategic_dependency_count": "Products flagged (EC 2021 criteria, the country alone)",
            "strategic_dependency_classification": "Classification evaluated"}), f"Flagged products, {c_year}"))
    now, year = latest(rows)
    key = ["unit", "year", "product_classification", "product_code"]
    flagged = now[now["is_dependency"].fillna(False).astype(bool)]
    in_sector = flagged[flagged["strategic_sector"].notna()]
    table_rows = [[cell(r["product_code"]), cell(r["strategic_sector"]),
                   figure(t, r, "imports_usd", key, f"imports of {r['product_code']}"),
                   figure(t, r, "top_supplier_iso3", key, f"top supplier of {r['product_code']}"),
                   figure(t, r, "top_supplier_share", key, f"its share ({r['product_code']})"),
                   figure(t, r, "supplier_hhi", key, f"supplier HHI ({r['product_code']})")]
                  for _, r in in_sector.nlargest(n, "imports_usd").iterrows()]
    if table_rows:
        blocks.append(table(f"Flagged products in strategic sectors (chips, batteries, medicines, ...), {year}",
                            ["product (HS code or Atlas sector)", "strategic sector", "imports", "largest supplier",
                             "its share",
                             "supplier concentration (HHI)"], table_rows))
    elif len(flagged):
        missing.append(f"Strategic sectors: none of {name}'s {len(flagged)} flagged products of {year} lies in a "
                       "sector of pipeline/reference/strategic_dependencies.yaml.")
    else:
        klasses = ", ".join(sorted(now["product_classification"].unique()))
        missing.append(f"No product of {name} meets the EC criteria in {year} ({len(now)} products evaluated, "
                       f"{klasses}). HS detail (the Atlas HS2/HS4 file, 31 countries here, or a full BACI HS6 "
                       "download) would evaluate its chapters and headings.")
    other = flagged[flagged["strategic_sector"].isna()].nlargest(n, "imports_usd")
    blocks.append(table(f"Largest other flagged products, {year}", ["product (HS code or Atlas sector)",
                                                                     "classification", "imports",
                                                                     "largest supplier", "its share"],
                        [[cell(product_label(r)), cell(r["product_classification"]),
                          figure(t, r, "imports_usd", key, f"imports of {r['product_code']}"),
                          figure(t, r, "top_supplier_iso3", key, f"top supplier of {r['product_code']}"),
                          figure(t, r, "top_supplier_share", key, f"its share ({r['product_code']})")]
                         for _, r in other.iterrows()]))
    return section("strategic", title, blocks, missing)


def product_label(row) -> str:
    code = row["product_code"]
    return f"{code} {ATLAS_SECTORS[code]}" if row["product_classification"] == "ATLAS_SECTION" else code


def value_chains(view: WarehouseView, iso3: str) -> dict[str, Any]:
    name, t = country_name(iso3), "value_chain_exposure"
    rows, empty = opening(view, t, {"iso3": iso3}, "value_chains", "Value chains", "Value-chain participation")
    if empty:
        return empty
    now, year = latest(rows)
    key = ["iso3", "year"]
    blocks = [facts(figures(t, now.iloc[0], key, {
        "gvc_backward_pct": "Backward participation (foreign value added, % of gross exports)",
        "gvc_forward_pct": "Forward participation (value added in others' exports, % of gross exports)",
        "gvc_participation_pct": "GVC participation (% of gross exports)", "exgr_usd": "Gross exports"}),
        f"Participation, {year} (input-output table year)")]
    lines = [series(t, rows, c, key, label) for c, label in (
        ("gvc_backward_pct", "backward"), ("gvc_forward_pct", "forward"))]
    blocks.append(plot("Participation over time", charts.line_chart(lines, f"{name}: GVC participation, % of gross "
                                                                           "exports"), lines))
    absorbed = view.rows("value_added_absorption", {"iso3": iso3})
    absorbed, a_year = latest(absorbed)
    if a_year is not None:
        ak = ["iso3", "year", "group_id"]
        first = absorbed.iloc[0]
        rows_ = [[cell(r["group_id"]), figure("value_added_absorption", r, "va_absorbed_share", ak,
                                              f"absorbed by {r['group_id']}"),
                  figure("value_added_absorption", r, "va_absorbed_usd", ak, f"absorbed by {r['group_id']} (USD)"),
                  cell(f"{int(r['members_covered'])} of {int(r['members_total'])}")]
                 for _, r in absorbed.sort_values("va_absorbed_share", ascending=False).iterrows()]
        blocks += [facts([figure("value_added_absorption", first, "va_absorbed_domestic_share", ak,
                                 "Absorbed at home (own final demand)")], f"Where {name}'s value added is absorbed, "
                                                                          f"{a_year}"),
                   table(f"Value added absorbed by each group's final demand, {a_year}",
                         ["group", "share of value added", "value", "members in the table"], rows_)]
    return section("value_chains", "Value chains", blocks, [])


def services(view: WarehouseView, iso3: str) -> dict[str, Any]:
    name, t = country_name(iso3), "services_exposure"
    title = "Services and restrictiveness"
    blocks, missing = [], []
    rows = view.rows(t, {"iso3": iso3})
    if rows.empty:
        missing.append(not_covered(view, t, iso3, "Services exports by TiSA-style sector"))
    else:
        now, year = latest(rows)
        key = ["iso3", "year", "sector_id"]
        table_rows = [[cell(r["sector_id"]), figure(t, r, "exports_usd", key, f"{r['sector_id']} exports"),
                       figure(t, r, "imports_usd", key, f"{r['sector_id']} imports"),
                       figure(t, r, "rca", key, f"{r['sector_id']} RCA"), figure(t, r, "stri", key, f"{r['sector_id']} STRI")]
                      for _, r in now.sort_values("exports_usd", ascending=False).iterrows()]
        blocks.append(table(f"Services trade by TiSA-style sector, {year} ({now['source'].iloc[0]})",
                            ["sector", "exports", "imports", "RCA within services", "STRI"], table_rows))
    stri = restrictiveness(view, iso3)
    if stri is None:
        missing.append(not_covered(view, "services_restrictiveness_profile", iso3, "Services restrictiveness (STRI)",
                                   "iso3"))
    else:
        blocks.append(stri)
    return section("services", title, blocks, missing)


def restrictiveness(view: WarehouseView, iso3: str) -> dict[str, Any] | None:
    """The country's STRI composites of the latest year of each index, beside the BRICS and TISA
    averages of the same index, sector and year."""
    t = "services_restrictiveness_profile"
    own = view.rows(t, {"unit": iso3, "policy_area": "composite"})
    if own.empty:
        return None
    groups = view.rows(t, {"unit": ["BRICS", "TISA"], "policy_area": "composite"})
    key = ["unit", "year", "index_id", "sector_id", "policy_area"]
    table_rows = []
    for index_id, part in own.groupby("index_id"):
        now, year = latest(part)
        for _, r in now.sort_values("sector_id").iterrows():
            row = [cell(f"{index_id} / {r['sector_id']}"), figure(t, r, "value", key, f"{index_id} {r['sector_id']}"),
                   figure(t, r, "rank_most_restrictive", key, f"rank {index_id} {r['sector_id']}"),
                   figure(t, r, "economies_ranked", key, f"ranked {index_id} {r['sector_id']}")]
            for group in ("BRICS", "TISA"):
                g = groups[(groups["unit"] == group) & (groups["year"] == year) & (groups["index_id"] == index_id)
                           & (groups["sector_id"] == r["sector_id"])]
                row.append(figure(t, g.iloc[0], "value", key, f"{group} average") if len(g) else None)
            table_rows.append(row)
    year_text = ", ".join(str(y) for y in sorted(own["year"].unique())[-1:])
    return table(f"OECD Services Trade Restrictiveness Index (0 open .. 1 closed), latest year {year_text}",
                 ["index / sector", "value", "rank (1 = most restrictive)", "economies ranked", "BRICS average",
                  "TISA average"], table_rows)


def scenarios(view: WarehouseView, iso3: str) -> dict[str, Any]:
    name, t = country_name(iso3), "agreement_impacts"
    title = "Agreement scenarios (general equilibrium)"
    rows = view.rows(t, {"iso3": iso3})
    if rows.empty:
        line = not_covered(view, t, iso3, "Agreement scenarios")
        panels = view.rows(t, {}, ["scenario", "panel_id"]).drop_duplicates() if view.has(t) else None
        if panels is not None and len(panels):
            line += " Shipped scenarios and their panels: " + "; ".join(
                f"{s} ({p})" for s, p in panels.sort_values("scenario").itertuples(index=False)) + "."
        return section("scenarios", title, [], [line])
    key = ["scenario", "iso3"]
    table_rows, chart_rows = [], []
    for _, r in rows.sort_values("scenario").iterrows():
        role = "member" if bool(r["member"]) else "outsider"
        gdp = figure(t, r, "pct_change_real_gdp", key, f"{r['scenario']}: real GDP")
        absent = str(r.get("members_absent_from_panel") or "")
        panel = f"{r['panel_id']}, {int(r['baseline_year'])}, sector {r.get('sector') or 'all'}" + (
            f"; members not in the panel: {absent}" if absent else "")
        table_rows.append([cell(r["scenario"]), cell(role), cell(panel), gdp,
                           figure(t, r, "pct_change_real_gdp_p05", key, f"{r['scenario']}: real GDP p05"),
                           figure(t, r, "pct_change_real_gdp_p95", key, f"{r['scenario']}: real GDP p95"),
                           figure(t, r, "pct_change_exports", key, f"{r['scenario']}: exports"),
                           figure(t, r, "pct_change_exports_p05", key, f"{r['scenario']}: exports p05"),
                           figure(t, r, "pct_change_exports_p95", key, f"{r['scenario']}: exports p95")])
        chart_rows.append((f"{r['scenario']} ({role})", gdp, table_rows[-1][4], table_rows[-1][5]))
    blocks = [table(f"{name}'s effects under each shipped scenario (% change from the baseline; 5th-95th "
                    "percentile over Monte Carlo draws of the agreement coefficient)",
                    ["scenario", f"{name} is", "panel, baseline year, sector (exports are of that sector)", "real GDP", "p05", "p95", "exports", "p05",
                     "p95"], table_rows),
              plot("Real GDP effects", charts.interval_chart(chart_rows, f"{name}: real GDP, % change"))]
    return section("scenarios", title, blocks, [])


__all__ = ["strategic", "value_chains", "services", "scenarios"]
