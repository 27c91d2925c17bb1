"""Goods trade by end use from ``bilateral_product_trade`` one year partition at a time, the sums
over flows in DuckDB (issue 17: the product table is never loaded whole into pandas).

The table is :func:`pipeline.metrics.end_use.end_use_trade`'s (UN BEC Rev.4 -> SNA capital,
intermediate and consumption goods; lower bounds, upper bounds and the apportioned estimate, by
partner group). Only the engine differs: per year, HS classification and direction DuckDB sums
the covered countries' flows (:mod:`pipeline.metrics.product_flows_sql`) per partner set (all
partners and each group's members of the year) and product, then over each product's end uses
by a small table of weights built in pandas from the concordance: 1 for the code's label (the
value, ships), 1 for every UN class it may hold (the upper bound) and the estimate's fraction.
Only ``iso3 x partner group x end use`` sums leave DuckDB; shares are
:func:`~pipeline.metrics.end_use.end_use_table`'s.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from pipeline.contracts.sql import session
from pipeline.contracts.sql_rules import literal
from pipeline.metrics.dependency import MIN_COVERAGE
from pipeline.metrics.end_use import (
    END_USE_COLUMNS, SIDES, SUM_COLUMNS, WORLD, end_use_table, partner_groups, published_end_use,
)
from pipeline.metrics.end_use_classes import UN_CLASSES, code_classes, end_use_label, load_hs6_classes
from pipeline.metrics.end_use_estimate import end_use_split, is_ship
from pipeline.metrics.product_concentration_sql import present_by_year, world_weights_by_year
from pipeline.metrics.product_flows import classifications, coverage_share
from pipeline.metrics.product_flows_sql import flows_sql, scan, year_pair_flows

if TYPE_CHECKING:
    from pipeline.warehouse.parquet import PartitionedTable


def end_use_weights(codes: pd.Series, hs6_classes: pd.Series, weights: pd.Series | None) -> pd.DataFrame:
    """``measure, product_code, end_use, weight``: how a code's value counts in each sum of
    :data:`~pipeline.metrics.end_use.SUM_COLUMNS` (as :func:`~pipeline.metrics.end_use.end_use_by_direction`:
    its label; each class it spans, every UN class when unmapped; the estimate's fractions;
    its label again for ships)."""
    codes = pd.Series(pd.Series(codes).astype(str).unique())
    sna = code_classes(codes, hs6_classes)
    label = pd.DataFrame({"product_code": sna.index, "end_use": sna.map(end_use_label).to_numpy(), "weight": 1.0})
    reach = pd.DataFrame([(code, c, 1.0) for code, classes in sna.items() for c in (sorted(classes) or UN_CLASSES)],
                         columns=["product_code", "end_use", "weight"])
    split = end_use_split(codes, hs6_classes, weights).rename(columns={"fraction": "weight"})
    ships = label[is_ship(label["product_code"]).to_numpy()]
    parts = zip(SUM_COLUMNS, (label, reach, split, ships))
    return pd.concat([part.assign(measure=measure) for measure, part in parts], ignore_index=True)[
        ["measure", "product_code", "end_use", "weight"]]


def end_use_sums_sql(con, files: Sequence[str], year: int, classification: str, direction: str,
                     covered: pd.DataFrame, groups: pd.DataFrame, weights: pd.DataFrame) -> list[pd.DataFrame]:
    """The sums :func:`~pipeline.metrics.end_use.end_use_table` reads, of one year, classification
    and direction, from DuckDB: one frame per :data:`SUM_COLUMNS` (``iso3, year, partner_group,
    end_use`` and the sum). ``covered``, ``groups`` (``group_id, iso3``) of that year."""
    side, other = SIDES[direction]
    con.register("eu_covered", covered[["iso3"]].astype(str))
    con.register("eu_groups", groups[["group_id", "iso3"]].astype(str))
    con.register("eu_weights", weights)
    try:
        long = con.execute(f"""
            WITH flows AS ({flows_sql(files, classification)}),
            f AS (SELECT {side} AS iso3, {other} AS partner_iso3, product_code, value_usd FROM flows
                  SEMI JOIN eu_covered ON {side} = eu_covered.iso3),
            sets AS (
                SELECT iso3, {literal(WORLD)} AS partner_group, product_code, sum(value_usd) AS value_usd
                FROM f GROUP BY iso3, product_code
                UNION ALL
                SELECT f.iso3, g.group_id, f.product_code, sum(f.value_usd)
                FROM f JOIN eu_groups g ON f.partner_iso3 = g.iso3 GROUP BY f.iso3, g.group_id, f.product_code)
            SELECT s.iso3, s.partner_group, w.end_use, w.measure, sum(s.value_usd * w.weight) AS value
            FROM sets s JOIN eu_weights w USING (product_code)
            GROUP BY s.iso3, s.partner_group, w.end_use, w.measure""").df()
    finally:
        for name in ("eu_covered", "eu_groups", "eu_weights"):
            con.unregister(name)
    long = long.astype({"iso3": str, "partner_group": str, "end_use": str, "measure": str}).assign(year=int(year))
    return [long.loc[long["measure"] == measure, ["iso3", "year", "partner_group", "end_use", "value"]]
            .rename(columns={"value": measure}) for measure in SUM_COLUMNS]


def _codes(con, files: Sequence[str], classification: str) -> pd.Series:
    rows = con.execute(f"SELECT DISTINCT product_code FROM {scan(files)} "
                       f"WHERE product_classification = {literal(classification)}").fetchall()
    return pd.Series(sorted(str(r[0]) for r in rows), dtype=object)


def end_use_by_year(products: PartitionedTable, membership: pd.DataFrame, hs_bec_path: Path | str,
                    bec_sna_path: Path | str, country_exports: pd.DataFrame | None = None, years=None,
                    memory_limit: str = "2GB", threads: int = 2) -> pd.DataFrame:
    """``end_use_trade`` from the published product table one year partition at a time (module
    docstring); equals :func:`pipeline.metrics.end_use.end_use_trade` of the whole table, whose
    arguments these are. ``years``: the years of the partner groups' table (default the
    product table's; the asset gives those of the goods tables it reads, as end_use_trade)."""
    spec = classifications()
    frames, by_version = [], {}
    with session(memory_limit, threads) as con:
        by_year, present = present_by_year(con, products)
        hs = [c for c in present if spec[c]["nomenclature"]]
        complete = [c for c in present if spec[c]["world_complete"]]
        if not hs:
            return pd.DataFrame(columns=END_USE_COLUMNS)
        groups = partner_groups(membership, sorted({int(y) for y in (years if years is not None else by_year)}))
        weights, weights_name = world_weights_by_year(con, products, by_year, hs, country_exports,
                                                      keep_unallocated=False)
        if weights is None:
            weights_name = "none: nothing split (the estimate is the lower bound)"
        for year, names in by_year.items():
            files = products.files(year)
            reference = year_pair_flows(con, files, year, complete[0]) if complete and complete[0] in names else None
            for name in (c for c in hs if c in names):
                version = spec[name]["nomenclature"]
                if version not in by_version:
                    by_version[version] = load_hs6_classes(hs_bec_path, bec_sna_path, version)
                code_weights = end_use_weights(_codes(con, files, name), by_version[version], weights)
                pairs = year_pair_flows(con, files, year, name)
                for direction, (side, _) in SIDES.items():
                    cov = coverage_share(pairs, reference, side)
                    covered = cov[cov["coverage_share"] >= MIN_COVERAGE]  # NaN (no reference) is left out
                    if len(covered):
                        sums = end_use_sums_sql(con, files, year, name, direction, covered,
                                                groups[groups["year"] == year], code_weights)
                        frames.append(end_use_table(sums, covered, groups, direction).assign(
                            product_classification=name, estimate_weights=weights_name))
    return published_end_use(frames)
