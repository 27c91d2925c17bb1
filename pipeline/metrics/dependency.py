"""Product-level dependency tables built from the canonical bilateral table.

Each function evaluates every product classification present, one at a time (never summing
across classifications), and keeps only the countries whose flows in that classification are
complete enough to read as their own trade (``coverage_share``, see
:func:`pipeline.metrics.product_flows.coverage_share`).
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from pipeline.metrics.commodity import commodity_export_share, primary_fraction
from pipeline.metrics.product_concentration import export_product_concentration
from pipeline.metrics.product_flows import (
    classifications, coverage_share, exports_by_product, product_classifications_present, product_flows,
)
from pipeline.metrics.rca import balassa_rca
from pipeline.metrics.strategic import dependency_indicators, world_supply_hhi

# A country's flows in a partial classification count as its own when they hold at least this
# share of its flows in the world-complete reference of the same year (the Atlas HS subset
# holds all flows of its 31 countries: 1.0; a neighbour's exports to them: a fraction).
MIN_COVERAGE = 0.95


def _all_flows(bilateral: pd.DataFrame, names: list[str], keep_unallocated: bool = False) -> dict[str, pd.DataFrame]:
    """Product flows of each classification, computed once (each pass scans every row)."""
    return {name: product_flows(bilateral, name, keep_unallocated) for name in names}


def _reference(flows: dict[str, pd.DataFrame]) -> pd.DataFrame | None:
    complete = [c for c in flows if classifications()[c]["world_complete"]]
    return flows[complete[0]] if complete else None


def _covered(flows: pd.DataFrame, reference: pd.DataFrame | None, side: str, unknown_ok: bool) -> pd.DataFrame:
    cov = coverage_share(flows, reference, side)
    ok = cov["coverage_share"] >= MIN_COVERAGE
    if unknown_ok:
        ok |= cov["coverage_share"].isna()
    return cov[ok]


def product_concentration_table(bilateral: pd.DataFrame, flags: pd.DataFrame | None) -> pd.DataFrame:
    """Export product HHI, Theil, commodity share per country, year and classification.

    Without ``flags`` (the UNCTAD HS6 flag table) the commodity share stays empty.

    Exporters are the reporters of each classification with complete exports (coverage >=
    :data:`MIN_COVERAGE`, or no reference that year, e.g. BACI 2021). Commodity share only for
    HS classifications (``nomenclature`` set).
    """
    present = product_classifications_present(bilateral)
    all_flows = _all_flows(bilateral, present)
    reference = _reference(all_flows)
    frames = []
    for name in present:
        spec = classifications()[name]
        flows = all_flows[name]
        reporters = bilateral.loc[(bilateral["product_classification"] == name) & (bilateral["flow"] == "export"),
                                  ["reporter_iso3", "year"]].drop_duplicates()
        reporters = reporters.rename(columns={"reporter_iso3": "iso3"}).astype({"iso3": str, "year": int})
        covered = _covered(flows, None if spec["world_complete"] else reference, "exporter_iso3", unknown_ok=True)
        covered = covered.merge(reporters, on=["iso3", "year"])
        exports = exports_by_product(flows).merge(covered[["iso3", "year"]], on=["iso3", "year"])
        table = export_product_concentration(exports, spec.get("universe"))
        if spec["nomenclature"] and flags is not None:
            codes = pd.Series(exports["product_code"].unique())
            fraction = pd.Series(primary_fraction(codes, flags, spec["nomenclature"]).to_numpy(), index=codes)
            table = table.merge(commodity_export_share(exports, fraction), on=["iso3", "year"], how="left")
        else:
            table["commodity_export_share"] = float("nan")
        table = table.merge(covered, on=["iso3", "year"], how="left")
        frames.append(table.assign(product_classification=name))
    if not frames:
        return pd.DataFrame()  # no product detail (TOTAL only): the gate adds the columns
    columns = list(dict.fromkeys(c for f in frames for c in f.columns))
    # All-empty columns (no commodity share on Atlas sectors) are added back after the concat.
    out = pd.concat([f.dropna(axis=1, how="all") for f in frames], ignore_index=True).reindex(columns=columns)
    return out.sort_values(["year", "iso3", "product_classification"]).reset_index(drop=True)


def rca_table(bilateral: pd.DataFrame) -> pd.DataFrame:
    """Balassa RCA per country, product and year for every world-complete classification."""
    frames = []
    for name in product_classifications_present(bilateral):
        if not classifications()[name]["world_complete"]:
            continue
        exports = exports_by_product(product_flows(bilateral, name))
        frames.append(balassa_rca(exports).assign(product_classification=name))
    if not frames:
        return pd.DataFrame()  # no world-complete classification: the gate adds the columns
    out = pd.concat(frames, ignore_index=True).rename(columns={"value_usd": "export_value_usd"})
    return out.sort_values(["year", "iso3", "product_classification", "product_code"]).reset_index(drop=True)


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
            importers = _covered(flows, reference, "importer_iso3", unknown_ok=False)
            exporters = _covered(flows, reference, "exporter_iso3", unknown_ok=False)
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
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
