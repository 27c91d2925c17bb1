"""Product-level dependency tables built from the canonical bilateral table.

Each function evaluates every product classification present, one at a time (never summing
across classifications). A partial classification gives a country's rows only where it holds
that country's own trade (the partners it reaches, or its flows, against the world-complete
classification of the same year); :mod:`pipeline.metrics.product_coverage` then says whether
the row stands as the country's figure.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from pipeline.metrics.commodity import commodity_dependence, sitc3_split, world_weights
from pipeline.metrics.goods_sources import TotalsSource, declared_exports
from pipeline.metrics.product_concentration import export_product_concentration, unctad_concentration
from pipeline.metrics.product_coverage import (
    MIN_COVERAGE, MIN_PARTNER_COVERAGE, export_coverage, partner_coverage, reference_exports,
)
from pipeline.metrics.product_flows import (
    classifications, coverage_share, exports_by_product, product_classifications_present, product_flows,
)
from pipeline.metrics.rca import published_rca, rca_of_flows
from pipeline.metrics.strategic import dependency_indicators, world_supply_hhi
from pipeline.reference.codes import country_codes
from pipeline.reference.composites import without_covered_composites

__all__ = ["MIN_COVERAGE", "product_concentration_table", "rca_table", "strategic_table", "world_trade_weights"]

# A country's flows in a partial classification count as its own when they hold at least this
# share of its flows in the world-complete reference of the same year (the Atlas HS subset
# holds all flows of its 31 countries: 1.0; a neighbour's exports to them: a fraction).
MIN_WITHIN_SOURCE = 0.95


def _all_flows(bilateral: pd.DataFrame, names: list[str], keep_unallocated: bool = False) -> dict[str, pd.DataFrame]:
    """Product flows of each classification, computed once (each pass scans every row)."""
    return {name: product_flows(bilateral, name, keep_unallocated) for name in names}


def _reference(flows: dict[str, pd.DataFrame]) -> pd.DataFrame | None:
    complete = [c for c in flows if classifications()[c]["world_complete"]]
    return flows[complete[0]] if complete else None


def covered_countries(flows: pd.DataFrame, reference: pd.DataFrame | None, side: str,
                      unknown_ok: bool) -> pd.DataFrame:
    """``coverage_share`` rows of the countries whose ``side`` flows reach :data:`MIN_WITHIN_SOURCE`
    of ``reference`` (or have none to compare with, where ``unknown_ok``)."""
    cov = coverage_share(flows, reference, side)
    ok = cov["coverage_share"] >= MIN_WITHIN_SOURCE
    if unknown_ok:
        ok |= cov["coverage_share"].isna()
    return cov[ok]


def world_trade_weights(all_flows: dict[str, pd.DataFrame],
                        country_exports: pd.DataFrame | None) -> tuple[pd.Series | None, str]:
    """World exports per product from the finest world-level HS source at hand: a
    world-complete HS6 classification (a user's full BACI) first, else the country-by-product
    world exports (Open Trade Statistics HS4), latest year. Returns the weights and their name."""
    hs6 = world_hs6([c for c, f in all_flows.items() if len(f)])
    if hs6:
        flows = all_flows[hs6]
        year = int(flows["year"].max())
        return world_weights(exports_by_product(flows[flows["year"] == year])), f"world exports {hs6} {year}"
    return country_export_weights(country_exports)


def world_hs6(names: list[str]) -> str | None:
    """The first world-complete HS6 classification of ``names`` (those holding flows), if any:
    the source of :func:`world_trade_weights`."""
    hs6 = [c for c in names if classifications()[c]["world_complete"]
           and classifications()[c]["nomenclature"] and c.endswith("_6")]
    return hs6[0] if hs6 else None


def country_export_weights(country_exports: pd.DataFrame | None) -> tuple[pd.Series | None, str]:
    """:func:`world_trade_weights` without a world-complete HS6 classification: the
    country-by-product world exports of the latest year, else none."""
    if country_exports is not None and len(country_exports):
        year = int(country_exports["year"].max())
        latest = country_exports[country_exports["year"] == year]
        name = latest["product_classification"].iloc[0]
        return world_weights(latest), f"world exports {name} {year} (country_product_exports)"
    return None, "none: equal split of HS6 subheadings"


def _hs_metrics(exports: pd.DataFrame, name: str, sitc_map: pd.DataFrame,
                weights: pd.Series | None, weights_name: str) -> pd.DataFrame:
    """UNCTAD commodity shares and concentration index of one HS classification."""
    spec = classifications()[name]
    codes = pd.Series(exports["product_code"].unique())
    own = weights if not name.endswith("_6") else None
    split = sitc3_split(codes, sitc_map, spec["nomenclature"], own)
    table = commodity_dependence(exports, split).merge(unctad_concentration(exports, split), on=["iso3", "year"],
                                                       how="outer")
    return table.assign(commodity_weights="HS6 codes: no weights needed" if own is None else weights_name)


def _row_sources(bilateral: pd.DataFrame, name: str) -> pd.DataFrame:
    """The dataset id(s) of each exporter-year's rows of one classification (``a; b`` for several)."""
    rows = bilateral.loc[bilateral["product_classification"] == name, ["reporter_iso3", "partner_iso3", "year",
                                                                        "flow", "source"]]
    exporter = rows["reporter_iso3"].where(rows["flow"] == "export", rows["partner_iso3"])
    pairs = pd.DataFrame({"iso3": exporter.astype(str), "year": rows["year"].astype(int),
                          "source": rows["source"].astype(str)}).drop_duplicates()
    return pairs.groupby(["iso3", "year"], as_index=False)["source"].agg(lambda s: "; ".join(sorted(s)))


def export_reporters(bilateral: pd.DataFrame, name: str) -> pd.DataFrame:
    """``iso3, year`` of every reporter of export rows of one classification."""
    reporters = bilateral.loc[(bilateral["product_classification"] == name) & (bilateral["flow"] == "export"),
                              ["reporter_iso3", "year"]].drop_duplicates()
    return reporters.rename(columns={"reporter_iso3": "iso3"}).astype({"iso3": str, "year": int})


def _own_reporters(reporters: pd.DataFrame, flows: pd.DataFrame, reference: pd.DataFrame | None) -> pd.DataFrame:
    """The ``iso3, year`` a partial classification holds as product sources of their own.

    A reporter of its export rows (``reporters``, :func:`export_reporters`) whose flows reach
    partners taking at least :data:`MIN_PARTNER_COVERAGE` of its exports in the world-complete
    reference (unknown without one). Where the classification holds some country's imports in
    full that year (the Atlas HS subset holds both sides of its 31 countries) its imports must
    be held too (:data:`MIN_WITHIN_SOURCE`, as :func:`strategic_table`): the Netherlands
    Antilles 2011 sends 99 % of its exports to Togo, one of the 31, but is none of them. An
    exporters' extract (BACI of South Africa and Afghanistan) holds nobody's imports: export
    side only. ``flows`` and ``reference`` need only exporter, importer, year and value (summed
    over products or not).
    """
    reach = partner_coverage(flows, reference)
    own = reach[reach["partner_coverage_share"].isna() | (reach["partner_coverage_share"] >= MIN_PARTNER_COVERAGE)]
    own = own[["iso3", "year"]].merge(reporters, on=["iso3", "year"])
    if reference is None or reference.empty:
        return own
    imports = coverage_share(flows, reference, "importer_iso3")
    held = imports["coverage_share"] >= MIN_WITHIN_SOURCE
    both_sides = set(imports.loc[held, "year"])
    own = own.merge(imports, on=["iso3", "year"], how="left")
    keep = ~own["year"].isin(both_sides) | (own["coverage_share"] >= MIN_WITHIN_SOURCE)
    return own.loc[keep, ["iso3", "year"]]


def _bilateral_sources(bilateral: pd.DataFrame, present: list[str], all_flows: dict[str, pd.DataFrame],
                       economy_flows: dict[str, pd.DataFrame]) -> list[tuple[str, pd.DataFrame]]:
    """:func:`product_sources` of a frame of the whole product table."""
    return product_sources(present, {name: exports_by_product(all_flows[name]) for name in present},
                           {name: _row_sources(bilateral, name) for name in present},
                           {name: export_reporters(bilateral, name) for name in present}, economy_flows)


def product_sources(present: list[str], exports: dict[str, pd.DataFrame], row_sources: dict[str, pd.DataFrame],
                    reporters: dict[str, pd.DataFrame],
                    economy_flows: dict[str, pd.DataFrame]) -> list[tuple[str, pd.DataFrame]]:
    """Each classification's exports by product of the countries it holds as product sources.

    ``exports``: each classification's exports by product to all partners but aggregates
    (flows kept with ``keep_unallocated``): a country's product mix is its whole export basket,
    Atlas ``ANS`` and areas n.e.s. included, as in the WDI total it is compared with (Bahrain
    2011: sector 3 is 48 % of its exports to economies, 81 % of all). Exporters are economies
    only (ANS exports are no country's). ``row_sources``: the dataset(s) of each exporter-year
    (:func:`_row_sources`); ``reporters``: :func:`export_reporters`. A world-complete
    classification holds every exporter; a partial one the countries of :func:`_own_reporters`,
    judged on flows between economies (``economy_flows``, which may be summed over products):
    the Atlas HS subset's 31 countries, a BACI extract's exporters whatever its values (South
    Africa 2020: 60 % of WDI, kept with its coverage note), not a neighbour seen only through
    its exports to those 31.
    """
    reference = _reference(economy_flows)
    out = []
    for name in present:
        by_product = exports[name]
        by_product = by_product[country_codes().is_economy(by_product["iso3"])]  # ANS exports: no country's
        by_product = by_product.merge(row_sources[name], on=["iso3", "year"], how="left")
        if not classifications()[name]["world_complete"]:
            own = _own_reporters(reporters[name], economy_flows[name], reference)
            by_product = by_product.merge(own, on=["iso3", "year"])
        out.append((name, by_product))
    return out


def _no_hs_note(name: str, sitc_map: pd.DataFrame | None) -> str:
    if classifications()[name]["nomenclature"]:
        return "no HS -> SITC table (TRADE_BULK_DIR unset)"
    return (f"{name} codes are not HS: groups mix primary and manufactured goods, so UNCTAD commodity shares and "
            "the SITC concentration index cannot be computed")


def product_concentration_table(bilateral: pd.DataFrame, sitc_map: pd.DataFrame | None,
                                macro: pd.DataFrame | None = None,
                                country_exports: pd.DataFrame | None = None,
                                precedence: list[TotalsSource] | None = None,
                                caveats: dict[str, str] | None = None) -> pd.DataFrame:
    """Export concentration (HHI, Theil, UNCTAD index) and UNCTAD commodity dependence per
    country, year and product source, with the coverage that decides which row is the country's
    figure.

    Product sources: every classification of ``bilateral`` (the countries each holds, see
    :func:`_bilateral_sources`) and of ``country_exports`` (each country's exports to the world
    by product); ``source`` names the dataset(s) of each row. Every row then gets
    :func:`~pipeline.metrics.product_coverage.export_coverage` against WDI merchandise exports
    (``macro``), else the declared goods-totals source of the country-year (``precedence``,
    default the shared manifest's); ``caveats`` (dataset id -> text, the manifest's
    ``caveat:``) are quoted in the notes of that source's rows. Rows of a world-complete
    classification are kept whatever their coverage. Commodity shares and the UNCTAD index need
    HS codes and ``sitc_map``; elsewhere they stay empty and ``commodity_note`` /
    ``unctad_concentration_note`` say why.
    """
    present = product_classifications_present(bilateral)
    all_flows = _all_flows(bilateral, present, keep_unallocated=True)
    totals = reference_exports(macro, declared_exports(bilateral, precedence))
    weights, weights_name = world_trade_weights(all_flows, country_exports)
    sources = _bilateral_sources(bilateral, present, all_flows, _all_flows(bilateral, present))
    frames = concentration_frames(sources + country_export_sources(country_exports), sitc_map, totals, weights,
                                  weights_name, caveats)
    return published_concentration(frames)


def country_export_sources(country_exports: pd.DataFrame | None) -> list[tuple[str, pd.DataFrame]]:
    """Each classification of ``country_exports`` as a product source: each country's exports to
    the world by product, with the dataset(s) of its rows."""
    sources = []
    if country_exports is not None:
        for name, rows in country_exports.groupby("product_classification"):
            by_product = rows.groupby(["iso3", "year", "product_code"], as_index=False)["value_usd"].sum()
            row_sources = rows.groupby(["iso3", "year"], as_index=False)["source"].agg(
                lambda s: "; ".join(sorted(set(map(str, s)))))
            sources.append((name, by_product.merge(row_sources, on=["iso3", "year"], how="left")))
    return sources


def concentration_frames(sources: list[tuple[str, pd.DataFrame]], sitc_map: pd.DataFrame | None,
                         totals: pd.DataFrame, weights: pd.Series | None, weights_name: str,
                         caveats: dict[str, str] | None) -> list[pd.DataFrame]:
    """The rows of :func:`product_concentration_table` of each product source (``name, exports
    by product with source``), against the reference exports ``totals``."""
    frames = []
    for name, exports in sources:
        spec = classifications()[name]
        table = export_product_concentration(exports[["iso3", "year", "product_code", "value_usd"]],
                                             spec.get("universe"))
        table = table.merge(exports[["iso3", "year", "source"]].drop_duplicates(), on=["iso3", "year"], how="left")
        if spec["nomenclature"] and sitc_map is not None:
            table = table.merge(_hs_metrics(exports, name, sitc_map, weights, weights_name), on=["iso3", "year"],
                                how="left")
            table["commodity_note"] = table["commodity_note"].fillna("")
            table["unctad_concentration_note"] = table["unctad_concentration_note"].fillna("")
        else:
            table["commodity_note"] = table["unctad_concentration_note"] = _no_hs_note(name, sitc_map)
        coverage = export_coverage(table, totals, caveats, world_complete=bool(spec["world_complete"]))
        frames.append(table.merge(coverage, on=["iso3", "year"], how="left").assign(product_classification=name))
    return frames


def published_concentration(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The ``export_product_concentration`` table from :func:`concentration_frames`: no composite
    code beside its constituents in a year, sorted by year, country and classification."""
    if not frames:
        return pd.DataFrame()  # no product detail (TOTAL only): the gate adds the columns
    columns = list(dict.fromkeys(c for f in frames for c in f.columns))
    # All-empty columns (no commodity share on Atlas sectors) are added back after the concat.
    out = pd.concat([f.dropna(axis=1, how="all") for f in frames], ignore_index=True).reindex(columns=columns)
    out = without_covered_composites(out, by=("year", "product_classification"))
    return out.sort_values(["year", "iso3", "product_classification"]).reset_index(drop=True)


def rca_table(bilateral: pd.DataFrame) -> pd.DataFrame:
    """Balassa RCA per country, product and year for every world-complete classification, from a
    frame of the whole product table (the published table comes from
    :func:`pipeline.metrics.rca.rca_by_year`, one year partition at a time)."""
    return published_rca([rca_of_flows(exports_by_product(product_flows(bilateral, name)), name)
                          for name in product_classifications_present(bilateral)
                          if classifications()[name]["world_complete"]])


def strategic_table(bilateral: pd.DataFrame, membership: pd.DataFrame, config: dict[str, Any]) -> pd.DataFrame:
    """The EC indicators (:func:`pipeline.metrics.strategic.dependency_indicators`) for every
    evaluated unit, product and year of each configured classification present: every row
    evaluated, flagged or not (``is_dependency``), so "evaluated, none flagged" stays visible.

    Units are complete economies and configured groups all of whose members are complete. On a
    world-complete classification (Atlas sectors) every economy is; on a partial one (the Atlas
    HS subset) only economies whose imports AND exports reach :data:`MIN_COVERAGE` of the
    world-complete reference (the subset's 31 countries), so the EU as a unit is evaluated on
    Atlas sectors only. Sector labels only on HS classifications; world supply HHI only where
    the classification is world-complete.

    Flows with undeclared partners (Atlas ANS, UNS ...) are kept (``keep_unallocated``): they
    belong in a unit's total imports and exports (criteria 2 and 3; ANS is most of Spain's
    imports of Atlas sector 9 in 2019) but are never a unit, a supplier in the HHI or the top
    supplier (:func:`pipeline.metrics.strategic.dependency_indicators`).
    """
    present = product_classifications_present(bilateral)
    wanted = [c for c in config["classifications"] if c in present]
    all_flows = _all_flows(bilateral, wanted + [c for c in present if c not in wanted
                                                and classifications()[c]["world_complete"]],
                           keep_unallocated=True)
    reference = _reference(all_flows)
    frames = []
    for name in wanted:
        spec = classifications()[name]
        flows = all_flows[name]
        complete = None
        if not spec["world_complete"]:
            # Imports are mirror flows and exports feed criterion 3: both sides must be held in full.
            importers = covered_countries(flows, reference, "importer_iso3", unknown_ok=False)
            exporters = covered_countries(flows, reference, "exporter_iso3", unknown_ok=False)
            complete = importers[["iso3", "year"]].merge(exporters[["iso3", "year"]], on=["iso3", "year"])
            if complete.empty:
                continue
        table = dependency_indicators(flows, membership, config, complete)
        if not spec["nomenclature"]:
            table[["strategic_sector", "strategic_sector_match"]] = pd.NA  # Atlas "3" is no HS chapter
        if spec["world_complete"]:
            table = table.merge(world_supply_hhi(flows), on=["year", "product_code"], how="left")
        else:
            table["world_supply_hhi"] = float("nan")
        frames.append(table.assign(product_classification=name))
    if not frames:
        return pd.DataFrame()
    return without_covered_composites(pd.concat(frames, ignore_index=True), code="unit",
                                      by=("year", "product_classification"))
