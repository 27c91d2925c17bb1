"""Helpers of the bad-input probes (issue 14): bulk directories that link the shared datasets
and hold edited copies of the files under test (in a temporary directory; the shared data is
never changed), a small selection of assets materialized into a temporary warehouse, and the
hashes that show whether a published byte changed."""
from __future__ import annotations

import gzip
from collections.abc import Callable, Iterable
from pathlib import Path

import dagster as dg

from tests.env import environment

PENPPML = "penppml_comtrade_dta_1964_2016"
PENPPML_FILE = f"{PENPPML}/penppml_trade.csv.gz"
WDI = "wdi_datahub_extract"
WDI_FILE = f"{WDI}/wdi_extract_long.csv.gz"


def csv_lines(shared: Path, relative: str) -> list[str]:
    """The lines of a shared CSV (gzip or plain), each with its newline."""
    path = shared / relative
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return raw.decode().splitlines(keepends=True)


def bulk_dir(tmp: Path, shared: Path, link: Iterable[str] = (), files: dict[str, bytes | str] | None = None) -> Path:
    """A bulk directory: each folder of ``link`` a symlink to the shared one, each ``files``
    entry (relative path -> content) a file of its own."""
    root = tmp / "bulk"
    root.mkdir(exist_ok=True)
    for folder in link:
        (root / folder).symlink_to(shared / folder, target_is_directory=True)
    for relative, content in (files or {}).items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)
    return root


def settings(bulk: Path, warehouse: Path, **extra: str) -> dict[str, str]:
    return {"TRADE_BULK_DIR": str(bulk), "TRADE_WAREHOUSE_DIR": str(warehouse), "TRADE_SOURCES": "bulk",
            "TRADE_COUNTRY_GROUPS_FILE": "", **extra}


def materialize(keys: list[str], env: dict[str, str], instance: dg.DagsterInstance | None = None,
                tags: dict[str, str] | None = None) -> dg.ExecuteInProcessResult:
    """The assets ``keys`` of the full graph with the project's resources, under ``env``."""
    from assets.definitions import ALL_ASSETS, resources

    with environment(**env):
        return dg.materialize(ALL_ASSETS, selection=keys, resources=resources(), raise_on_error=False,
                              instance=instance, tags=tags)


def step_failure(result: dg.ExecuteInProcessResult) -> str:
    """The messages of every failed step of a run, joined."""
    messages = [e.step_failure_data.error.message for e in result.all_events
                if e.is_step_failure and e.step_failure_data.error]
    assert messages, "the run had no failed step"
    return "\n".join(messages)


def edited(lines: list[str], edit: Callable[[list[str]], list[str]]) -> str:
    return "".join(edit(list(lines)))


BILATERAL = ["raw_files__bilateral_goods_trade", "raw_comtrade__goods_trade", "core__bilateral_goods_trade"]
PRODUCTS = ["raw_files__bilateral_product_trade", "raw_comtrade__goods_trade", "core__bilateral_product_trade"]
# TRADE_DISABLED_DATASETS for a bulk directory with the Comtrade/DTA panel only, or without the Atlas
ONLY_PENPPML = "atlas_sections,atlas_hs2hs4_subset,baci_hs92_zaf_afg,baci_hs17_zaf_afg"
PENPPML_AND_BACI92 = "atlas_sections,atlas_hs2hs4_subset,baci_hs17_zaf_afg"
MACRO = ["raw_files__macro_indicators", "raw_worldbank__indicators", "core__macro_indicators"]


def publish_good(tmp: Path, shared: Path, folders: list[str], keys: list[str],
                 **extra: str) -> tuple[Path, dg.ExecuteInProcessResult]:
    """``keys`` published into ``tmp/warehouse`` from the real shared ``folders``: the good
    state a probe starts from (it must succeed)."""
    warehouse = tmp / "warehouse"
    result = materialize(keys, settings(bulk_dir(tmp, shared, folders), warehouse, **extra))
    assert result.success, step_failure(result)
    return warehouse, result
