"""Strategic dependencies at product level after the European Commission (2021).

Commission Staff Working Document SWD(2021) 352, "Strategic dependencies and capacities"
(5 May 2021), section 2 and annex 1 (the bottom-up mapping at HS6/CN8): a product is a foreign
dependency of the EU when

1. its extra-EU imports are concentrated on few suppliers: HHI of the suppliers' shares > 0.4;
2. extra-EU imports are most of total (extra + intra-EU) imports, a proxy for demand: > 0.5;
3. extra-EU imports are large against **total EU exports** (to every destination, intra-EU
   included), the Commission's proxy for EU production capacity and so for the
   substitutability of imports: ratio > 1.

Each criterion is taken on ONE unit's own imports and exports (:func:`evaluation_units`):

- a configured group (``home_groups``, default the EU; membership of the year) as one unit, the
  case the method was written for: imports of all members, extra-group = from non-members,
  exports of all members;
- every economy alone: its own imports and its own exports. For a member of a home group its
  inside suppliers are the other members (criteria 1-2 on its extra-group imports, as national
  applications of the method do), and criterion 3 divides its extra-group imports by ITS OWN
  exports, never by the group's (which no member could ever exceed).

Thresholds and the strategic-sector list live in ``pipeline/reference/strategic_dependencies.yaml``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from pipeline.reference.codes import country_codes

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "reference" / "strategic_dependencies.yaml"
THRESHOLD_KEYS = ("supplier_hhi_min", "extra_group_import_share_min", "import_to_export_ratio_min")
UNIT_KEY = ["unit", "year", "product_code"]


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


def _sector_hits(codes: pd.Series, prefixes: list[str]) -> tuple[pd.Series, pd.Series]:
    """Which ``codes`` lie inside one of ``prefixes`` (start with it) and which only contain one
    (a shorter code a prefix starts with)."""
    inside = pd.Series(False, index=codes.index)
    contains = pd.Series(False, index=codes.index)
    for prefix in map(str, prefixes):
        inside |= codes.str.startswith(prefix)
        contains |= codes.map(prefix.startswith)
    return inside, contains & ~inside


def _sector_table(codes: pd.Series, sectors: dict[str, list[str]]) -> pd.DataFrame:
    """Label and kind of match of each distinct code (index: the code)."""
    unique = pd.Series(codes.astype(str).unique())
    labels = pd.Series([[] for _ in range(len(unique))], dtype="object")
    any_inside = pd.Series(False, index=unique.index)
    for name, prefixes in sectors.items():
        inside, contains = _sector_hits(unique, prefixes)
        any_inside |= inside
        labels = labels.where(~(inside | contains), labels.map(lambda names, n=name: names + [n]))
    labelled = labels.map(bool)
    match = pd.Series(pd.NA, index=unique.index, dtype="object")
    match[labelled & any_inside] = "heading"
    match[labelled & ~any_inside] = "chapter_contains"
    joined = labels.map(lambda names: "; ".join(names) if names else pd.NA)
    return pd.DataFrame({"strategic_sector": joined.to_numpy(), "strategic_sector_match": match.to_numpy()},
                        index=unique.to_numpy())


def strategic_sector(codes: pd.Series, sectors: dict[str, list[str]]) -> pd.Series:
    """Reference sectors of HS codes at any level, joined by ``"; "`` in configuration order.

    A code gets the label of every sector one of whose HS prefixes it starts with (6-digit
    850760 in heading 8507: batteries) or that starts with the code (chapter 28 contains the
    rare-earth headings 2805 and 2846, chapter 29 heading 2941, chapter 81 heading 8105). A
    chapter holding several sectors (85: semiconductors, batteries, electrical equipment)
    gets all of them. NA when none. Only meaningful for HS codes (not Atlas sectors).
    :func:`strategic_sector_match` says which of the two ways a code got its label.
    """
    table = _sector_table(codes, sectors)
    return codes.astype(str).map(table["strategic_sector"]).astype("object")


def strategic_sector_match(codes: pd.Series, sectors: dict[str, list[str]]) -> pd.Series:
    """How a code got its :func:`strategic_sector` label: ``"heading"`` when the code lies inside
    a listed prefix (2846, 850760, or any code of a listed chapter such as 30), so the whole
    product is in the sector; ``"chapter_contains"`` when the code only contains listed headings
    (chapter 28 holds rare earths 2805/2846 among all other inorganic chemicals): the label then
    names a small part of the product and overstates it. NA when no label.
    """
    table = _sector_table(codes, sectors)
    return codes.astype(str).map(table["strategic_sector_match"]).astype("object")


def evaluation_units(flows: pd.DataFrame, membership: pd.DataFrame, config: dict[str, Any],
                     complete: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The units evaluated and who counts as an inside supplier of each.

    ``complete`` (``iso3, year``): the economies whose imports AND exports the flows hold in
    full; ``None`` (a world-complete classification) takes every economy present in the flows
    that year. A group of ``config["home_groups"]`` is a unit in a year only when every one of
    its members that year is complete (the EU on Atlas sectors; not on the 31-country Atlas HS
    subset); groups absent from ``membership`` are skipped.

    Returns ``members`` (``unit, unit_type, home_group, year, iso3``: whose flows a unit sums;
    ``unit_type`` ``"economy"`` or ``"group"``) and ``inside`` (``unit, year, partner_iso3``:
    suppliers that are not extra-group for that unit).
    """
    sides = [flows[[c, "year"]].rename(columns={c: "iso3"}) for c in ("importer_iso3", "exporter_iso3")]
    present = pd.concat(sides, ignore_index=True).drop_duplicates()
    complete = present if complete is None else complete[["iso3", "year"]].drop_duplicates()
    # Undeclared partners (ANS, UNS ...) may be in the flows (they count in totals): never a unit.
    complete = complete[country_codes().is_economy(complete["iso3"]).to_numpy()]
    groups = [g for g in config["home_groups"] if g in set(membership["group_id"])]
    in_groups = membership[membership["group_id"].isin(groups)][["year", "group_id", "iso3"]]
    alone = home_groups(complete, membership, groups).assign(unit_type="economy")
    alone["unit"] = alone["iso3"]
    inside_alone = alone[["unit", "year", "home_group"]].merge(
        in_groups.rename(columns={"group_id": "home_group", "iso3": "partner_iso3"}), on=["year", "home_group"])
    ok = in_groups.merge(complete.assign(_ok=True), on=["iso3", "year"], how="left")
    # a composite or historical code (BLX = BEL + LUX) is a member through its constituents,
    # which are checked themselves: it need not be present in flows that report BEL and LUX
    composite = ok["iso3"].isin(list(country_codes().non_iso))
    ok = ok.assign(_ok=ok["_ok"].notna() | composite).groupby(["group_id", "year"])["_ok"].transform("all")
    grouped = in_groups[ok.to_numpy()].rename(columns={"group_id": "unit"})
    grouped = grouped.assign(unit_type="group", home_group=grouped["unit"])
    columns = ["unit", "unit_type", "home_group", "year", "iso3"]
    members = pd.concat([alone[columns], grouped[columns]], ignore_index=True)
    inside = pd.concat([inside_alone[["unit", "year", "partner_iso3"]],
                        grouped.rename(columns={"iso3": "partner_iso3"})[["unit", "year", "partner_iso3"]]],
                       ignore_index=True).drop_duplicates()
    return members, inside


def _suppliers(extra: pd.DataFrame) -> pd.DataFrame:
    """HHI and top supplier of each unit-product from its extra-group imports by partner.

    Shares are among supplier economies (:meth:`CountryCodes.is_economy`): imports from areas
    n.e.s. (UNS, ANS ...) count in the import totals but are no supplier and never rank top.
    """
    named = extra[country_codes().is_economy(extra["partner_iso3"]).to_numpy()]
    named = named.assign(share=named["value_usd"] / named.groupby(UNIT_KEY)["value_usd"].transform("sum"))
    hhi = named.assign(s2=named["share"] ** 2).groupby(UNIT_KEY, as_index=False)["s2"].sum()
    top = named.sort_values(["share", "partner_iso3"], ascending=[False, True]).drop_duplicates(UNIT_KEY)
    top = top[UNIT_KEY + ["partner_iso3", "share"]].rename(
        columns={"partner_iso3": "top_supplier_iso3", "share": "top_supplier_share"})
    return hhi.rename(columns={"s2": "supplier_hhi"}).merge(top, on=UNIT_KEY, how="outer")


def dependency_indicators(flows: pd.DataFrame, membership: pd.DataFrame, config: dict[str, Any],
                          complete: pd.DataFrame | None = None) -> pd.DataFrame:
    """The three EC criteria for every unit (:func:`evaluation_units`), year and product.

    ``flows``: ``exporter_iso3, importer_iso3, year, product_code, value_usd``, all flows of
    one classification. For unit u (member set :math:`I_u`, inside suppliers :math:`S_u`),
    product k, year t, with :math:`m_p` the imports of the members of u from partner p:

    - ``imports_usd`` :math:`M = \\sum_p m_p` over every partner, undeclared ones (Atlas ANS,
      UNS ...) included when the flows hold them, intra-group imports included (USD);
      ``extra_group_imports_usd`` :math:`M^{x} = \\sum_{p \\notin S_u} m_p` (USD): an
      undeclared partner is no member, so it is extra-group;
    - ``supplier_hhi`` :math:`\\sum_{e} (m_e / \\sum_{e'} m_{e'})^2` over the extra-group
      supplier ECONOMIES e only (0..1), criterion 1; undeclared partners are no supplier;
    - ``criterion2_applicable``: True for a group unit and for an economy with a home group.
      For an economy with no group every supplier is extra-group, so :math:`M^{x} / M = 1`
      by construction and the criterion says nothing: False there;
    - ``extra_group_import_share`` :math:`M^{x} / M` (0..1), criterion 2; NA where not
      applicable;
    - ``unit_exports_usd`` :math:`X_u = \\sum_{i \\in I_u} x_{i,k}`, exports of the unit's own
      members to every destination (intra-group included: "total EU exports");
      ``import_to_export_ratio`` :math:`M^{x} / X_u` (unitless), criterion 3; NaN when the
      unit exports none, the criterion then met if :math:`M^{x} > 0`;
    - ``is_dependency``: every applicable criterion strictly above its threshold (criteria 1
      and 3 only where criterion 2 is not applicable);
    - ``strategic_sector``, ``strategic_sector_match``: :func:`strategic_sector`,
      :func:`strategic_sector_match`.

    ``iso3`` is the economy of an ``economy`` unit and NA for a group. Unit-products imported
    for less than ``thresholds.min_imports_usd`` (a project filter, not in the EC method) are
    dropped (not evaluated).
    """
    members, inside = evaluation_units(flows, membership, config, complete)
    return criteria(unit_aggregates(flows, members, inside), members, config)


AGGREGATE_COLUMNS = [*UNIT_KEY, "imports_usd", "extra_group_imports_usd", "supplier_hhi", "top_supplier_iso3",
                     "top_supplier_share", "unit_exports_usd"]


def unit_aggregates(flows: pd.DataFrame, members: pd.DataFrame, inside: pd.DataFrame) -> pd.DataFrame:
    """The sums over flows that the criteria read, per unit, year and product imported
    (:func:`dependency_indicators`): :data:`AGGREGATE_COLUMNS`, ``extra_group_imports_usd``,
    ``supplier_hhi``, the top supplier and ``unit_exports_usd`` NaN where there is none.
    ``members`` and ``inside`` from :func:`evaluation_units`."""
    imp = flows.merge(members[["unit", "year", "iso3"]].rename(columns={"iso3": "importer_iso3"}),
                      on=["importer_iso3", "year"])
    imp = imp.groupby(UNIT_KEY + ["exporter_iso3"], as_index=False)["value_usd"].sum()
    imp = imp.rename(columns={"exporter_iso3": "partner_iso3"})
    imp = imp.merge(inside.assign(_in=True), on=["unit", "year", "partner_iso3"], how="left")
    extra = imp[imp["_in"].isna()]
    out = imp.groupby(UNIT_KEY, as_index=False)["value_usd"].sum().rename(columns={"value_usd": "imports_usd"})
    out = out.merge(extra.groupby(UNIT_KEY, as_index=False)["value_usd"].sum().rename(
        columns={"value_usd": "extra_group_imports_usd"}), on=UNIT_KEY, how="left")
    out = out.merge(_suppliers(extra), on=UNIT_KEY, how="left")
    exports = flows.merge(members[["unit", "year", "iso3"]].rename(columns={"iso3": "exporter_iso3"}),
                          on=["exporter_iso3", "year"])
    exports = exports.groupby(UNIT_KEY, as_index=False)["value_usd"].sum()
    out = out.merge(exports.rename(columns={"value_usd": "unit_exports_usd"}), on=UNIT_KEY, how="left")
    return out[AGGREGATE_COLUMNS]


def criteria(aggregates: pd.DataFrame, members: pd.DataFrame, config: dict[str, Any]) -> pd.DataFrame:
    """The three criteria, the flag and the sector labels of :func:`dependency_indicators` from
    :func:`unit_aggregates` (any engine's) and the units' ``members``."""
    t = config["thresholds"]
    attrs = members.drop_duplicates(["unit", "year"])[["unit", "year", "unit_type", "home_group"]]
    out = aggregates.merge(attrs, on=["unit", "year"])
    out["extra_group_imports_usd"] = out["extra_group_imports_usd"].fillna(0.0)
    out["criterion2_applicable"] = (out["unit_type"] == "group") | (out["home_group"] != out["unit"])
    out["extra_group_import_share"] = (out["extra_group_imports_usd"] / out["imports_usd"]).clip(0.0, 1.0).where(
        out["criterion2_applicable"])
    out["unit_exports_usd"] = out["unit_exports_usd"].fillna(0.0)
    out["import_to_export_ratio"] = out["extra_group_imports_usd"] / out["unit_exports_usd"].where(
        out["unit_exports_usd"] > 0)
    ratio_met = (out["import_to_export_ratio"] > t["import_to_export_ratio_min"]) | (
        (out["unit_exports_usd"] <= 0) & (out["extra_group_imports_usd"] > 0))
    share_met = (out["extra_group_import_share"] > t["extra_group_import_share_min"]) | ~out["criterion2_applicable"]
    out["is_dependency"] = (out["supplier_hhi"] > t["supplier_hhi_min"]) & share_met & ratio_met
    out["iso3"] = out["unit"].where(out["unit_type"] == "economy")
    out = out[out["imports_usd"] >= t.get("min_imports_usd", 0)].copy()
    sectors = _sector_table(out["product_code"], config["strategic_sectors"])
    out = out.join(sectors, on="product_code")
    return out.sort_values(["year", "unit", "product_code"]).reset_index(drop=True)


def world_supply_hhi(flows: pd.DataFrame) -> pd.DataFrame:
    """Concentration of world supply: HHI of world exports of each product by exporter.

    :math:`\\sum_e (x_{e,k} / x_{w,k})^2` (0..1), meaningful only for a world-complete
    classification. Exporters are economies only (undeclared ANS, UNS ... are no supplier).
    Returns ``year, product_code, world_supply_hhi``.
    """
    flows = flows[country_codes().is_economy(flows["exporter_iso3"]).to_numpy()]
    by = flows.groupby(["year", "product_code", "exporter_iso3"], as_index=False)["value_usd"].sum()
    share = by["value_usd"] / by.groupby(["year", "product_code"])["value_usd"].transform("sum")
    by = by.assign(s2=share**2)
    return by.groupby(["year", "product_code"], as_index=False)["s2"].sum().rename(columns={"s2": "world_supply_hhi"})
