"""Resources: configuration bound from the environment in ``definitions.py`` only."""
from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from pipeline.sources.base import SourceError
from pipeline.sources.files import DEFAULT_MANIFEST, FilesSource
from pipeline.sources.live import parse_codes, parse_years, resolve_mode
from pipeline.sources.rate_limits import parse_rate_limits, per_minute_for
from pipeline.warehouse.objects import is_remote


class BulkFilesResource(dg.ConfigurableResource):
    """The ``files`` source: bulk downloads under ``bulk_dir`` described by ``manifest``."""

    bulk_dir: str | None = None
    manifest: str | None = None
    disabled_datasets: str = ""

    def source(self) -> FilesSource:
        if not self.bulk_dir:
            raise dg.Failure(
                description="TRADE_BULK_DIR is not set: point it at your bulk downloads, "
                "e.g. `TRADE_BULK_DIR=../shared/datasets make run`"
            )
        try:
            return FilesSource(self.bulk_dir, self.manifest or DEFAULT_MANIFEST,
                               tuple(c.strip() for c in (self.disabled_datasets or "").split(",") if c.strip()))
        except SourceError as exc:
            raise dg.Failure(description=str(exc)) from None


class CountryGroupsResource(dg.ConfigurableResource):
    """Built-in country groups plus, optionally, a user YAML file of more groups."""

    extra_groups_file: str | None = None

    def path(self) -> Path | None:
        return Path(self.extra_groups_file) if self.extra_groups_file else None


class BriefsResource(dg.ConfigurableResource):
    """Which countries get a brief (TRADE_BRIEF_COUNTRIES, ISO3 codes, comma-separated)."""

    countries: str = ""

    def codes(self) -> list[str]:
        from assets.settings import default
        from pipeline.briefs import UnknownCountry, parse_countries

        try:
            return parse_countries(self.countries or default("TRADE_BRIEF_COUNTRIES"))
        except UnknownCountry as exc:
            raise dg.Failure(description=str(exc)) from None


class SourceModeResource(dg.ConfigurableResource):
    """Which sources feed the tables: ``live`` APIs, ``bulk`` files, or ``auto`` (bulk when a
    bulk directory is set, else live). Also where API answers land (``<warehouse>/landing``)
    and how long a landed answer is reused without asking again."""

    mode: str = "auto"
    bulk_dir: str | None = None
    warehouse_dir: str
    cache_hours: str = "24"
    rate_limits: str = ""  # TRADE_RATE_LIMITS: host=per_minute overrides (a mirror, a local server)

    def per_minute(self, source: str, base_url: str) -> float | None:
        """Requests per minute to ``base_url``: its host's TRADE_RATE_LIMITS entry, else the
        source's published limit (:func:`pipeline.sources.rate_limits.per_minute_for`)."""
        try:
            return per_minute_for(source, base_url, parse_rate_limits(self.rate_limits))
        except ValueError as exc:
            raise dg.Failure(description=str(exc)) from None

    def resolved(self) -> str:
        try:
            return resolve_mode(self.mode, self.bulk_dir)
        except ValueError as exc:
            raise dg.Failure(description=str(exc)) from None

    def cache_seconds(self) -> float:
        try:
            return float(self.cache_hours) * 3600
        except ValueError:
            raise dg.Failure(description=f"TRADE_API_CACHE_HOURS={self.cache_hours!r}: give a number "
                             "of hours (0 fetches everything again)") from None

    @property
    def landing_root(self) -> Path:
        """``<warehouse>/landing`` is in the published snapshot; with the warehouse on object
        storage the response cache stays on this machine, ``$DAGSTER_HOME/landing-cache/<bucket>/
        <prefix>/landing`` (a cache, never a table: README "The warehouse on object storage")."""
        if is_remote(self.warehouse_dir):
            home = Path(os.environ.get("DAGSTER_HOME") or ".dagster_home")
            return home / "landing-cache" / self.warehouse_dir.split("://", 1)[1].strip("/")
        return Path(self.warehouse_dir)


class WorldBankResource(dg.ConfigurableResource):
    """World Bank Indicators API v2: base URL (a mirror or test server can stand in) and the
    WDI indicators fetched for all economies."""

    base_url: str = "https://api.worldbank.org/v2"
    indicators: str

    def spec(self) -> dict:
        return {"source": "worldbank", "table": "macro_indicators", "base_url": self.base_url,
                "indicators": parse_codes(self.indicators)}

    def secrets(self) -> tuple[str, ...]:
        return ()

    def headers(self) -> dict[str, str]:
        return {}


class ComtradeResource(dg.ConfigurableResource):
    """UN Comtrade API v1: base URL, optional subscription key (a header, never logged), the
    focus reporters, years and commodity codes of a refresh."""

    base_url: str = "https://comtradeapi.un.org"
    api_key: str | None = None
    reporters: str
    years: str
    commodities: str = "TOTAL"

    def spec(self) -> dict:
        try:
            years = parse_years(self.years)
        except ValueError as exc:
            raise dg.Failure(description=f"COMTRADE_YEARS: {exc}") from exc
        return {"source": "comtrade", "table": "bilateral_goods_trade", "base_url": self.base_url,
                "keyed": bool(self.api_key), "reporters": parse_codes(self.reporters),
                "years": years, "commodities": self.commodities}

    def secrets(self) -> tuple[str, ...]:
        return (self.api_key,) if self.api_key else ()

    def headers(self) -> dict[str, str]:
        return {"Ocp-Apim-Subscription-Key": self.api_key} if self.api_key else {}


class OecdResource(dg.ConfigurableResource):
    """OECD SDMX REST API: base URL (a mirror or test server can stand in), the partners (BaTIS,
    TiVA) and years asked for, the TiVA indicators, and whether a refresh asks only for what was revised
    since the published table was fetched (``updatedAfter``)."""

    base_url: str = "https://sdmx.oecd.org/public/rest"
    partners: str = "W"
    years: str = ""
    tiva_indicators: str = "EXGR_FVA"
    incremental: str = "true"

    def spec(self, dataflow: str) -> dict:
        from pipeline.sources.live import OECD_TABLES

        try:
            years = parse_years(self.years) if self.years.strip() else None
        except ValueError as exc:
            raise dg.Failure(description=f"OECD_YEARS: {exc} (or leave it empty for all published years)") from exc
        partners = None if dataflow == "stri" else parse_codes(self.partners) or None  # STRI has no partner
        spec = {"source": "oecd", "table": OECD_TABLES[dataflow], "dataflow": dataflow,
                "base_url": self.base_url, "partners": partners,
                "years": [years[0], years[-1]] if years else None}
        if dataflow == "tiva":
            spec["indicators"] = parse_codes(self.tiva_indicators) or None
        spec["scope"] = scope_label(spec)
        return spec

    def is_incremental(self) -> bool:
        value = self.incremental.strip().lower()
        if value not in ("true", "false", "1", "0", "yes", "no", ""):
            raise dg.Failure(description=f"OECD_INCREMENTAL={self.incremental!r}: use true or false")
        return value in ("true", "1", "yes")

    def secrets(self) -> tuple[str, ...]:
        return ()

    def headers(self) -> dict[str, str]:
        return {}


def scope_label(spec: dict) -> str:
    """What one OECD query covers, readable: ``oecd:batis partners=W years=all``. A published
    table is only updated incrementally by a query of the same scope."""
    parts = [f"oecd:{spec['dataflow']}", f"base={spec['base_url']}"]
    if spec["dataflow"] != "stri":
        parts.append(f"partners={'+'.join(spec['partners']) if spec['partners'] else 'all'}")
    parts.append(f"years={'-'.join(map(str, spec['years'])) if spec['years'] else 'all'}")
    if spec.get("indicators"):
        parts.append(f"indicators={'+'.join(spec['indicators'])}")
    return " ".join(parts)
