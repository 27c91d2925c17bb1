"""OECD .Stat SDMX REST API: TiVA, BaTIS and STRI as tidy frames (no Dagster here).

Queries ``GET {base}/data/{agency},{dataflow},{version}/{key}?startPeriod=..&endPeriod=..
&updatedAfter=..&dimensionAtObservation=AllDimensions`` with ``Accept:
application/vnd.sdmx.data+csv; version=2.0.0; labels=both`` and parses the SDMX-CSV answer
(:mod:`pipeline.sources.sdmx_csv`). Dataflow ids, key layout, column mapping and filters
live in ``oecd_dataflows.yaml`` (what in it is verified and what is not is written there).

The OECD answers a query that matches nothing with HTTP 404 and a short text body
(``NoRecordsFound``): that is an empty result. Every other unreadable answer (HTML, empty
body, truncated CSV, missing columns) raises :class:`ApiFormatError` naming the URL and what
was expected, and its landed body is marked rejected so the next run fetches it again.

Public functions (``client`` from :func:`make_client`; ``years`` an inclusive
``(start, end)``; ``updated_after`` an ISO timestamp for an incremental refresh, which
returns only the observations changed since then):

- ``fetch_tiva(client, ...)`` -> ``iso3, partner_iso3, year, indicator_code, value, unit``
  (``unit`` ``pct`` = 0..100 share, ``usd`` = US dollars, UNIT_MULT applied);
- ``fetch_batis(client, ...)`` -> ``reporter_iso3, partner_iso3, year, ebops2010_code, flow``
  (``export``/``import``), ``value_usd``;
- ``fetch_stri(client, ...)`` -> ``iso3, year, index_id, sector_id, measure_code, value`` (0..1),
  the Digital STRI and the sectoral STRI;
- ``fetch_dataflow(client, name, ...)`` -> the parsed SDMX-CSV frame (codes, ``*_label``,
  ``OBS_VALUE``, ``value``) for any entry of the YAML.

Area codes: ISO3 pass through, ``W`` -> ``WLD`` (``area_codes`` in the YAML); other OECD
area codes (aggregates such as ``EU27_2020`` or ``OECD``) are kept as published, for the
contract gate to accept or refuse (``pipeline.reference.codes.country_codes().valid``). A
missing observation value stays NaN; it is never dropped or zeroed.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from pipeline.sources.api_parsing import ApiFormatError
from pipeline.sources.http import HttpClient
from pipeline.sources.landing import LandingZone
from pipeline.sources.rate_limits import RATE_LIMITS
from pipeline.sources.sdmx_csv import parse_sdmx_csv

DATAFLOWS_FILE = Path(__file__).with_name("oecd_dataflows.yaml")
NO_RECORDS = (b"NoRecordsFound", b"NoResultsFound", b"No Records Found", b"No Results Found")
TIVA_COLUMNS = ["iso3", "partner_iso3", "year", "indicator_code", "value", "unit"]
BATIS_COLUMNS = ["reporter_iso3", "partner_iso3", "year", "ebops2010_code", "flow", "value_usd"]
STRI_COLUMNS = ["iso3", "year", "index_id", "sector_id", "measure_code", "value"]
STRI_DATAFLOWS = ("stri_digital", "stri_main")


@lru_cache(maxsize=4)
def load_dataflows(path: Path = DATAFLOWS_FILE) -> dict[str, Any]:
    """The dataflow configuration (``oecd_dataflows.yaml`` unless another path is given)."""
    spec = yaml.safe_load(Path(path).read_text())
    for name, entry in spec["dataflows"].items():
        missing = [k for k in ("agency", "id", "version", "dimensions", "key", "columns", "licence", "doc_url")
                   if k not in entry]
        if missing:
            raise ValueError(f"{path}: dataflow {name!r} lacks {missing}")
    return spec


def make_client(base_url: str | None = None, landing: LandingZone | None = None, **kw: Any) -> HttpClient:
    """An :class:`HttpClient` for the OECD: 20 queries a minute, SDMX-CSV 2.0 ``Accept``.

    ``base_url`` is ``OECD_SDMX_API_URL`` (default ``https://sdmx.oecd.org/public/rest``).
    """
    return HttpClient("oecd", base_url or load_dataflows()["api_url"], landing,
                      per_minute=kw.pop("per_minute", RATE_LIMITS["oecd"]), **kw)


def _root_for(client: HttpClient, entry: dict[str, Any], spec: dict[str, Any]) -> str:
    """The entry's own service root while the client points at the OECD default; else the
    client's base URL (a mirror or a test server serves every dataflow)."""
    default = client.base_url.rstrip("/") == spec["api_url"].rstrip("/")
    return entry.get("service_root", client.base_url) if default else client.base_url


def build_key(entry: dict[str, Any], overrides: dict[str, str | list[str]] | None = None) -> str:
    """The dotted series key: one segment per dimension, ``A+B`` for several codes, empty = all."""
    if not entry["dimensions"]:
        return "all"
    codes = {**entry["key"], **(overrides or {})}
    unknown = set(overrides or {}) - set(entry["dimensions"])
    if unknown:
        raise ValueError(f"OECD {entry['id']}: no dimension(s) {sorted(unknown)}; the key has {entry['dimensions']}")
    return ".".join("+".join(v) if isinstance(v, (list, tuple)) else str(v or "")
                    for v in (codes.get(d, "") for d in entry["dimensions"]))


def iso_utc(value: str | datetime) -> str:
    """``updatedAfter`` as ``YYYY-MM-DDTHH:MM:SSZ``: a ``+01:00`` offset would travel as a
    space in the query string."""
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00")) if not isinstance(value, datetime) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def fetch_dataflow(client: HttpClient, name: str, key: dict[str, Any] | None = None,
                   years: tuple[int, int] | None = None, updated_after: str | datetime | None = None,
                   spec: dict[str, Any] | None = None) -> pd.DataFrame:
    """One SDMX data query for the YAML entry ``name``; the parsed answer, rows filtered by
    the entry's ``measure_filter``. An OECD ``NoRecordsFound`` 404 gives an empty frame."""
    spec = spec or load_dataflows()
    entry = spec["dataflows"][name]
    path = f"data/{entry['agency']},{entry['id']},{entry['version']}/{build_key(entry, key)}"
    params = {"startPeriod": years[0] if years else None, "endPeriod": years[1] if years else None,
              "updatedAfter": iso_utc(updated_after) if updated_after else None,
              "dimensionAtObservation": "AllDimensions"}
    root = _root_for(client, entry, spec)
    http = client if root == client.base_url else _sibling(client, root)
    response = http.get(path, params, accept=spec["accept"], accept_status=(404,))
    try:
        if response.status == 404:
            if any(marker in response.body[:500] for marker in NO_RECORDS):
                return pd.DataFrame(columns=["TIME_PERIOD", "OBS_VALUE", "value"])
            raise ApiFormatError(
                f"{response.url} answered HTTP 404 without OECD's NoRecordsFound body "
                f"({response.body[:120]!r}): check agency/id/version of {name!r} in {DATAFLOWS_FILE.name}")
        frame = parse_sdmx_csv(response.body, response.url)
        for column, allowed in (entry.get("measure_filter") or {}).items():
            if column not in frame:
                raise ApiFormatError(f"{response.url}: no {column} column to filter on (measure_filter of "
                                     f"{name!r} in {DATAFLOWS_FILE.name}); the dataflow's structure changed")
            frame = frame[frame[column].isin(allowed)]
    except ApiFormatError as exc:
        if http.landing and response.landed:
            http.landing.reject(response.landed, str(exc))
        raise
    return frame.reset_index(drop=True)


def _sibling(client: HttpClient, root: str) -> HttpClient:
    """A client like ``client`` on another OECD root, sharing its landing zone and stats."""
    return dataclasses.replace(client, base_url=root)


def _coded(codes: pd.Series, mapping: dict[str, str], name: str, what: str) -> pd.Series:
    """Codes mapped through a YAML table; a code the table lacks is an error, never a gap."""
    mapped = codes.map(mapping)
    if mapped.isna().any():
        raise ApiFormatError(f"OECD {name}: code(s) {sorted(set(codes[mapped.isna()].astype(str)))} ({codes.name}) "
                             f"are not in '{what}' of {DATAFLOWS_FILE.name}; add them there")
    return mapped


def _tidy(client: HttpClient, name: str, key: dict[str, Any], years: tuple[int, int] | None,
          updated_after: str | datetime | None, spec: dict[str, Any] | None) -> tuple[pd.DataFrame, dict]:
    """Fetch entry ``name`` and rename its components by the entry's ``columns``: area codes
    through ``area_codes`` (``W`` -> ``WLD``), ``year`` an integer, ``value`` kept."""
    spec = spec or load_dataflows()
    entry = spec["dataflows"][name]
    frame = fetch_dataflow(client, name, {k: v for k, v in key.items() if v}, years, updated_after, spec)
    if frame.empty:
        return pd.DataFrame(), entry
    missing = [c for c in entry["columns"] if c not in frame]
    if missing:
        raise ApiFormatError(f"OECD {name}: the answer lacks dimension(s) {missing} (has "
                             f"{[c for c in frame.columns if not c.endswith('_label')][:16]}); "
                             f"update 'columns' in {DATAFLOWS_FILE.name}")
    out = pd.DataFrame({canonical: frame[component] for component, canonical in entry["columns"].items()})
    for column in [c for c in out if c.endswith("iso3")]:
        out[column] = out[column].replace(spec.get("area_codes", {}))
    years_ = pd.to_numeric(out["year"].astype(str).str[:4], errors="coerce")
    if years_.isna().any():
        raise ApiFormatError(f"OECD {name}: TIME_PERIOD {out['year'][years_.isna()].iloc[0]!r} is not a year")
    out["year"] = years_.astype("int64")
    out["value"] = frame["value"]
    return out, entry


def fetch_tiva(client: HttpClient, reporters: list[str] | None = None, partners: list[str] | None = None,
               indicators: list[str] | None = None, years: tuple[int, int] | None = None,
               updated_after: str | datetime | None = None, spec: dict[str, Any] | None = None) -> pd.DataFrame:
    """TiVA indicators by country and partner: ``iso3, partner_iso3, year, indicator_code,
    value, unit`` (``pct`` 0..100 or ``usd``; the unit comes from UNIT_MEASURE via ``units``)."""
    key = {"REF_AREA": reporters, "COUNTERPART_AREA": partners, "MEASURE": indicators}
    out, entry = _tidy(client, "tiva", key, years, updated_after, spec)
    if out.empty:
        return pd.DataFrame(columns=TIVA_COLUMNS)
    out["unit"] = _coded(out["unit_code"], entry["units"], "tiva", "units")
    return out[TIVA_COLUMNS]


def fetch_batis(client: HttpClient, reporters: list[str] | None = None, partners: list[str] | None = None,
                ebops: list[str] | None = None, years: tuple[int, int] | None = None,
                updated_after: str | datetime | None = None, spec: dict[str, Any] | None = None) -> pd.DataFrame:
    """BaTIS services trade: ``reporter_iso3, partner_iso3, year, ebops2010_code, flow, value_usd``
    (balanced values, USD: OBS_VALUE in millions times 10**UNIT_MULT)."""
    key = {"REF_AREA": reporters, "COUNTERPART_AREA": partners, "SERVICE": ebops}
    out, entry = _tidy(client, "batis", key, years, updated_after, spec)
    if out.empty:
        return pd.DataFrame(columns=BATIS_COLUMNS)
    out["flow"] = _coded(out["flow"], entry["flows"], "batis", "flows")
    return out.rename(columns={"value": "value_usd"})[BATIS_COLUMNS]


def fetch_stri(client: HttpClient, years: tuple[int, int] | None = None,
               updated_after: str | datetime | None = None, spec: dict[str, Any] | None = None,
               dataflows: tuple[str, ...] = STRI_DATAFLOWS) -> pd.DataFrame:
    """STRI of every economy, one query per dataflow (``stri_digital``: the Digital STRI, whole
    economy; ``stri_main``: the sectoral MFN STRI), key ``A.......`` (FREQ A, the other 7
    dimensions open): ``iso3, year, index_id, sector_id, measure_code, value`` (0..1).

    ``index_id`` and, for the Digital STRI, ``sector_id`` (TOTAL) are the entry's ``constants``;
    ACTIVITY codes go through the entry's ``activity_codes``. MEASURE codes are not judged here: the
    canonical step maps them to policy areas and the contract gate names any the index does not
    declare, any unknown sector and any value outside 0..1."""
    parts = []
    for name in dataflows:
        out, entry = _tidy(client, name, {}, years, updated_after, spec)
        if out.empty:
            continue
        for column, value in (entry.get("constants") or {}).items():
            out[column] = value
        if "sector_id" in out and entry.get("activity_codes"):
            out["sector_id"] = out["sector_id"].replace(entry["activity_codes"])
        parts.append(out.reindex(columns=STRI_COLUMNS))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=STRI_COLUMNS)
