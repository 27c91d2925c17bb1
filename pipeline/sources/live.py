"""Live API sources behind the canonical tables: what to fetch, and how to read it back.

A live input is described by a plain dict (the *spec*: source, table, base URL and query
scope; never a secret) so that a raw asset can record it and the core asset can re-read
exactly the bodies the raw asset landed, with no network (``HttpClient(replay_only=True)``).

======================  ==========================  =====================================
source                  canonical table             scope of one refresh
======================  ==========================  =====================================
``worldbank``           ``macro_indicators``        WDI indicators, all economies, all years
``comtrade``            ``bilateral_goods_trade``   focus reporters x years x (X, M)
``oecd`` (BaTIS)        ``services_trade``          all reporters, OECD_PARTNERS, EBOPS SA..SL
``oecd`` (TiVA)         ``value_added_trade``       all economies, OECD_PARTNERS, total economy
``oecd`` (STRI)         ``services_restrictiveness``  Digital STRI and sectoral STRI, all economies
======================  ==========================  =====================================

The OECD specs carry ``updated_after`` when a previous refresh published the table: the API
then answers only the observations revised since, and :func:`merge_update` lays them over the
published table.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from pipeline.sources import oecd
from pipeline.sources.base import Provenance
from pipeline.sources.comtrade import ComtradeClient
from pipeline.sources.http import HttpClient
from pipeline.sources.landing import LandingZone
from pipeline.sources.worldbank import fetch_indicators

LIVE_TABLES = {"macro_indicators": "worldbank", "bilateral_goods_trade": "comtrade",
               "services_trade": "oecd", "value_added_trade": "oecd", "services_restrictiveness": "oecd"}
OECD_TABLES = {"batis": "services_trade", "tiva": "value_added_trade",  # dataflow -> table
               "stri": "services_restrictiveness"}  # stri: DF_STRI_DIGITAL and DF_STRI_MAIN
OECD_KEYS = {  # primary key of each OECD table: an updated observation replaces the published one
    "services_trade": ["reporter_iso3", "partner_iso3", "year", "ebops2010_code", "flow"],
    "value_added_trade": ["iso3", "partner_iso3", "year", "indicator_code", "unit"],
    "services_restrictiveness": ["iso3", "year", "index_id", "sector_id", "policy_area"],
}
LICENCES = {
    "worldbank": "CC BY 4.0 (World Bank World Development Indicators)",
    "comtrade": "UN Comtrade terms of use (redistribution restricted; cite UN Comtrade)",
    "oecd": "OECD Terms and Conditions (free reuse with attribution; BaTIS and TiVA are joint OECD-WTO "
            "datasets: cite both; STRI: cite the OECD Services Trade Restrictiveness Index)",
}


def resolve_mode(mode: str | None, bulk_dir: str | None) -> str:
    """``TRADE_SOURCES`` -> ``live`` or ``bulk``: ``auto`` (or empty) is bulk when a bulk
    directory is set, else live."""
    mode = (mode or "auto").strip().lower()
    if mode == "auto":
        return "bulk" if bulk_dir else "live"
    if mode not in ("live", "bulk"):
        raise ValueError(f"TRADE_SOURCES={mode!r}: use live, bulk or auto")
    return mode


def parse_years(text: str) -> list[int]:
    """``"2019-2022"`` or ``"2015,2019"`` -> list of years; the message names the setting."""
    years: list[int] = []
    try:
        for part in (p.strip() for p in str(text).split(",") if p.strip()):
            if "-" in part:
                start, end = (int(x) for x in part.split("-", 1))
                if end < start:
                    raise ValueError(f"years {text!r}: the range {part} runs backwards: write {end}-{start}")
                years += list(range(start, end + 1))
            else:
                years.append(int(part))
    except ValueError as exc:
        if "runs backwards" in str(exc):
            raise
        raise ValueError(f"years {text!r}: write a range like 2019-2022 or a list like 2015,2019") from exc
    if not years:
        raise ValueError(f"years {text!r}: no year given")
    if not all(1900 <= y <= 2100 for y in years):
        raise ValueError(f"years {text!r}: give calendar years between 1900 and 2100")
    return sorted(set(years))


def parse_codes(text: str) -> list[str]:
    """``"ZAF, KEN"`` -> ``["ZAF", "KEN"]`` (upper case, order kept, duplicates dropped)."""
    return list(dict.fromkeys(c.strip().upper() for c in str(text).split(",") if c.strip()))


def fetch_frame(spec: dict[str, Any], client: HttpClient,
                progress: Callable[[str], None] = lambda m: None) -> pd.DataFrame:
    """Fetch (or, with a replay client, re-read) one live input as canonical columns."""
    if spec["source"] == "worldbank":
        return fetch_indicators(client, tuple(spec["indicators"]), progress).astype({"year": "int64"})
    if spec["source"] == "comtrade":
        comtrade = ComtradeClient(client, keyed=spec["keyed"])
        return comtrade.fetch_reporters(spec["reporters"], spec["years"], spec["commodities"], progress)
    if spec["source"] == "oecd":
        return fetch_oecd(spec, client, progress)
    raise ValueError(f"unknown live source {spec['source']!r}; known: {sorted(set(LIVE_TABLES.values()))}")


def fetch_oecd(spec: dict[str, Any], client: HttpClient,
               progress: Callable[[str], None] = lambda m: None) -> pd.DataFrame:
    """One OECD dataflow (``spec["dataflow"]``: ``batis``, ``tiva`` or ``stri``, the last being two
    queries: DF_STRI_DIGITAL and DF_STRI_MAIN) in canonical columns, for ``spec["years"]`` (``[start,
    end]`` or None = all published) and ``spec["partners"]`` (None = all; not a dimension of STRI);
    with ``spec["updated_after"]`` only the observations revised since then."""
    years = tuple(spec["years"]) if spec.get("years") else None
    kwargs = {"partners": spec.get("partners") or None, "years": years,
              "updated_after": spec.get("updated_after")}
    what = f"OECD {spec['dataflow']}" + (f" revised after {spec['updated_after']}" if spec.get("updated_after") else "")
    queries = len(oecd.STRI_DATAFLOWS) if spec["dataflow"] == "stri" else 1
    pace = f"{client.per_minute:g} a minute at most" if getattr(client, "per_minute", None) else "no rate limit"
    progress(f"{what}: asking {spec['base_url']} ({queries} quer{'ies' if queries > 1 else 'y'}, {pace})")
    if spec["dataflow"] == "stri":
        frame = oecd.fetch_stri(client, years=years, updated_after=spec.get("updated_after"))
    elif spec["dataflow"] == "batis":
        frame = oecd.fetch_batis(client, **kwargs)
    elif spec["dataflow"] == "tiva":
        frame = oecd.fetch_tiva(client, indicators=spec.get("indicators") or None, **kwargs)
    else:
        raise ValueError(f"OECD dataflow {spec['dataflow']!r} has no table here; known: {sorted(OECD_TABLES)}")
    progress(f"{what}: {len(frame):,} observations")
    return frame


def merge_update(published: pd.DataFrame | None, update: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The published table with the rows of an incremental answer laid over it: an observation
    in ``update`` replaces the published one with the same ``keys``; others are kept as they were."""
    if published is None or published.empty:
        return update.reset_index(drop=True)
    update = update.astype({k: published[k].dtype for k in keys if k in published}, errors="ignore")
    stale = published.set_index(keys).index.isin(update.set_index(keys).index)
    # Empty parts left out: an answer with no revisions (the usual re-run) has untyped empty
    # columns, and concatenating it draws pandas' FutureWarning on the dtypes of empty entries.
    parts = [p for p in (published[~stale], update[published.columns.intersection(update.columns)]) if not p.empty]
    return pd.concat(parts, ignore_index=True)


def landing_provenance(spec: dict[str, Any], landing: LandingZone, urls: list[str]) -> Provenance:
    """One provenance record for the bodies a refresh used: their count, bytes and a digest."""
    metas = [m for m in landing.entries() if m["url"] in set(urls)]
    digest = hashlib.sha256("".join(sorted(m["sha256"] for m in metas)).encode()).hexdigest()
    newest = max((m["retrieved_at"] for m in metas), default="")
    return Provenance(
        source=f"{spec['source']}_api", dataset_id=spec.get("scope", spec["source"]), table=spec["table"],
        location=str(landing.dir), size_bytes=int(sum(m["size_bytes"] for m in metas)), sha256=digest,
        modified_at=newest, retrieved_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        licence=LICENCES[spec["source"]],
    )


def published_since(warehouse: Path | str, spec: dict[str, Any], margin_hours: float = 24.0) -> str | None:
    """When the published table of ``spec`` was fetched, less ``margin_hours`` (clocks and the
    API's revision stamps differ; asking for a day more is harmless, the merge is idempotent),
    as ``updatedAfter`` for an incremental refresh. None when the table is not published, or
    was published from a query of another scope (then everything is asked for again)."""
    from pipeline.warehouse.parquet import file_metadata

    from pipeline.warehouse.objects import resolve

    files = sorted((resolve(warehouse) / spec["table"]).rglob("*.parquet"))
    if not files:
        return None
    provenance = json.loads(file_metadata(files[0]).get("provenance") or "[]")
    if len(provenance) != 1 or provenance[0].get("dataset_id") != spec["scope"]:
        return None
    fetched = datetime.fromisoformat(provenance[0]["modified_at"].replace("Z", "+00:00"))
    return oecd.iso_utc(fetched - timedelta(hours=margin_hours))


def replay_client(spec: dict[str, Any], landing_root: Path | str) -> HttpClient:
    """A client that answers only from the landing zone (no network, no key needed)."""
    return HttpClient(spec["source"], spec["base_url"], LandingZone(landing_root, spec["source"]),
                      replay_only=True)
