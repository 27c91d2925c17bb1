"""Services trade in TiSA-style sectors: exports, imports, balance, RCA and group exposure.

Bilateral services flows come from the MRIO table (WIOD 2013): the exports of sector ``k`` from
``s`` to ``d`` are everything services industries of ``s`` mapped to ``k`` sell to users in
``d`` (intermediate use by ``d``'s industries plus ``d``'s final demand),

    X_sdk = sum_{i in s, i -> k} ( sum_{j in d} z_ij + sum_{f in d} y_if ),  s != d,  USD.

When the BaTIS table (``core__services_trade``: EBOPS 2010 components by reporter, partner and
flow) is passed, it replaces the MRIO figures for the years it covers, mapped to sectors through
the EBOPS concordance: a reporter's exports and imports are its rows with the world (partner
``WLD``), or the sum over its partners where it has no world row. STRI values by sector, when
passed, are joined as columns (``stri``, ``stri_index``) where an index covers the country and year.

Missing stays missing: BaTIS publishes an observation without a value as no row, so a BaTIS
flow with no row is unknown, not zero: its total is null, and so are the balance and any share
whose total is null or zero (a share of nothing is undefined). A sector total needs every EBOPS
component of the sector (``services_sectors.yaml``: financial_insurance = SF + SG,
manufacturing_maintenance = SA + SB): with one of them unpublished the sum would understate the
sector, so it is null. The input-output table is the exception: ``core__input_output`` lists the
non-zero cells of a complete table, so there an absent cell is a true 0.

Rows are economies only (:meth:`CountryCodes.is_economy`): WIOD's rest of the world (``ROW``)
stays a partner and part of the world totals of the RCA, but gets no row of its own.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.metrics.io_tables import GROSS_OUTPUT
from pipeline.reference.codes import country_codes
from pipeline.reference.services_sectors import concordance

FLOW_KEYS = ["year", "exporter_iso3", "importer_iso3", "sector_id"]
WORLD = "WLD"  # partner code of a reporter's trade with the world


def services_flows_from_io(input_output: pd.DataFrame, wiod_map: pd.DataFrame | None = None) -> pd.DataFrame:
    """Bilateral services exports ``year, exporter_iso3, importer_iso3, sector_id, value_usd``
    (formula in the module docstring) from the long ``input_output`` table."""
    wiod_map = concordance("wiod2013") if wiod_map is None else wiod_map
    sector_of = dict(zip(wiod_map["code"], wiod_map["sector_id"]))
    frame = input_output[(input_output["col_sector"] != GROSS_OUTPUT)
                         & (input_output["row_iso3"] != input_output["col_iso3"])]
    sector = frame["row_sector"].map(sector_of)
    frame = frame.assign(sector_id=sector)[sector.notna()]
    flows = (frame.groupby(["year", "row_iso3", "col_iso3", "sector_id"], observed=True)["value_usd"]
             .sum().reset_index())
    # Inventory drawdowns (negative INVEN cells) can leave a bilateral total below zero (one
    # flow of -17 M USD in WIOD 2003, TWN); a negative sale is not trade, so it becomes 0.
    flows["value_usd"] = flows["value_usd"].clip(lower=0.0)
    return flows.rename(columns={"row_iso3": "exporter_iso3", "col_iso3": "importer_iso3"})


def _batis_sectors(batis: pd.DataFrame) -> pd.DataFrame:
    """``batis`` with ``sector_id`` from its ``ebops2010_code``; a code outside SA..SL raises."""
    ebops = concordance("ebops2010")
    sector = batis["ebops2010_code"].astype(str).map(dict(zip(ebops["code"], ebops["sector_id"])))
    if sector.isna().any():
        bad = sorted(batis.loc[sector.isna(), "ebops2010_code"].astype(str).unique())[:5]
        raise ValueError(f"BaTIS rows with EBOPS codes {bad} have no sector: pass main "
                         "components SA..SL (services_sectors.yaml) or drop sub-items")
    return batis.assign(sector_id=sector)


def services_flows_from_batis(batis: pd.DataFrame) -> pd.DataFrame:
    """Bilateral exports (``flow == "export"``, partner a country, not ``WLD``) of the canonical
    ``services_trade`` table as ``year, exporter_iso3, importer_iso3, sector_id, value_usd``."""
    bilateral = batis[(batis["flow"] == "export") & (batis["partner_iso3"] != WORLD)]
    flows = _batis_sectors(bilateral).rename(columns={"reporter_iso3": "exporter_iso3",
                                                      "partner_iso3": "importer_iso3"})
    return flows.groupby(FLOW_KEYS)["value_usd"].sum().reset_index()


def services_totals_from_batis(batis: pd.DataFrame) -> pd.DataFrame:
    """Per reporter, year and sector: ``exports_usd, imports_usd`` from the canonical
    ``services_trade`` table: its rows with the world (partner ``WLD``) where it has them, else
    the sum of its bilateral rows (one choice per reporter, year and flow).

    ``X_ck = sum_{e in k} X_ce`` over the EBOPS components ``e`` of sector ``k``, and only when
    every component of ``k`` has a published value; otherwise null (not published), never a
    partial sum or 0."""
    frame = _batis_sectors(batis)
    frame["world"] = frame["partner_iso3"] == WORLD
    has_world = frame.groupby(["year", "reporter_iso3", "flow"])["world"].transform("any")
    frame = frame[(frame["world"] == has_world) & frame["value_usd"].notna()]
    needed = concordance("ebops2010").groupby("sector_id")["code"].nunique()
    keys = ["year", "reporter_iso3", "sector_id", "flow"]
    sums = frame.groupby(keys).agg(usd=("value_usd", "sum"), components=("ebops2010_code", "nunique"))
    complete = sums["components"] == sums.index.get_level_values("sector_id").map(needed)
    totals = sums["usd"].where(complete).unstack("flow").reindex(columns=["export", "import"])
    totals.columns = ["exports_usd", "imports_usd"]
    return totals.reset_index().rename(columns={"reporter_iso3": "iso3"})


def combine_flows(io_flows: pd.DataFrame, batis_flows: pd.DataFrame | None) -> pd.DataFrame:
    """MRIO flows with a ``source`` column; BaTIS flows replace them in the years BaTIS covers."""
    io_flows = io_flows.assign(source="input_output")
    if batis_flows is None or batis_flows.empty:
        return io_flows
    batis_years = set(batis_flows["year"])
    return pd.concat([io_flows[~io_flows["year"].isin(batis_years)],
                      batis_flows.assign(source="batis")], ignore_index=True)


def calc_rca(exports: pd.DataFrame) -> pd.Series:
    """Balassa RCA within services: ``(X_ck / X_c) / (X_wk / X_w)``, with ``X_c`` the country's
    services exports and ``w`` the world, over the year's basket ``K`` (every sector some
    exporter has a row for that year).

    A country counts (in ``X_wk``, ``X_w`` and with an RCA of its own) only when its basket is
    complete: a known export for every sector of ``K``. An unpublished sector would otherwise
    shrink ``X_c`` and raise the country's RCA in every other sector, and shrink the world.
    NaN where undefined: incomplete basket, no services exports, or a negative net export.

    ``exports`` has ``year, iso3, sector_id, exports_usd``.
    """
    basket = exports.groupby("year")["sector_id"].transform("nunique")
    known = exports.groupby(["year", "iso3"])["exports_usd"].transform("count")
    usd = exports["exports_usd"].where(known == basket)
    x_c = usd.groupby([exports["year"], exports["iso3"]]).transform("sum")
    x_wk = usd.groupby([exports["year"], exports["sector_id"]]).transform("sum")
    x_w = usd.groupby(exports["year"]).transform("sum")
    with np.errstate(divide="ignore", invalid="ignore"):
        rca = (usd / x_c) / (x_wk / x_w)
    # The BoP records some components net, so an export can be negative (BaTIS 2016: Botswana's
    # personal and cultural services): Balassa's index is not defined there.
    return rca.where(np.isfinite(rca) & (usd >= 0))


def services_exposure(flows: pd.DataFrame | None, stri: pd.DataFrame | None = None,
                      batis: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per economy, year and sector: ``exports_usd, imports_usd`` (null where the source has no
    row for the flow or for one of the sector's components), ``balance_usd`` (= exports -
    imports; null where either is), ``rca`` (:func:`calc_rca`, over economies and ROW),
    ``source`` and, when ``stri`` (``iso3, year, sector_id, stri`` 0..1, ``stri_index``;
    :func:`pipeline.metrics.restrictiveness.stri_by_services_sector`) is given, the STRI of the
    sector and the index it comes from (else null). ROW and other aggregates get no row.

    ``flows`` are bilateral flows (:func:`services_flows_from_io`, :func:`combine_flows`) or
    None; ``batis``, the canonical ``services_trade`` table, replaces them in its years."""
    parts = []
    if flows is not None and not flows.empty:
        exp = flows.groupby(["year", "exporter_iso3", "sector_id"])["value_usd"].sum()
        imp = flows.groupby(["year", "importer_iso3", "sector_id"])["value_usd"].sum()
        exp.index.names = imp.index.names = ["year", "iso3", "sector_id"]
        totals = pd.concat({"exports_usd": exp, "imports_usd": imp}, axis=1).reset_index()
        source = flows.groupby("year")["source"].first() if "source" in flows else None
        totals["source"] = totals["year"].map(source) if source is not None else "input_output"
        # An absent input-output cell is a zero of a complete table; an absent BaTIS row is an
        # unpublished observation and stays null (module docstring).
        complete = totals["source"] == "input_output"
        flows_usd = ["exports_usd", "imports_usd"]
        totals.loc[complete, flows_usd] = totals.loc[complete, flows_usd].fillna(0.0)
        parts.append(_zero_rows_of_complete_tables(totals))
    if batis is not None and not batis.empty:
        from_batis = services_totals_from_batis(batis).assign(source="batis")
        parts = [p[~p["year"].isin(set(from_batis["year"]))] for p in parts] + [from_batis]
    if not parts:
        raise ValueError("services exposure needs services flows: an input-output table (WIOD) or "
                         "BaTIS (core__services_trade); neither was given")
    out = pd.concat(parts, ignore_index=True)
    out["balance_usd"] = out["exports_usd"] - out["imports_usd"]
    # The world of the RCA is every economy plus WIOD's rest of the world (together they are the
    # world, once); other aggregates would count their members twice.
    economy = country_codes().is_economy(out["iso3"])
    out = out[economy | (out["iso3"] == "ROW")].reset_index(drop=True)
    out["rca"] = calc_rca(out)
    out = out[country_codes().is_economy(out["iso3"])]
    if stri is not None:
        stri = stri.reindex(columns=["iso3", "year", "sector_id", "stri", "stri_index"])
        out = out.merge(stri.astype({"year": out["year"].dtype}), how="left", on=["iso3", "year", "sector_id"])
    else:
        out["stri"], out["stri_index"] = np.nan, None
    columns = ["year", "iso3", "sector_id", "exports_usd", "imports_usd", "balance_usd", "rca", "source", "stri",
               "stri_index"]
    return out[columns].sort_values(["year", "iso3", "sector_id"]).reset_index(drop=True)


def _zero_rows_of_complete_tables(totals: pd.DataFrame) -> pd.DataFrame:
    """Input-output totals with a 0 row for every country and sector of the year the table
    lists no flow for: a complete table's absent cell is a 0, and the RCA basket must see it."""
    io = totals[totals["source"] == "input_output"]
    grid = io[["year", "iso3"]].drop_duplicates().merge(io[["year", "sector_id"]].drop_duplicates(), on="year")
    filled = grid.merge(io, how="left", on=["year", "iso3", "sector_id"])
    filled[["exports_usd", "imports_usd"]] = filled[["exports_usd", "imports_usd"]].fillna(0.0)
    filled["source"] = "input_output"
    return pd.concat([totals[totals["source"] != "input_output"], filled], ignore_index=True)


def _group_flows(flows: pd.DataFrame, membership: pd.DataFrame, own: str, other: str
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """For one direction: ``year, iso3, sector_id, group_id, to_group`` (the country's flows of
    the sector with the group's members) and ``year, iso3, sector_id, total`` (with everyone)."""
    keys = ["year", own, "sector_id"]
    total = flows.groupby(keys)["value_usd"].sum(min_count=1).rename("total").reset_index()
    tagged = flows.merge(membership.rename(columns={"iso3": other}), on=["year", other])
    to_group = tagged.groupby(keys + ["group_id"])["value_usd"].sum(min_count=1).rename("to_group")
    return (to_group.reset_index().rename(columns={own: "iso3"}), total.rename(columns={own: "iso3"}))


def services_group_exposure(flows: pd.DataFrame, membership: pd.DataFrame) -> pd.DataFrame:
    """Share of each country's sector exports sold to, and imports bought from, each group's
    members that year: ``export_share = X_{c,k,g} / X_{c,k}``, ``import_share = M_{c,k,g} /
    M_{c,k}`` (0..1), the totals over all partners listed in ``flows``.

    A share is null where its total is null or 0 (nothing to share out), and 0 where the total
    is positive but no listed partner belongs to the group. Rows exist where the country traded
    the sector with at least one member of the group in either direction."""
    parts = {d: _group_flows(flows, membership, own, oth)
             for d, own, oth in (("export", "exporter_iso3", "importer_iso3"),
                                 ("import", "importer_iso3", "exporter_iso3"))}
    keys = ["year", "iso3", "sector_id", "group_id"]
    out = pd.concat([to_group[keys] for to_group, _ in parts.values()]).drop_duplicates()
    out = out.reset_index(drop=True)
    for direction, (to_group, total) in parts.items():
        joined = out.merge(to_group, how="left", on=keys).merge(
            total, how="left", on=["year", "iso3", "sector_id"])
        # no flow with the group but a positive total: the group's share is 0; no total: unknown
        share = joined["to_group"].fillna(0.0) / joined["total"]
        out[f"{direction}_share"] = share.where(joined["total"] > 0).to_numpy()
    member = membership.assign(is_member=1)[["year", "iso3", "group_id", "is_member"]]
    out = out.merge(member, how="left", on=["year", "iso3", "group_id"])
    out["is_member"] = out["is_member"].notna()
    # ROW stays a partner inside the totals but is no country of its own (module docstring)
    out = out[country_codes().is_economy(out["iso3"])]
    return out.sort_values(keys).reset_index(drop=True)
