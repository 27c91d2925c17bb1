"""Raw assets of the live API sources: fetch, land every body, record what it cost.

Each raw asset asks its API for one refresh's scope, keeps every answer in the landing zone
(``<warehouse>/landing/<source>/``, with URL, status, headers, time and sha256), parses it to
prove it is complete and well-formed, and records one provenance entry plus the requests,
bytes, retries and cache hits it used. The core asset then re-reads exactly those bodies from
the landing zone without the network. In bulk mode these assets fetch nothing.
"""
from __future__ import annotations

import dagster as dg

from assets.resources import ComtradeResource, OecdResource, SourceModeResource, WorldBankResource
from pipeline.sources.api_parsing import ApiFormatError
from pipeline.sources.base import SourceError
from pipeline.sources.http import HttpClient
from pipeline.sources.landing import LandingZone
from pipeline.sources.live import fetch_frame, landing_provenance, published_since

LIVE_RAW_ASSETS: dict[str, str] = {  # canonical table -> raw asset fed by its API
    "macro_indicators": "raw_worldbank__indicators",
    "bilateral_goods_trade": "raw_comtrade__goods_trade",  # its TOTAL rows
    "bilateral_product_trade": "raw_comtrade__goods_trade",  # its HS rows (COMTRADE_COMMODITIES=AG2...)
    "services_trade": "raw_oecd__batis",
    "value_added_trade": "raw_oecd__tiva",
    "services_restrictiveness": "raw_oecd__stri",  # also fed by bulk files (bulk mode)
}
API_ONLY_TABLES = ("services_trade", "value_added_trade")  # no bulk file feeds these


def _fetch(context, sources: SourceModeResource, api, spec: dict | None = None) -> dg.Output:
    mode = sources.resolved()
    if mode != "live":
        return dg.Output([], metadata={"mode": mode, "requests": 0,
                                       "note": "nothing fetched: TRADE_SOURCES resolves to bulk"})
    spec = {**(spec or api.spec()), "kind": "api"}
    source = spec["source"]
    landing = LandingZone(sources.landing_root, source)
    client = HttpClient(source, spec["base_url"], landing, secrets=api.secrets(), headers=api.headers(),
                        per_minute=sources.per_minute(source, spec["base_url"]), ttl_seconds=sources.cache_seconds(),
                        log=context.log.warning)
    context.log.info(f"{source}: refreshing {spec['table']} from {spec['base_url']} "
                     f"(answers younger than {sources.cache_hours} h are reused from {landing.dir})")
    try:
        frame = fetch_frame(spec, client, progress=context.log.info)
    except SourceError as exc:
        if isinstance(exc, ApiFormatError) and client.used:
            # The answer being read when the format check failed: kept, but never reused.
            if landed := landing.lookup(client.used[-1]):
                landing.reject(landed, str(exc)[:500])
        raise dg.Failure(
            description=f"{client.redact(str(exc)).rstrip('.')}. Bodies received so far are kept in {landing.dir}; "
            "nothing was published, and a re-run reuses them.",
            metadata={**client.stats.as_dict(), "landing_dir": str(landing.dir)},
        ) from None
    provenance = landing_provenance(spec, landing, client.used)
    return dg.Output(
        [{"provenance": provenance.as_dict(), "spec": spec}],
        metadata={
            "mode": mode, **client.stats.as_dict(), "scope": spec.get("scope", source),
            "requests_per_minute": client.per_minute or "no limit (TRADE_RATE_LIMITS)",
            "updated_after": spec.get("updated_after") or "none (full refresh)", "responses": len(set(client.used)),
            "dagster/row_count": len(frame), "landing_dir": str(landing.dir),
            "preview": dg.MetadataValue.md(frame.head(10).to_markdown(index=False)),
        },
    )


@dg.asset(group_name="raw", io_manager_key="raw_io_manager", kinds={"api"})
def raw_worldbank__indicators(context, sources: SourceModeResource,
                              worldbank: WorldBankResource) -> dg.Output:
    """World Bank WDI indicators for all economies and years (WORLD_BANK_INDICATORS), every page
    followed and counted against the API's total; aggregates told apart by the API's country
    metadata. Records requests, bytes, retries and cache hits; bodies kept in the landing zone."""
    return _fetch(context, sources, worldbank)


@dg.asset(group_name="raw", io_manager_key="raw_io_manager", kinds={"api"})
def raw_comtrade__goods_trade(context, sources: SourceModeResource,
                              comtrade: ComtradeResource) -> dg.Output:
    """UN Comtrade exports and imports of the focus reporters (COMTRADE_REPORTERS) with every
    partner, one query per reporter, year and flow; a preview answer at the record cap is refused
    as incomplete. The key (COMTRADE_API_KEY) travels in a header and is never recorded."""
    return _fetch(context, sources, comtrade)


def _fetch_oecd(context, sources: SourceModeResource, oecd: OecdResource, dataflow: str) -> dg.Output:
    spec = oecd.spec(dataflow)
    if sources.resolved() == "live" and oecd.is_incremental():
        if since := published_since(sources.warehouse_dir, spec):
            spec["updated_after"] = since
            context.log.info(f"OECD {dataflow}: incremental refresh, observations revised after {since}")
    return _fetch(context, sources, oecd, spec)


@dg.asset(group_name="raw", io_manager_key="raw_io_manager", kinds={"api"})
def raw_oecd__batis(context, sources: SourceModeResource, oecd: OecdResource) -> dg.Output:
    """OECD-WTO BaTIS: services exports and imports of every reporter by EBOPS 2010 main
    component (SA..SL) with the partners of OECD_PARTNERS (W = world), balanced values in USD.
    Once published, a refresh asks only for observations revised since (``updatedAfter``)."""
    return _fetch_oecd(context, sources, oecd, "batis")


@dg.asset(group_name="raw", io_manager_key="raw_io_manager", kinds={"api"})
def raw_oecd__tiva(context, sources: SourceModeResource, oecd: OecdResource) -> dg.Output:
    """OECD-WTO TiVA (2025 edition) indicators of OECD_TIVA_INDICATORS (EXGR_FVA: foreign value
    added, % of gross exports) for every economy, total economy, partners of OECD_PARTNERS.
    Once published, a refresh asks only for observations revised since (``updatedAfter``)."""
    return _fetch_oecd(context, sources, oecd, "tiva")


@dg.asset(group_name="raw", io_manager_key="raw_io_manager", kinds={"api"})
def raw_oecd__stri(context, sources: SourceModeResource, oecd: OecdResource) -> dg.Output:
    """OECD Services Trade Restrictiveness Indices of every economy: the Digital STRI
    (DF_STRI_DIGITAL) and the sectoral MFN STRI (DF_STRI_MAIN), composite and policy areas, two
    queries with the 8-dimension key ``A.......``; years of OECD_YEARS. Once published, a refresh
    asks only for observations revised since (``updatedAfter``)."""
    return _fetch_oecd(context, sources, oecd, "stri")


LIVE_SOURCE_ASSETS = [raw_worldbank__indicators, raw_comtrade__goods_trade, raw_oecd__batis, raw_oecd__tiva,
                      raw_oecd__stri]
