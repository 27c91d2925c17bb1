"""Settings checked before a run starts: every bad value named with the variable and the fix.

``make run`` and ``make ui`` call :func:`setting_problems` after the defaults are filled in and
stop before Dagster starts when it finds anything, so a typo in ``TRADE_SOURCES``, a year range
written backwards or a warehouse directory that cannot be written is one clear line each,
not a traceback or seven step failures with the OS error buried.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from assets.execution import executor_problems
from pipeline.contracts.gate import parse_engine
from pipeline.sources.live import parse_codes, parse_years, resolve_mode
from pipeline.sources.rate_limits import parse_rate_limits
from pipeline.warehouse.objects import is_remote, preflight_problem
from pipeline.warehouse.publish import Warehouse, WarehouseRootError

URL_SETTINGS = ("WORLD_BANK_API_URL", "COMTRADE_API_URL", "OECD_SDMX_API_URL")
DIRECTORY_SETTINGS = ("TRADE_WAREHOUSE_DIR", "DAGSTER_HOME")


def usable_directory(value: str, name: str) -> str | None:
    """None when ``value`` is a directory this process can write in, or one it could create;
    else why not. Nothing is created: the probe file goes in the nearest existing directory and
    is removed at once."""
    path = Path(value).absolute()
    existing = next(p for p in (path, *path.parents) if p.exists())
    if not existing.is_dir():
        where = "is a file" if existing == path else f"lies under {existing}, which is a file"
        return f"{name}={value} {where}, not a directory: point {name} at a directory (created if missing)"
    probe = existing / f".write-probe.{os.getpid()}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        return (f"{name}={value} cannot be written ({type(exc).__name__} in {existing}: "
                f"{exc.strerror or exc}): point {name} at a directory you can write to, or fix its permissions")
    return None


def warehouse_place(value: str) -> str | None:
    """None when the warehouse can be the switched link of :mod:`pipeline.warehouse.switch`:
    not a mount point (a mount cannot be replaced by a link), in a parent directory this process
    can write (the link and the snapshot store ``<name>.publish`` live there)."""
    path = Path(value).absolute()
    if os.path.ismount(path):
        return (f"TRADE_WAREHOUSE_DIR={value} is a mount point; the warehouse directory is replaced by a link "
                f"to its current snapshot, which a mount cannot be: point TRADE_WAREHOUSE_DIR at a directory "
                f"inside it (e.g. {path / 'warehouse'})")
    if path.parent.is_dir() and not os.access(path.parent, os.W_OK):
        return (f"TRADE_WAREHOUSE_DIR={value}: its parent {path.parent} cannot be written, and the snapshot store "
                f"{path.name}.publish lives there: fix its permissions or choose another directory")
    try:
        Warehouse(path).check_root()
    except WarehouseRootError as exc:
        return str(exc)
    return None


def _check(problems: list[str], name: str, value: str, test: Callable[[str], object], fix: str) -> None:
    try:
        test(value)
    except (ValueError, TypeError) as exc:
        said = str(exc) if str(exc).startswith(name) else f"{name}={value!r}: {exc}"
        problems.append(said + (f"; {fix}" if fix else ""))


def _url(value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("not an http(s) URL")


def _hours(value: str) -> None:
    if not float(value) >= 0:
        raise ValueError("must be 0 or more hours")


def _true_false(value: str) -> None:
    if value.strip().lower() not in ("true", "false", "1", "0", "yes", "no", ""):
        raise ValueError("use true or false")


def _codes(value: str) -> None:
    bad = [c for c in parse_codes(value) if len(c) != 3 or not c.isalpha()]
    if bad:
        raise ValueError(f"{bad} are not ISO 3166-1 alpha-3 codes")


def _brief_countries(value: str) -> None:
    from assets.settings import default
    from pipeline.briefs import parse_countries

    parse_countries(value or default("TRADE_BRIEF_COUNTRIES"))


def _fraction(value: str) -> None:
    if not 0 <= float(value) <= 1:
        raise ValueError("must be a fraction between 0 and 1")


def _selection(value: str) -> None:
    import dagster as dg

    try:
        dg.AssetSelection.from_string(value)
    except Exception as exc:  # DagsterInvalidAssetSelectionError, not a ValueError
        raise ValueError(str(exc).split("\n")[0]) from None


def _tables(value: str) -> None:
    from pipeline.contracts import all_contracts

    known = {c.name for c in all_contracts()} | {"all"}
    if unknown := [t.strip() for t in value.split(",") if t.strip() and t.strip() not in known]:
        raise ValueError(f"{unknown} are no published tables; use table names (e.g. bilateral_goods_trade) or all")


def setting_problems(env: Mapping[str, str]) -> list[str]:
    """Every problem with the settings ``env`` (defaults already applied), one line each."""
    problems: list[str] = []
    bulk = env.get("TRADE_BULK_DIR", "")
    _check(problems, "TRADE_SOURCES", env.get("TRADE_SOURCES", "auto"), lambda v: resolve_mode(v, bulk), "")
    if bulk and not Path(bulk).is_dir():
        problems.append(f"TRADE_BULK_DIR={bulk} is not a directory: point it at your bulk downloads "
                        "(e.g. ../shared/datasets), or leave it empty for the live APIs")
    _check(problems, "TRADE_API_CACHE_HOURS", env.get("TRADE_API_CACHE_HOURS", "24"), _hours,
           "give a number of hours (0 fetches everything again)")
    if env.get("TRADE_ASSETS", "").strip():
        _check(problems, "TRADE_ASSETS", env["TRADE_ASSETS"], _selection,
               "write a Dagster asset selection, e.g. key:core__bilateral_goods_trade+")
    _check(problems, "TRADE_RATE_LIMITS", env.get("TRADE_RATE_LIMITS", ""), parse_rate_limits, "")
    for name in URL_SETTINGS:
        if env.get(name):
            _check(problems, name, env[name], _url, "write e.g. https://host/path or http://127.0.0.1:8080")
    _check(problems, "COMTRADE_YEARS", env.get("COMTRADE_YEARS", ""), parse_years, "")
    if env.get("OECD_YEARS", "").strip():
        _check(problems, "OECD_YEARS", env["OECD_YEARS"], parse_years, "or leave it empty for all published years")
    _check(problems, "COMTRADE_REPORTERS", env.get("COMTRADE_REPORTERS", ""), _codes, "")
    _check(problems, "TRADE_BRIEF_COUNTRIES", env.get("TRADE_BRIEF_COUNTRIES", ""), _brief_countries, "")
    _check(problems, "OECD_INCREMENTAL", env.get("OECD_INCREMENTAL", "true"), _true_false, "")
    _check(problems, "TRADE_COVERAGE_TOLERANCE", env.get("TRADE_COVERAGE_TOLERANCE", "0.01"), _fraction,
           "e.g. 0.01 for 1%")
    _check(problems, "TRADE_CONTRACT_ENGINE", env.get("TRADE_CONTRACT_ENGINE", "auto"), parse_engine, "")
    _check(problems, "TRADE_ACCEPT_COVERAGE_DROP", env.get("TRADE_ACCEPT_COVERAGE_DROP", ""), _tables, "")
    problems += executor_problems(env)
    for name in DIRECTORY_SETTINGS:
        if name == "TRADE_WAREHOUSE_DIR" and is_remote(env.get(name, "")):
            if problem := preflight_problem(env[name], env):  # the scheme, credentials, the bucket reached
                problems.append(problem)
        elif env.get(name) and (problem := usable_directory(env[name], name)):
            problems.append(problem)
        elif name == "TRADE_WAREHOUSE_DIR" and env.get(name) and (problem := warehouse_place(env[name])):
            problems.append(problem)
    problems += _file_problems(env)
    return problems


def _file_problems(env: Mapping[str, str]) -> list[str]:
    """The manifest (when bulk files are read) and the user's country groups file, parsed."""
    from pipeline.reference.groups import GroupDefinitionError, load_country_groups
    from pipeline.sources.base import SourceError
    from pipeline.sources.files import load_manifest

    problems = []
    if env.get("TRADE_BULK_DIR") and env.get("TRADE_MANIFEST"):
        try:
            ids = [e["id"] for e in load_manifest(env["TRADE_MANIFEST"])]
        except SourceError as exc:
            problems.append(f"TRADE_MANIFEST: {exc}")
        else:
            disabled = [d.strip() for d in env.get("TRADE_DISABLED_DATASETS", "").split(",") if d.strip()]
            if unknown := [d for d in disabled if d not in ids]:
                problems.append(f"TRADE_DISABLED_DATASETS: {unknown} are not datasets of {env['TRADE_MANIFEST']} "
                                f"(its datasets: {', '.join(ids)})")
    if env.get("TRADE_COUNTRY_GROUPS_FILE"):
        try:
            load_country_groups(env["TRADE_COUNTRY_GROUPS_FILE"])
        except GroupDefinitionError as exc:
            problems.append(f"TRADE_COUNTRY_GROUPS_FILE: {exc}")
    return problems


def report(problems: list[str]) -> str:
    return ("The settings are not usable; nothing was run:\n  " + "\n  ".join(problems)
            + "\nFix them in the environment or .env (every setting: .env.example, README \"Settings\").")
