"""Live API sources behind the canonical tables: what to fetch, and how to read it back.

A live input is described by a plain dict (the *spec*: source, table, base URL and query
scope; never a secret) so that a raw asset can record it and the core asset can re-read
exactly the bodies the raw asset landed, with no network (``HttpClient(replay_only=True)``).

======================  ==========================  =====================================
source                  canonical table             scope of one refresh
======================  ==========================  =====================================
``worldbank``           ``macro_indicators``        WDI indicators, all economies, all years
``comtrade``            ``bilateral_goods_trade``   focus reporters x years x (X, M)
======================  ==========================  =====================================
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from pipeline.sources.base import Provenance
from pipeline.sources.comtrade import ComtradeClient
from pipeline.sources.http import HttpClient
from pipeline.sources.landing import LandingZone
from pipeline.sources.worldbank import fetch_indicators

LIVE_TABLES = {"macro_indicators": "worldbank", "bilateral_goods_trade": "comtrade"}
LICENCES = {
    "worldbank": "CC BY 4.0 (World Bank World Development Indicators)",
    "comtrade": "UN Comtrade terms of use (redistribution restricted; cite UN Comtrade)",
}
# Requests per minute per host: the World Bank publishes no limit (be polite); the Comtrade
# preview allows about one call a second; the OECD about 20 queries a minute.
RATE_LIMITS = {"worldbank": 60.0, "comtrade": 30.0, "oecd": 20.0}


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
                years += list(range(start, end + 1))
            else:
                years.append(int(part))
    except ValueError as exc:
        raise ValueError(f"years {text!r}: write a range like 2019-2022 or a list like 2015,2019") from exc
    if not years:
        raise ValueError(f"years {text!r}: no year given")
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
    raise ValueError(f"unknown live source {spec['source']!r}; known: {sorted(set(LIVE_TABLES.values()))}")


def landing_provenance(spec: dict[str, Any], landing: LandingZone, urls: list[str]) -> Provenance:
    """One provenance record for the bodies a refresh used: their count, bytes and a digest."""
    metas = [m for m in landing.entries() if m["url"] in set(urls)]
    digest = hashlib.sha256("".join(sorted(m["sha256"] for m in metas)).encode()).hexdigest()
    newest = max((m["retrieved_at"] for m in metas), default="")
    return Provenance(
        source=f"{spec['source']}_api", dataset_id=spec["source"], table=spec["table"],
        location=str(landing.dir), size_bytes=int(sum(m["size_bytes"] for m in metas)), sha256=digest,
        modified_at=newest, retrieved_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        licence=LICENCES[spec["source"]],
    )


def replay_client(spec: dict[str, Any], landing_root: Path | str) -> HttpClient:
    """A client that answers only from the landing zone (no network, no key needed)."""
    return HttpClient(spec["source"], spec["base_url"], LandingZone(landing_root, spec["source"]),
                      replay_only=True)
