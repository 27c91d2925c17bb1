"""Services trade in TiSA-style sectors: exports, imports, balance, RCA and group exposure.

Bilateral services flows come from the MRIO table (WIOD 2013): the exports of sector ``k`` from
``s`` to ``d`` are everything services industries of ``s`` mapped to ``k`` sell to users in
``d`` (intermediate use by ``d``'s industries plus ``d``'s final demand),

    X_sdk = sum_{i in s, i -> k} ( sum_{j in d} z_ij + sum_{f in d} y_if ),  s != d,  USD.

When the BaTIS table (``core__services_trade``: EBOPS 2010 components by reporter, partner and
flow) is passed, it replaces the MRIO figures for the years it covers, mapped to sectors through
the EBOPS concordance: a reporter's exports and imports are its rows with the world (partner
``WLD``), or the sum over its partners where it has no world row. STRI values by sector, when
passed, are joined as a column.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.metrics.io_tables import GROSS_OUTPUT
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
    the sum of its bilateral rows (one choice per reporter, year and flow)."""
    frame = _batis_sectors(batis)
    frame["world"] = frame["partner_iso3"] == WORLD
    has_world = frame.groupby(["year", "reporter_iso3", "flow"])["world"].transform("any")
    frame = frame[frame["world"] == has_world]
    totals = (frame.groupby(["year", "reporter_iso3", "sector_id", "flow"])["value_usd"].sum()
              .unstack("flow").reindex(columns=["export", "import"]).fillna(0.0))
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
    services exports and ``w`` the world (all exporters of the year); NaN where undefined
    (no services exports, or a negative net export of the sector).

    ``exports`` has ``year, iso3, sector_id, exports_usd``.
    """
    by = exports.groupby
    x_c = by(["year", "iso3"])["exports_usd"].transform("sum")
    x_wk = by(["year", "sector_id"])["exports_usd"].transform("sum")
    x_w = by("year")["exports_usd"].transform("sum")
    with np.errstate(divide="ignore", invalid="ignore"):
        rca = (exports["exports_usd"] / x_c) / (x_wk / x_w)
    # The BoP records some components net, so an export can be negative (BaTIS 2016: Botswana's
    # personal and cultural services): Balassa's index is not defined there.
    return rca.where(np.isfinite(rca) & (exports["exports_usd"] >= 0))


def services_exposure(flows: pd.DataFrame | None, stri: pd.DataFrame | None = None,
                      batis: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per country, year and sector: ``exports_usd, imports_usd, balance_usd`` (= exports -
    imports), ``rca`` (:func:`calc_rca`), ``source`` and, when ``stri`` (``iso3, year,
    sector_id, stri`` 0..1) is given, the STRI of the sector (else null).

    ``flows`` are bilateral flows (:func:`services_flows_from_io`, :func:`combine_flows`) or
    None; ``batis``, the canonical ``services_trade`` table, replaces them in its years."""
    parts = []
    if flows is not None and not flows.empty:
        exp = flows.groupby(["year", "exporter_iso3", "sector_id"])["value_usd"].sum()
        imp = flows.groupby(["year", "importer_iso3", "sector_id"])["value_usd"].sum()
        exp.index.names = imp.index.names = ["year", "iso3", "sector_id"]
        totals = pd.concat({"exports_usd": exp, "imports_usd": imp}, axis=1).fillna(0.0).reset_index()
        source = flows.groupby("year")["source"].first() if "source" in flows else None
        totals["source"] = totals["year"].map(source) if source is not None else "input_output"
        parts.append(totals)
    if batis is not None and not batis.empty:
        from_batis = services_totals_from_batis(batis).assign(source="batis")
        parts = [p[~p["year"].isin(set(from_batis["year"]))] for p in parts] + [from_batis]
    if not parts:
        raise ValueError("services exposure needs services flows: an input-output table (WIOD) or "
                         "BaTIS (core__services_trade); neither was given")
    out = pd.concat(parts, ignore_index=True)
    out["balance_usd"] = out["exports_usd"] - out["imports_usd"]
    out["rca"] = calc_rca(out)
    if stri is not None:
        out = out.merge(stri[["iso3", "year", "sector_id", "stri"]], how="left",
                        on=["iso3", "year", "sector_id"])
    else:
        out["stri"] = np.nan
    columns = ["year", "iso3", "sector_id", "exports_usd", "imports_usd", "balance_usd", "rca", "source", "stri"]
    return out[columns].sort_values(["year", "iso3", "sector_id"]).reset_index(drop=True)


def services_group_exposure(flows: pd.DataFrame, membership: pd.DataFrame) -> pd.DataFrame:
    """Share of each country's sector exports sold to, and imports bought from, each group's
    members that year (``export_share``, ``import_share``, 0..1; 0 where the total is 0)."""
    rows = []
    for direction, own, other in (("export", "exporter_iso3", "importer_iso3"),
                                  ("import", "importer_iso3", "exporter_iso3")):
        total = flows.groupby(["year", own, "sector_id"])["value_usd"].sum().rename("total")
        tagged = flows.merge(membership.rename(columns={"iso3": other}), on=["year", other])
        to_group = tagged.groupby(["year", own, "sector_id", "group_id"])["value_usd"].sum()
        frame = to_group.reset_index().merge(total.reset_index(), on=["year", own, "sector_id"])
        frame[f"{direction}_share"] = np.where(frame["total"] > 0,
                                               frame["value_usd"] / frame["total"], 0.0)
        rows.append(frame.rename(columns={own: "iso3"})
                    .set_index(["year", "iso3", "sector_id", "group_id"])[f"{direction}_share"])
    out = pd.concat(rows, axis=1).fillna(0.0).reset_index()
    member = membership.assign(is_member=1)[["year", "iso3", "group_id", "is_member"]]
    out = out.merge(member, how="left", on=["year", "iso3", "group_id"])
    out["is_member"] = out["is_member"].notna()
    return out.sort_values(["year", "iso3", "sector_id", "group_id"]).reset_index(drop=True)
