"""World Bank Indicators API v2 (WDI): indicator values for all economies, with paging.

Endpoints: ``/country?format=json`` (economies with region and income level: region id
``NA`` / value ``Aggregates`` marks an aggregate) and
``/country/all/indicator/{code}?format=json&page=..&per_page=..``. The answer is
``[meta, records]``; paging fields are ints on data endpoints and strings on metadata ones;
an invalid request returns HTTP 200 with ``[{"message": [...]}]``; ``value`` may be ``null``
(kept as missing). Every page is fetched and the record count checked against ``total``.
"""
from __future__ import annotations

from typing import Any, Callable

import pandas as pd

from pipeline.sources.api_parsing import ApiFormatError, decode_json, require_fields
from pipeline.sources.http import HttpClient

DEFAULT_INDICATORS = (
    "NY.GDP.MKTP.CD", "NE.EXP.GNFS.ZS", "NE.IMP.GNFS.ZS", "TX.VAL.MRCH.CD.WT",
    "TM.VAL.MRCH.CD.WT", "SP.POP.TOTL", "TX.VAL.FUEL.ZS.UN", "TX.VAL.MMTL.ZS.UN",
)
RECORD_FIELDS = ("indicator", "country", "countryiso3code", "date", "value")


def parse_page(body: bytes, url: str) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """One page of a World Bank v2 answer -> (paging with ints, records)."""
    doc = decode_json(body, url, "a World Bank [meta, records] array")
    if isinstance(doc, list) and len(doc) == 1 and isinstance(doc[0], dict) and "message" in doc[0]:
        messages = "; ".join(f"{m.get('id')} {m.get('key')}: {m.get('value')}" for m in doc[0]["message"])
        raise ApiFormatError(f"{url}: the World Bank API refused the request ({messages})")
    if not (isinstance(doc, list) and len(doc) == 2 and isinstance(doc[0], dict)):
        raise ApiFormatError(f"{url}: expected a two-element [meta, records] array, got {str(doc)[:120]!r}")
    meta = doc[0]
    try:
        paging = {k: int(meta[k]) for k in ("page", "pages", "per_page", "total")}
    except (KeyError, TypeError, ValueError) as exc:
        raise ApiFormatError(f"{url}: paging fields missing or not numbers in {meta}") from exc
    records = doc[1] or []  # no data at all comes back as null
    return paging, records


def fetch_all_pages(client: HttpClient, path: str, params: dict[str, Any],
                    progress: Callable[[str], None] = lambda m: None) -> list[dict[str, Any]]:
    """Follow ``page``/``pages`` to the end; fail if the records do not add up to ``total``."""
    records: list[dict[str, Any]] = []
    page, pages, total = 1, 1, 0
    while page <= pages:
        response = client.get(path, {**params, "format": "json", "page": page})
        try:
            paging, rows = parse_page(response.body, response.url)
        except ApiFormatError as exc:
            if client.landing and response.landed:
                client.landing.reject(response.landed, str(exc))
            raise
        pages, total = paging["pages"], paging["total"]
        records += rows
        if pages > 1:
            progress(f"worldbank {path}: page {page}/{pages} ({len(records)}/{total} records)")
        page += 1
    if len(records) != total:
        raise ApiFormatError(
            f"{client.redact(client.url_for(path, params))}: got {len(records)} records over {pages} "
            f"pages but the API announced {total}; a page was lost or cut, re-run to fetch again"
        )
    return records


def fetch_economies(client: HttpClient) -> pd.DataFrame:
    """Economies with their region and income level; ``is_aggregate`` from region ``NA``."""
    rows = fetch_all_pages(client, "country", {"per_page": 500})
    for row in rows[:1]:
        require_fields(row, ("id", "name", "region", "incomeLevel"), "worldbank /country", "an economy")
    return pd.DataFrame(
        {
            "iso3": [r["id"] for r in rows],
            "iso2": [r.get("iso2Code") for r in rows],
            "name": [r["name"] for r in rows],
            "region": [(r.get("region") or {}).get("value", "").strip() for r in rows],
            "income_level": [(r.get("incomeLevel") or {}).get("value", "").strip() for r in rows],
            "is_aggregate": [(r.get("region") or {}).get("id") == "NA"
                             or (r.get("region") or {}).get("value", "").strip() == "Aggregates"
                             for r in rows],
        }
    )


def records_to_frame(records: list[dict[str, Any]], url: str, iso2_to_iso3: dict[str, str]) -> pd.DataFrame:
    """World Bank records -> ``iso3, year, indicator_code, value`` (null values stay missing)."""
    if records:
        require_fields(records[0], RECORD_FIELDS, url, "an indicator record")
    iso3 = [r.get("countryiso3code") or iso2_to_iso3.get((r.get("country") or {}).get("id", ""), "")
            for r in records]
    frame = pd.DataFrame(
        {
            "iso3": iso3,
            "year": [r["date"] for r in records],
            "indicator_code": [r["indicator"]["id"] for r in records],
            "value": pd.to_numeric(pd.Series([r["value"] for r in records], dtype=object), errors="coerce"),
        }
    )
    unknown = frame["iso3"] == ""
    if unknown.any():
        raise ApiFormatError(f"{url}: {int(unknown.sum())} records carry no ISO3 code and no known country id")
    return frame


def fetch_indicators(client: HttpClient, indicators: tuple[str, ...] = DEFAULT_INDICATORS,
                     progress: Callable[[str], None] = lambda m: None) -> pd.DataFrame:
    """All economies and years of each indicator, with ``is_aggregate`` from the API's metadata.

    Returns canonical ``macro_indicators`` columns (before the contract gate).
    """
    economies = fetch_economies(client)
    iso2_to_iso3 = dict(zip(economies["iso2"], economies["iso3"]))
    frames = []
    for code in indicators:
        path = f"country/all/indicator/{code}"
        records = fetch_all_pages(client, path, {"per_page": 20000}, progress)
        frames.append(records_to_frame(records, client.url_for(path), iso2_to_iso3))
        progress(f"worldbank {code}: {len(records)} records")
    frame = pd.concat(frames, ignore_index=True)
    aggregates = set(economies.loc[economies["is_aggregate"], "iso3"])
    frame["is_aggregate"] = frame["iso3"].isin(aggregates)
    frame["source"] = "worldbank_api"
    return frame
