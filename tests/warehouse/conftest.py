"""Fixtures of the warehouse tests: two versions of real tables, and an in-process publish."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.contracts import load_contract
from pipeline.reference.groups import load_country_groups
from pipeline.sources.files import FilesSource
from pipeline.transform import canonical
from pipeline.warehouse import Warehouse, lock
from pipeline.warehouse.catalog import catalog_entry


@pytest.fixture(scope="session")
def versions(shared_datasets) -> tuple[dict, dict]:
    """Version 1 (bilateral, macro) and version 2: bilateral 2016 doubled, macro 2000 + 1, and
    country groups published for the first time."""
    source = FilesSource(shared_datasets)

    def read(table, finalize, dataset):
        items = [i for i in source.discover(table) if i.provenance.dataset_id == dataset]
        return finalize([source.read(i) for i in items])

    bilateral = read("bilateral_goods_trade", canonical.finalize_bilateral_goods_trade, "penppml_comtrade_dta")
    macro = read("macro_indicators", canonical.finalize_macro_indicators, "wdi_extract")
    groups = load_country_groups()
    groups = groups.assign(start_date=groups["start_date"].dt.date, end_date=groups["end_date"].dt.date)
    v1 = {"bilateral_goods_trade": bilateral, "macro_indicators": macro}
    v2 = {"bilateral_goods_trade": bilateral.assign(value_usd=bilateral["value_usd"].where(
              bilateral["year"] != 2016, bilateral["value_usd"] * 2)),
          "macro_indicators": macro.assign(value=macro["value"].where(macro["year"] != 2000, macro["value"] + 1)),
          "country_groups": groups}
    return v1, v2



def publish_here(root: Path, frames: dict[str, pd.DataFrame], run: str, commit: bool = True) -> Warehouse:
    """Publish ``frames`` as a run does (lock, recover, stage with catalog entries, commit), in
    this process; with ``commit=False`` the tables stay staged (a run still going, or killed)."""
    warehouse = Warehouse(root)
    lock.acquire(root, run)
    try:
        warehouse.recover()
        for table, frame in frames.items():
            contract = load_contract(table)
            published = warehouse.stage_table(run, frame, table, contract.arrow_schema(), contract.partition_column,
                                              {"source": "test"})
            warehouse.stage_entry(run, catalog_entry(published, contract, Path(root), "2026-12-01T00:00:00+00:00",
                                                     "test"))
        if commit:
            warehouse.commit(run)
    finally:
        lock.release(root, run)
    return warehouse
