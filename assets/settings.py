"""Environment variables the pipeline reads, with their defaults (one list for all entry points).

``.env.example``, the README's table and ``python -m assets.run`` all derive from it.
"""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

SETTINGS: list[tuple[str, str | None, str]] = [
    ("TRADE_SOURCES", "auto", "`live` (APIs), `bulk` (files under TRADE_BULK_DIR) or `auto`: bulk when "
     "TRADE_BULK_DIR is set, else live. In live mode, WIOD and the gravity panels still come from "
     "TRADE_BULK_DIR when it is set; without it their outputs are skipped. In bulk mode the "
     "OECD tables (API only) are skipped."),
    ("TRADE_BULK_DIR", "", "Directory of bulk downloads (e.g. ../shared/datasets): works offline."),
    ("TRADE_API_CACHE_HOURS", "24", "A landed API answer younger than this is reused without a request; "
     "older ones are revalidated (ETag / Last-Modified)."),
    ("TRADE_RATE_LIMITS", "", "Requests per minute for named API hosts, overriding the APIs' own limits "
     "(World Bank 60, Comtrade 30, OECD 20) for a mirror or a local server: host=per_minute, comma-separated, "
     "0 = no limit (e.g. 127.0.0.1=0). Hosts not named keep their API's limit."),
    ("WORLD_BANK_API_URL", "https://api.worldbank.org/v2", "World Bank Indicators API v2 (or a mirror)."),
    ("WORLD_BANK_INDICATORS", "NY.GDP.MKTP.CD,NE.EXP.GNFS.ZS,NE.IMP.GNFS.ZS,TX.VAL.MRCH.CD.WT,"
     "TM.VAL.MRCH.CD.WT,SP.POP.TOTL,TX.VAL.FUEL.ZS.UN,TX.VAL.MMTL.ZS.UN",
     "WDI indicator codes fetched for all economies and years."),
    ("COMTRADE_API_URL", "https://comtradeapi.un.org", "UN Comtrade API v1 (or a mirror)."),
    ("COMTRADE_API_KEY", "", "Optional Comtrade subscription key (sent as a header, never logged). "
     "Without it the public preview endpoint (500 records per query) is used."),
    ("COMTRADE_REPORTERS", "ZAF,NGA,KEN,ETH,GHA,CIV,SEN,EGY,MAR,BRA,ARG,MEX,IND,IDN,VNM,BGD,PAK,PHL",
     "Focus reporters (ISO3) whose exports and imports with every partner are fetched."),
    ("COMTRADE_YEARS", "2019-2022", "Years for Comtrade: a range (2019-2022) or a list (2015,2019)."),
    ("COMTRADE_COMMODITIES", "TOTAL", "Comtrade commodity codes: TOTAL = all goods (always fetched); AG2, AG4, "
     "AG6 = every HS chapter, heading or subheading, one query each (product metrics; AG6 needs a key)."),
    ("OECD_SDMX_API_URL", "https://sdmx.oecd.org/public/rest", "OECD SDMX REST API (or a mirror): BaTIS "
     "services trade, TiVA and STRI (live mode). At the default, TiVA is asked of its own root (/sti-public/rest)."),
    ("OECD_PARTNERS", "W", "OECD partner areas for BaTIS and TiVA (W = world; empty = every partner, "
     "a far larger query)."),
    ("OECD_YEARS", "", "Years for BaTIS, TiVA and STRI, a range like 2015-2022; empty = all published years."),
    ("OECD_TIVA_INDICATORS", "EXGR_FVA", "TiVA MEASURE codes (EXGR_FVA = foreign value added in gross "
     "exports; other codes: see pipeline/sources/oecd_dataflows.yaml)."),
    ("OECD_INCREMENTAL", "true", "Once a BaTIS, TiVA or STRI table is published from the API, ask the OECD "
     "only for observations revised since (updatedAfter) and lay them over it; false = full refresh."),
    ("TRADE_WAREHOUSE_DIR", "warehouse", "Where the Parquet warehouse and catalog.json are published: a directory, "
     "or object storage as s3://bucket/prefix (credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY only, "
     "endpoint AWS_ENDPOINT_URL, region AWS_REGION; README \"The warehouse on object storage\")."),
    ("TRADE_DISABLED_DATASETS", "", "Manifest dataset ids to run without (comma-separated, e.g. atlas_sections). "
     "Every other dataset the manifest declares for a table must have its file under TRADE_BULK_DIR, "
     "or the run stops naming it."),
    ("TRADE_COVERAGE_TOLERANCE", "0.01", "Largest drop (0..1) of a published table's rows, countries, years or "
     "value total, per source, against the last publish, that a run may publish; a larger drop stops "
     "the run with the numbers."),
    ("TRADE_CONTRACT_ENGINE", "auto", "Who runs the contract rules: `auto` (DuckDB SQL compiled from the contract "
     "on tables of 100,000 rows or more, Great Expectations below), `gx` or `duckdb`."),
    ("TRADE_ACCEPT_COVERAGE_DROP", "", "Tables (comma-separated, or `all`) this run may publish with a larger "
     "coverage drop than TRADE_COVERAGE_TOLERANCE: for a deliberate change of scope (a dataset "
     "disabled, fewer Comtrade reporters or years)."),
    ("TRADE_ASSETS", "", "`make run` only: a Dagster asset selection to run instead of the whole refresh, e.g. "
     "key:core__bilateral_goods_trade+ (that table and everything downstream); the other tables stay as "
     "published, and a selection reading a table that is neither selected nor published is refused before "
     "the run (+key:X adds X's upstream). Empty = every asset the settings can run."),
    ("TRADE_EXECUTOR", "in_process", "Where a run's steps execute: `in_process` (every step in the run's process, "
     "what `make run` does), or one of Dagster's step executors: `multiprocess`, `docker` (dagster-docker) or `k8s` "
     "(dagster-k8s, one pod per step). The step executors are refused before the run until the warehouse "
     "publishes once per run (README \"Running at scale\")."),
    ("TRADE_MAX_CONCURRENT", "", "Step executors: steps running at once (empty = the executor's default); "
     "memory-heavy steps (tag `trade/memory: heavy`) run one at a time whatever this says."),
    ("TRADE_MANIFEST", "pipeline/sources/manifests/shared_datasets.yaml",
     "Manifest mapping bulk-file patterns to canonical tables."),
    ("TRADE_COUNTRY_GROUPS_FILE", "", "Optional YAML of extra country groups (same format as pipeline/reference/country_groups.yaml)."),
    ("TRADE_BRIEF_COUNTRIES", "IND,BGD,ZAF,NGA,KEN,ETH,GHA,ZMB,BRA,CHN,IDN,EGY",
     "Countries (ISO3, comma-separated) that get a brief, warehouse/briefs/<ISO3>.html and .json "
     "(`make brief C=...` writes others from the published warehouse)."),
    ("DAGSTER_HOME", ".dagster_home", "Dagster instance directory (run history the UI shows)."),
]


def default(name: str) -> str:
    """The default of setting ``name``."""
    return next(d or "" for n, d, _ in SETTINGS if n == name)


PATH_SETTINGS = {"TRADE_WAREHOUSE_DIR", "TRADE_MANIFEST", "DAGSTER_HOME"}


def apply_defaults(environ: dict[str, str] | None = None) -> None:
    """Fill unset variables with their defaults, relative paths resolved against the repo."""
    env = os.environ if environ is None else environ
    for name, default, _ in SETTINGS:
        if default is None or env.get(name):
            continue
        env[name] = str(REPO_ROOT / default) if default and name in PATH_SETTINGS else default


def prepare_dagster_home(path: Path) -> None:
    """Create DAGSTER_HOME with telemetry and the welcome modal switched off."""
    path.mkdir(parents=True, exist_ok=True)
    config = path / "dagster.yaml"
    if not config.exists():
        config.write_text("telemetry:\n  enabled: false\nnux:\n  enabled: false\n")
