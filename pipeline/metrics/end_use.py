"""Goods trade by end use (capital, intermediate, consumption) and its partner groups.

End use follows the UN BEC Rev.4 correspondence with the SNA basic classes of goods (see
:mod:`pipeline.metrics.end_use_classes`). For country c, year t, direction d (exports or
imports), partner set G (all partners, or the members of a group in year t) and end use u:

.. math::

    V_{c,t,d,G,u} = \\sum_{p \\in G} \\sum_{k \\in u} v_{c,p,k,t}

    end\\_use\\_share = V_{c,t,d,G,u} / \\sum_{u'} V_{c,t,d,G,u'}

    partner\\_group\\_share = V_{c,t,d,G,u} / V_{c,t,d,WORLD,u}

    end\\_use\\_share\\_max = (V^{spans}_{c,t,d,G,u} + V_{c,t,d,G,unmapped}) / \\sum_{u'} V_{c,t,d,G,u'}

in current USD and shares 0..1. So the share of Senegal's capital-goods imports that come from
the EU in 2019 is ``partner_group_share`` of (SEN, 2019, imports, EU, capital). Where a product
code spans several classes it counts as ``mixed`` (never split by a mean or majority), so the
capital, intermediate and consumption shares are lower bounds and the ``mixed`` share beside them
says by how much; ``end_use_share_max`` is the upper bound: the share of codes spanning u (alone
or among other classes, :math:`V^{spans}`) plus the unmapped codes, which could hold anything.
``partner_group_share`` is computed on the lower-bound set: of capital, the share of the codes
wholly capital (for imports of the 31 Atlas countries in 2019, 9 % of imports against an upper
bound of 27 %), not of everything that could be capital.

The apportioned estimate (:mod:`pipeline.metrics.end_use_estimate`) splits coarse codes by world
trade weights: ``value_usd_estimate`` = :math:`\sum f_{k,u} v_k`, ``end_use_share_estimate`` its
share of the partner set's total, ``partner_group_share_estimate`` = group / all partners on the
estimate; the ``mixed`` row's estimate is what stays mixed (2019 imports of the 31: mixed 62 % of
the pooled value, median country 67 %, in the lower bound; 33 % and 32 % after the split, of which
2710 petroleum oils, unsplit BEC 32, is about 11 points). ``estimate_weights`` names the weights.
``ships_share`` is the share of the row's value in HS 8901-8906 and ``open_registry`` marks the
ITF's flags of convenience: a ship flagged in Liberia is Liberia's import (2019: 8901 is $6.6bn of
its $6.7bn of capital goods), not equipment of its economy.

Imports are mirror flows (the partners' exports) where only exports were reported. Rows only
for countries whose flows in the classification are their whole trade (coverage >= ``MIN_COVERAGE`` of the world-complete reference of the same year); a partial
extract (BACI ZAF, or any year without a reference) is never published as a country's figure.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.metrics.dependency import MIN_COVERAGE, world_trade_weights
from pipeline.metrics.end_use_estimate import OPEN_REGISTRIES, end_use_split, is_ship
from pipeline.metrics.end_use_classes import (
    END_USES, UN_CLASSES, code_classes, end_use_label, load_hs6_classes,
)
from pipeline.metrics.product_flows import (
    classifications, coverage_share, product_classifications_present, product_flows,
)

WORLD = "WORLD"  # partner_group of all partners together (not a country code)
SINGLE_PARTNERS = ("CHN",)  # partners shown alone beside the groups ("China alone")
END_USE_COLUMNS = ["iso3", "year", "product_classification", "direction", "partner_group", "end_use",
                   "value_usd", "end_use_share", "end_use_share_max", "partner_group_share", "value_usd_estimate",
                   "end_use_share_estimate", "partner_group_share_estimate", "estimate_weights", "ships_share",
                   "open_registry", "is_member"]
SIDES = {"exports": ("exporter_iso3", "importer_iso3"), "imports": ("importer_iso3", "exporter_iso3")}


def partner_groups(membership: pd.DataFrame, years, single=SINGLE_PARTNERS) -> pd.DataFrame:
    """``year, group_id, iso3`` of every group plus each of ``single`` as a group of itself."""
    alone = pd.DataFrame([(int(y), code, code) for y in years for code in single],
                         columns=["year", "group_id", "iso3"])
    return pd.concat([membership[["year", "group_id", "iso3"]], alone], ignore_index=True)


def _reach(flows: pd.DataFrame) -> pd.DataFrame:
    """Flows that may hold each UN class: codes spanning it (alone or mixed) and unmapped codes,
    one row per (flow, class); ``end_use`` is the class. Summed, the upper bound of each class."""
    spans = flows.assign(end_use=flows["sna_classes"].map(sorted)).explode("end_use").dropna(subset=["end_use"])
    unmapped = flows[flows["sna_classes"].map(len) == 0]
    anything = [unmapped.assign(end_use=c) for c in UN_CLASSES]
    return pd.concat([spans, *anything], ignore_index=True)


def _sums(flows: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """``value_usd`` by ``iso3, year, end_use, partner_group``: all partners and each group."""
    keys = ["iso3", "year", "end_use"]
    world = flows.groupby(keys, as_index=False)["value_usd"].sum().assign(partner_group=WORLD)
    to_groups = flows.merge(groups.rename(columns={"iso3": "partner_iso3", "group_id": "partner_group"}),
                            on=["year", "partner_iso3"])
    return pd.concat([world, to_groups.groupby([*keys, "partner_group"], as_index=False)["value_usd"].sum()])


def _shares(out: pd.DataFrame, value: str) -> tuple[pd.Series, pd.Series]:
    """``value`` over the partner set's total of all end uses, and over all partners (WORLD)."""
    total = out.groupby(["iso3", "year", "partner_group"])[value].transform("sum")
    keys = ["iso3", "year", "end_use"]
    base = out[out["partner_group"] == WORLD].set_index(keys)[value]
    all_partners = pd.Series(out.set_index(keys).index.map(base), index=out.index)
    # A part of a sum can exceed the sum by float rounding only: clip that away.
    return ((out[value] / total.where(total > 0)).clip(0.0, 1.0),
            (out[value] / all_partners.where(all_partners > 0)).clip(0.0, 1.0))


def end_use_by_direction(flows: pd.DataFrame, covered: pd.DataFrame, groups: pd.DataFrame,
                         direction: str, split: pd.DataFrame) -> pd.DataFrame:
    """Values and shares of one direction for the covered countries.

    ``flows``: ``exporter_iso3, importer_iso3, year, product_code, sna_classes, value_usd``;
    ``covered``: ``iso3, year`` of the countries whose flows are complete; ``groups``: ``year,
    group_id, iso3``; ``split``: ``product_code, end_use, fraction`` of the estimate
    (:func:`~pipeline.metrics.end_use_estimate.end_use_split`). Returns :data:`END_USE_COLUMNS`
    without ``product_classification`` and ``estimate_weights``.
    """
    side, other = SIDES[direction]
    flows = flows.rename(columns={side: "iso3", other: "partner_iso3"})
    flows = flows.merge(covered[["iso3", "year"]], on=["iso3", "year"])
    flows["end_use"] = flows["sna_classes"].map(end_use_label)
    reach = _sums(_reach(flows), groups).rename(columns={"value_usd": "reach_usd"})
    estimate = flows.drop(columns="end_use").merge(split, on="product_code")
    estimate["value_usd"] = estimate["value_usd"] * estimate["fraction"]
    estimate = _sums(estimate, groups).rename(columns={"value_usd": "value_usd_estimate"})
    ships = _sums(flows[is_ship(flows["product_code"])], groups).rename(columns={"value_usd": "ships_usd"})
    return end_use_table([_sums(flows, groups), reach, estimate, ships], covered, groups, direction)


SUM_COLUMNS = ("value_usd", "reach_usd", "value_usd_estimate", "ships_usd")


def end_use_table(sums: list[pd.DataFrame], covered: pd.DataFrame, groups: pd.DataFrame,
                  direction: str) -> pd.DataFrame:
    """:func:`end_use_by_direction` from the sums over flows (any engine's): one frame per
    :data:`SUM_COLUMNS` (the value by end use, the flows that may hold each UN class, the
    estimate, ships), each ``iso3, year, partner_group, end_use`` and its column; ``groups``
    gives every group a row (zeros kept) and the members of the year."""
    keys = ["iso3", "year", "partner_group", "end_use"]
    names = pd.DataFrame({"partner_group": [WORLD, *sorted(groups["group_id"].unique())]})
    uses = pd.DataFrame({"end_use": list(END_USES)})
    out = covered[["iso3", "year"]].drop_duplicates().merge(names, how="cross").merge(uses, how="cross")
    for extra in sums:
        out = out.merge(extra, on=keys, how="left")
    out = out.fillna({"value_usd": 0.0, "reach_usd": 0.0, "value_usd_estimate": 0.0, "ships_usd": 0.0})
    # mixed and unmapped are exact amounts of themselves: their bound is their value
    out["reach_usd"] = out["reach_usd"].where(out["end_use"].isin(UN_CLASSES), out["value_usd"])
    out["end_use_share"], out["partner_group_share"] = _shares(out, "value_usd")
    out["end_use_share_max"] = (out["reach_usd"] / out.groupby(["iso3", "year", "partner_group"])[
        "value_usd"].transform("sum").where(lambda t: t > 0)).clip(0.0, 1.0)
    out["end_use_share_estimate"], out["partner_group_share_estimate"] = _shares(out, "value_usd_estimate")
    out["ships_share"] = (out["ships_usd"] / out["value_usd"].where(out["value_usd"] > 0)).clip(0.0, 1.0)
    out["open_registry"] = out["iso3"].isin(OPEN_REGISTRIES)
    member = groups.rename(columns={"group_id": "partner_group"}).drop_duplicates().assign(is_member=True)
    out = out.merge(member, on=["iso3", "year", "partner_group"], how="left")
    out["is_member"] = out["is_member"].astype("boolean").fillna(False)
    out.loc[out["partner_group"] == WORLD, "is_member"] = pd.NA
    return out.assign(direction=direction)


def end_use_trade(bilateral: pd.DataFrame, membership: pd.DataFrame, hs_bec_path: Path | str,
                  bec_sna_path: Path | str, country_exports: pd.DataFrame | None = None) -> pd.DataFrame:
    """Exports and imports by end use, all partners and per group, per country and year.

    Parameters
    ----------
    bilateral : DataFrame
        The canonical ``bilateral_goods_trade`` table. Every HS classification present is
        evaluated on its own (``nomenclature`` names the HS version of the concordance rows:
        HS92 for the Atlas subset and BACI HS92, HS2017 for BACI HS17).
    membership : DataFrame
        ``year, group_id, iso3``: group members in each year (``membership_panel``).
    hs_bec_path, bec_sna_path : path
        ``hs6_to_bec4_all_hs_versions.csv.gz`` and ``bec4_to_sna_end_use.csv``.
    country_exports : DataFrame, optional
        The ``country_product_exports`` table (OTS HS4 world exports): the world weights of the
        estimate unless a world-complete HS6 classification is in ``bilateral``. Without either
        the estimate equals the lower bound (nothing is split).

    Returns
    -------
    DataFrame
        :data:`END_USE_COLUMNS`: ``value_usd`` in current USD, shares 0..1 (NaN where the
        denominator is zero), ``is_member`` empty for ``WORLD``. One row per country, year,
        classification, direction, partner group and each of :data:`END_USES` (zeros kept).
    """
    present = product_classifications_present(bilateral)
    spec = classifications()
    hs = [c for c in present if spec[c]["nomenclature"]]
    complete = [c for c in present if spec[c]["world_complete"]]
    if not hs:
        return pd.DataFrame(columns=END_USE_COLUMNS)
    reference = product_flows(bilateral, complete[0]) if complete else None
    groups = partner_groups(membership, sorted(bilateral["year"].astype(int).unique()))
    all_flows = {name: product_flows(bilateral, name) for name in hs}
    weights, weights_name = world_trade_weights(all_flows, country_exports)
    if weights is None:
        weights_name = "none: nothing split (the estimate is the lower bound)"
    frames, by_version = [], {}
    for name, flows in all_flows.items():
        version = spec[name]["nomenclature"]
        if version not in by_version:
            by_version[version] = load_hs6_classes(hs_bec_path, bec_sna_path, version)
        flows["sna_classes"] = flows["product_code"].map(code_classes(flows["product_code"], by_version[version]))
        split = end_use_split(flows["product_code"], by_version[version], weights)
        for direction, (side, _) in SIDES.items():
            cov = coverage_share(flows, reference, side)
            covered = cov[cov["coverage_share"] >= MIN_COVERAGE]  # NaN (no reference) is left out
            if len(covered):
                frames.append(end_use_by_direction(flows, covered, groups, direction, split).assign(
                    product_classification=name, estimate_weights=weights_name))
    return published_end_use(frames)


def published_end_use(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The ``end_use_trade`` table from :func:`end_use_by_direction` frames, sorted by year,
    country, classification, direction, partner group and end use."""
    if not frames:
        return pd.DataFrame(columns=END_USE_COLUMNS)
    out = pd.concat(frames, ignore_index=True)[END_USE_COLUMNS]
    out["year"] = out["year"].astype(int)
    order = ["year", "iso3", "product_classification", "direction", "partner_group", "end_use"]
    return out.sort_values(order).reset_index(drop=True)
