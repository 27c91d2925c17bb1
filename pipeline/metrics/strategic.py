"""Strategic dependencies at product level after the European Commission (2021).

Commission Staff Working Document SWD(2021) 352, "Strategic dependencies and capacities"
(5 May 2021), annex 1: a product is a foreign dependency when (1) its extra-EU imports are
concentrated on few suppliers (HHI > 0.4), (2) extra-EU imports are a large part of total
imports (> 50%) and (3) they are large against EU exports of the product, a proxy for EU
production and so for substitutability (ratio > 1). Here "the EU" becomes each country's home
group (the first configured group it belongs to that year, else the country alone).
Thresholds and the strategic-sector reference list live in
``pipeline/reference/strategic_dependencies.yaml``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import yaml

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "reference" / "strategic_dependencies.yaml"
THRESHOLD_KEYS = ("supplier_hhi_min", "extra_group_import_share_min", "import_to_export_ratio_min")


def load_strategic_config(path: Path | str | None = None) -> dict[str, Any]:
    """Thresholds, home groups, classifications and strategic sectors, checked."""
    path = Path(path) if path else DEFAULT_CONFIG
    if not path.is_file():
        raise FileNotFoundError(f"strategic-dependency config {path} not found: restore it from "
                                f"git or pass a copy of {DEFAULT_CONFIG}")
    config = yaml.safe_load(path.read_text()) or {}
    missing = [k for k in THRESHOLD_KEYS if k not in config.get("thresholds", {})]
    if missing:
        raise ValueError(f"{path}: thresholds lack {missing} (EC defaults: 0.4, 0.5, 1.0)")
    config.setdefault("home_groups", [])
    config.setdefault("strategic_sectors", {})
    return config


def home_groups(countries: pd.DataFrame, membership: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """Each country's home group per year: the first group of ``order`` it belongs to that
    year (``membership``: ``year, group_id, iso3``), else its own code (the country alone).

    ``countries``: ``iso3, year``. Returns ``iso3, year, home_group``.
    """
    out = countries[["iso3", "year"]].drop_duplicates().assign(home_group=pd.NA)
    for group in reversed(order):  # the first of the list wins
        members = membership[membership["group_id"] == group][["iso3", "year"]].assign(_g=group)
        out = out.merge(members, on=["iso3", "year"], how="left")
        out["home_group"] = out["_g"].where(out["_g"].notna(), out["home_group"])
        out = out.drop(columns="_g")
    out["home_group"] = out["home_group"].fillna(out["iso3"]).astype(str)
    return out


def strategic_sector(codes: pd.Series, sectors: dict[str, list[str]]) -> pd.Series:
    """Label of the reference sector whose HS prefix the code starts with, else NA."""
    label = pd.Series(pd.NA, index=codes.index, dtype="object")
    for name, prefixes in sectors.items():
        for prefix in prefixes:
            label = label.where(label.notna() | ~codes.str.startswith(str(prefix)), name)
    return label


def dependency_indicators(flows: pd.DataFrame, membership: pd.DataFrame, config: dict[str, Any],
                          importers: pd.DataFrame | None = None) -> pd.DataFrame:
    """The three EC criteria for every importer, year and product of one classification.

    ``flows``: ``exporter_iso3, importer_iso3, year, product_code, value_usd``, all flows of
    the classification (group exports are summed over every destination). ``importers``
    (``iso3, year``) restricts the evaluation to importers whose imports the flows hold in
    full; ``None`` evaluates every importer. For importer c with home group G, product k, year t:

    - ``imports_usd`` :math:`M = \\sum_p m_{p}`; ``extra_group_imports_usd``
      :math:`M^{x} = \\sum_{p \\notin G} m_p` (USD);
    - ``supplier_hhi`` :math:`\\sum_{p \\notin G} (m_p / M^{x})^2` (0..1), criterion 1;
    - ``extra_group_import_share`` :math:`M^{x} / M` (0..1), criterion 2;
    - ``group_exports_usd`` :math:`X_G = \\sum_{g \\in G} x_{g,k}` (exports to every
      destination, intra-group included, the EC's proxy for production);
      ``import_to_export_ratio`` :math:`M^{x} / X_G` (unitless; infinite when G exports none,
      stored as NaN with ``is_dependency`` true if the other criteria hold), criterion 3;
    - ``is_dependency``: all three above their thresholds.

    Products imported for less than ``thresholds.min_imports_usd`` are dropped.
    """
    t = config["thresholds"]
    imp = flows.rename(columns={"exporter_iso3": "partner_iso3", "importer_iso3": "iso3"})
    if importers is not None:
        imp = imp.merge(importers[["iso3", "year"]].drop_duplicates(), on=["iso3", "year"])
    home = home_groups(imp, membership, config["home_groups"])
    imp = imp.merge(home, on=["iso3", "year"])
    members = membership[membership["group_id"].isin(config["home_groups"])].rename(
        columns={"group_id": "home_group", "iso3": "partner_iso3"}).assign(in_group=True)
    imp = imp.merge(members, on=["year", "home_group", "partner_iso3"], how="left")
    imp["in_group"] = imp["in_group"].astype("boolean").fillna(False).astype(bool)
    key = ["iso3", "year", "product_code"]
    total = imp.groupby(key + ["home_group"], as_index=False)["value_usd"].sum().rename(columns={"value_usd": "imports_usd"})
    extra = imp[~imp["in_group"]]
    extra_total = extra.groupby(key)["value_usd"].transform("sum")
    extra = extra.assign(s2=(extra["value_usd"] / extra_total) ** 2, share=extra["value_usd"] / extra_total)
    by = extra.groupby(key, as_index=False).agg(extra_group_imports_usd=("value_usd", "sum"), supplier_hhi=("s2", "sum"))
    top = extra.sort_values(["share", "partner_iso3"], ascending=[False, True]).drop_duplicates(key)[
        key + ["partner_iso3", "share"]].rename(columns={"partner_iso3": "top_supplier_iso3", "share": "top_supplier_share"})
    out = total.merge(by, on=key, how="left").merge(top, on=key, how="left")
    out["extra_group_imports_usd"] = out["extra_group_imports_usd"].fillna(0.0)
    out["extra_group_import_share"] = (out["extra_group_imports_usd"] / out["imports_usd"]).clip(0.0, 1.0)
    # Group production proxy: exports of the home group's members (or the country alone).
    exports = flows.groupby(["exporter_iso3", "year", "product_code"], as_index=False)["value_usd"].sum()
    exports = exports.rename(columns={"exporter_iso3": "iso3"})
    alone = exports.rename(columns={"iso3": "home_group"})
    grouped = exports.merge(membership[membership["group_id"].isin(config["home_groups"])], on=["iso3", "year"])
    grouped = grouped.groupby(["group_id", "year", "product_code"], as_index=False)["value_usd"].sum()
    group_exports = pd.concat([alone, grouped.rename(columns={"group_id": "home_group"})], ignore_index=True)
    out = out.merge(group_exports.rename(columns={"value_usd": "group_exports_usd"}),
                    on=["home_group", "year", "product_code"], how="left")
    out["group_exports_usd"] = out["group_exports_usd"].fillna(0.0)
    out["import_to_export_ratio"] = out["extra_group_imports_usd"] / out["group_exports_usd"].where(out["group_exports_usd"] > 0)
    ratio_met = (out["import_to_export_ratio"] > t["import_to_export_ratio_min"]) | (
        (out["group_exports_usd"] <= 0) & (out["extra_group_imports_usd"] > 0))
    out["is_dependency"] = ((out["supplier_hhi"] > t["supplier_hhi_min"])
                            & (out["extra_group_import_share"] > t["extra_group_import_share_min"]) & ratio_met)
    out = out[out["imports_usd"] >= t.get("min_imports_usd", 0)]
    out["strategic_sector"] = strategic_sector(out["product_code"], config["strategic_sectors"])
    return out.sort_values(["year", "iso3", "product_code"]).reset_index(drop=True)


def world_supply_hhi(flows: pd.DataFrame) -> pd.DataFrame:
    """Concentration of world supply: HHI of world exports of each product by exporter.

    :math:`\\sum_e (x_{e,k} / x_{w,k})^2` (0..1), meaningful only for a world-complete
    classification. Returns ``year, product_code, world_supply_hhi``.
    """
    by = flows.groupby(["year", "product_code", "exporter_iso3"], as_index=False)["value_usd"].sum()
    share = by["value_usd"] / by.groupby(["year", "product_code"])["value_usd"].transform("sum")
    by = by.assign(s2=share**2)
    return by.groupby(["year", "product_code"], as_index=False)["s2"].sum().rename(columns={"s2": "world_supply_hhi"})
