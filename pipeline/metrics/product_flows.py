"""Product-level flows from the canonical bilateral table, one classification at a time.

Product rows in ``bilateral_goods_trade`` carry a ``product_classification`` that names the
nomenclature and its level (``pipeline/reference/product_classifications.yaml``). Codes of one
classification never overlap, so sums within one classification are all goods of the flows it
holds; this module never mixes classifications, which would double count.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from pipeline.reference.codes import country_codes

CLASSIFICATIONS_FILE = Path(__file__).resolve().parents[1] / "reference" / "product_classifications.yaml"
PRODUCT_FLOW_COLUMNS = ["exporter_iso3", "importer_iso3", "year", "product_code", "value_usd"]


@lru_cache(maxsize=1)
def classifications() -> dict[str, dict[str, Any]]:
    """The declared product classifications (description, nomenclature, detail, universe)."""
    return yaml.safe_load(CLASSIFICATIONS_FILE.read_text())["classifications"]


def product_classifications_present(bilateral: pd.DataFrame) -> list[str]:
    """Classifications other than TOTAL in ``bilateral``, finest first, equal detail by name (the
    same order whatever the row order: the pandas and the per-partition DuckDB paths take the first
    world-complete one as reference); unknown ones raise."""
    present = [c for c in bilateral["product_classification"].unique() if c != "TOTAL"]
    known = classifications()
    unknown = sorted(set(present) - set(known))
    if unknown:
        raise ValueError(
            f"bilateral_goods_trade holds product_classification {unknown}, not declared in "
            f"{CLASSIFICATIONS_FILE}: declare them there (nomenclature, level, world coverage)"
        )
    return sorted(present, key=lambda c: (-known[c]["detail"], c))


def product_flows(bilateral: pd.DataFrame, classification: str, keep_unallocated: bool = False) -> pd.DataFrame:
    """Exporter -> importer flows of one classification, in USD.

    Product detail in the shared data is reported (or reconciled) from the exporter's side,
    so a country's imports of product k are its partners' exports of k to it (mirror flows).
    Where a source also reports ``flow == "import"`` rows they are used for pairs the export
    side lacks. Aggregates (ROW, WLD) and flows of a country with itself are always dropped.
    Flows with a partner that is no economy (``not_economies`` of the country codes: ANS
    "undeclared", UNS ...) are dropped too unless ``keep_unallocated``: then they stay, so that a
    country's total imports and exports include what it trades with undeclared partners (the
    caller must keep such codes out of anything that ranks or counts countries). Returns
    :data:`PRODUCT_FLOW_COLUMNS`, zero flows removed.
    """
    rows = bilateral[bilateral["product_classification"] == classification]
    exports = rows[rows["flow"] == "export"].rename(
        columns={"reporter_iso3": "exporter_iso3", "partner_iso3": "importer_iso3"})
    imports = rows[rows["flow"] == "import"].rename(
        columns={"reporter_iso3": "importer_iso3", "partner_iso3": "exporter_iso3"})
    key = ["exporter_iso3", "importer_iso3", "year", "product_code"]
    if len(imports):
        seen = exports[key].drop_duplicates().assign(_seen=True)
        imports = imports.merge(seen, on=key, how="left")
        imports = imports[imports["_seen"].isna()]
    flows = pd.concat([exports[PRODUCT_FLOW_COLUMNS], imports[PRODUCT_FLOW_COLUMNS]], ignore_index=True)
    codes = country_codes()
    if keep_unallocated:  # aggregates would double count; unallocated partners are real trade
        keep = ~codes.is_aggregate(flows["exporter_iso3"]) & ~codes.is_aggregate(flows["importer_iso3"])
    else:
        keep = codes.is_economy(flows["exporter_iso3"]) & codes.is_economy(flows["importer_iso3"])
    keep &= (flows["exporter_iso3"] != flows["importer_iso3"]) & (flows["value_usd"] > 0)
    flows = flows[keep]
    for col in ("exporter_iso3", "importer_iso3", "product_code"):
        flows[col] = flows[col].astype(str)
    flows["year"] = flows["year"].astype(int)
    return flows.groupby(key, as_index=False, observed=True)["value_usd"].sum()


def exports_by_product(flows: pd.DataFrame) -> pd.DataFrame:
    """Each exporter's exports of each product to all partners: ``iso3, year, product_code,
    value_usd``."""
    out = flows.groupby(["exporter_iso3", "year", "product_code"], as_index=False)["value_usd"].sum()
    return out.rename(columns={"exporter_iso3": "iso3"})


def coverage_share(flows: pd.DataFrame, reference: pd.DataFrame | None, side: str) -> pd.DataFrame:
    """How much of each country's trade a classification's flows hold, against a reference.

    :math:`coverage_{i,t} = V^{C}_{i,t} / V^{ref}_{i,t}`, exports (``side="exporter_iso3"``)
    or imports (``side="importer_iso3"``) summed over partners and products, with the
    reference a world-complete classification of the same source (Atlas sectors). The Atlas
    HS subset holds every flow of 31 countries, so they get 1.0 and the others a fraction.
    NaN where no reference exists for that year. Returns ``iso3, year, coverage_share``.
    """
    own = flows.groupby([side, "year"], as_index=False)["value_usd"].sum()
    if reference is None or reference.empty:
        return own.rename(columns={side: "iso3"}).assign(coverage_share=float("nan"))[["iso3", "year", "coverage_share"]]
    ref = reference.groupby([side, "year"], as_index=False)["value_usd"].sum()
    out = own.merge(ref, on=[side, "year"], how="left", suffixes=("", "_ref"))
    out["coverage_share"] = out["value_usd"] / out["value_usd_ref"].where(out["value_usd_ref"] > 0)
    return out.rename(columns={side: "iso3"})[["iso3", "year", "coverage_share"]]


def goods_and_products(totals: pd.DataFrame, products: pd.DataFrame | None) -> pd.DataFrame:
    """The totals table (``bilateral_goods_trade``, product TOTAL) and the product table
    (``bilateral_product_trade``) as the one long frame the metrics were written for (issue 17,
    step 1: the tables are split at the source; the metrics still read both whole; reading the
    product table per year partition is the next step)."""
    detail = totals["product_code"].astype(str) != "TOTAL"
    if detail.any():
        rows = totals.loc[detail, ["source", "year"]].astype(str)
        raise ValueError(
            f"bilateral_goods_trade holds {int(detail.sum()):,} product rows (product_code other than "
            f"TOTAL; sources {sorted(rows['source'].unique())[:5]}, years {sorted(rows['year'].unique())[:5]}): "
            "a table published before the product split (contract < 1.1.0), whose product rows now also "
            "come from bilateral_product_trade and would be counted twice. Fix: materialize "
            "core__bilateral_goods_trade again (`make run`), which publishes totals only.")
    if products is None or products.empty:  # a live totals-only refresh: no product table
        return totals
    return pd.concat([totals, products], ignore_index=True)
