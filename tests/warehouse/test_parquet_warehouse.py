"""The warehouse: Hive-partitioned Parquet readable by pandas, pyarrow and DuckDB; unchanged files kept."""
from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.dataset as ds
import pytest

from pipeline.contracts import load_contract
from pipeline.sources.files import FilesSource
from pipeline.transform.canonical import finalize_bilateral_goods_trade
from pipeline.warehouse import Warehouse, read_catalog, read_table, update_catalog, write_table
from pipeline.warehouse.catalog import catalog_entry
from pipeline.warehouse.parquet import file_metadata
from tests.env import digests

CONTRACT = load_contract("bilateral_goods_trade")


@pytest.fixture(scope="module")
def bilateral(shared_datasets) -> pd.DataFrame:
    # The Comtrade/DTA panel only: the warehouse is under test here, not the 4.5 million
    # product rows the Atlas and BACI entries add to the table.
    source = FilesSource(shared_datasets)
    items = [i for i in source.discover("bilateral_goods_trade") if i.provenance.dataset_id == "penppml_comtrade_dta"]
    return finalize_bilateral_goods_trade([source.read(i) for i in items])


def _publish(frame, root, metadata=None):
    return write_table(frame, root, "bilateral_goods_trade", CONTRACT.arrow_schema(), "year",
                       metadata or {"contract_id": CONTRACT.id, "source": "penppml_comtrade_dta"})


def test_pandas_pyarrow_and_duckdb_read_the_same_table(tmp_path, bilateral):
    published = _publish(bilateral, tmp_path)
    assert published.row_count == len(bilateral) == 316317
    assert {p.parent.name for p in published.files} == {f"year={y}" for y in bilateral["year"].unique()}

    by_pandas = pd.read_parquet(tmp_path / "bilateral_goods_trade")
    by_arrow = ds.dataset(tmp_path / "bilateral_goods_trade", format="parquet", partitioning="hive").to_table()
    by_duck = duckdb.sql(
        f"select year, sum(value_usd) as v, count(*) as n from read_parquet("
        f"'{tmp_path}/bilateral_goods_trade/**/*.parquet', hive_partitioning=true) group by year"
    ).df().set_index("year")
    expected = bilateral.groupby("year")["value_usd"].agg(["sum", "count"])
    assert len(by_pandas) == by_arrow.num_rows == len(bilateral)
    assert by_duck["n"].sort_index().tolist() == expected["count"].tolist()
    assert by_duck["v"].sort_index().to_numpy() == pytest.approx(expected["sum"].to_numpy())
    assert by_pandas["value_usd"].sum() == pytest.approx(bilateral["value_usd"].sum())


def test_schema_and_key_value_metadata_follow_the_contract(tmp_path, bilateral):
    published = _publish(bilateral, tmp_path, {"contract_id": CONTRACT.id, "provenance": [{"sha256": "ab"}]})
    meta = file_metadata(published.files[0])
    assert meta["contract_id"] == CONTRACT.id
    assert json.loads(meta["provenance"]) == [{"sha256": "ab"}]
    back = read_table(tmp_path, "bilateral_goods_trade")
    assert str(back["value_usd"].dtype) == "float64" and set(back.columns) == set(CONTRACT.column_names)


def test_stale_partitions_are_removed(tmp_path, bilateral):
    _publish(bilateral, tmp_path)
    _publish(bilateral[bilateral["year"] >= 2000], tmp_path)
    years = sorted(int(p.name.split("=")[1]) for p in (tmp_path / "bilateral_goods_trade").glob("year=*"))
    assert min(years) == 2000


def test_catalog_lists_tables_with_columns_and_units(tmp_path, bilateral):
    published = _publish(bilateral, tmp_path)
    update_catalog(tmp_path, catalog_entry(published, CONTRACT, tmp_path, "2026-01-01T00:00:00+00:00", "x"))
    entry = read_catalog(tmp_path)["tables"]["bilateral_goods_trade"]
    assert entry["row_count"] == len(bilateral) and entry["contract_version"] == CONTRACT.version
    units = {c["name"]: c["unit"] for c in entry["columns"]}
    assert units["value_usd"] == "USD" and entry["partitioning"]["column"] == "year"


def test_republishing_the_same_data_leaves_files_byte_identical(tmp_path, bilateral):
    _publish(bilateral, tmp_path, {"retrieved_at": "2026-01-01"})
    before = digests(tmp_path)
    _publish(bilateral, tmp_path, {"retrieved_at": "2026-02-01"})
    assert digests(tmp_path) == before
    changed = bilateral.copy()
    changed.loc[changed["year"] == 2016, "value_usd"] += 1.0
    _publish(changed, tmp_path, {"retrieved_at": "2026-03-01"})
    after = digests(tmp_path)
    # Files are named after their data: the changed partition's file has a new name, the others
    # keep theirs, and they are the very files published before (hard links, same inode).
    assert sorted(set(before) ^ set(after)) == sorted(
        k for k in (*before, *after) if k.startswith("bilateral_goods_trade/year=2016/"))
    assert len(after) == len(before) and all(before[k] == after[k] for k in set(before) & set(after))
    [previous] = [p for p in Warehouse(tmp_path).snapshots.iterdir() if p != Warehouse(tmp_path).current()]
    [kept] = [k for k in after if k.startswith("bilateral_goods_trade/year=2008/")]
    assert (tmp_path / kept).stat().st_ino == (previous / kept).stat().st_ino


def test_a_partitioned_table_is_read_one_year_at_a_time_from_one_snapshot(tmp_path, bilateral):
    """PartitionedTable (the value chains' reader of the input-output table): every year in
    ascending order, each with the real panel's rows of that year and only the columns asked
    for; bound to the snapshot it was opened on, so a publish meanwhile does not mix versions."""
    from pipeline.warehouse import Warehouse
    from pipeline.warehouse.parquet import PartitionedTable, table_dataset

    warehouse = Warehouse(tmp_path)
    warehouse.stage_table("run1", bilateral, "bilateral_goods_trade", CONTRACT.arrow_schema(), "year", {})
    warehouse.commit("run1")
    reader = PartitionedTable(table_dataset(tmp_path, "bilateral_goods_trade", CONTRACT.arrow_schema()), "year")
    changed = bilateral.assign(value_usd=bilateral["value_usd"] * 2)
    warehouse.stage_table("run2", changed, "bilateral_goods_trade", CONTRACT.arrow_schema(), "year", {})
    warehouse.commit("run2")
    years = sorted(bilateral["year"].unique())
    assert reader.values() == years
    seen = []
    for year, table in reader.read(["reporter_iso3", "value_usd"]):
        assert table.column_names == ["year", "reporter_iso3", "value_usd"]
        assert set(table["year"].to_pylist()) == {year}
        expected = bilateral.loc[bilateral["year"] == year, "value_usd"]
        assert table.num_rows == len(expected) and sum(table["value_usd"].to_pylist()) == pytest.approx(expected.sum())
        seen.append(year)
    assert seen == years
    with pytest.raises(FileNotFoundError, match="input_output is not published"):
        table_dataset(tmp_path, "input_output")


def test_an_output_outside_a_run_publishes_table_and_entry_in_one_switch(tmp_path, bilateral):
    """The IO manager called outside a run (no run holds the warehouse): the table and its
    catalog entry, and a raw listing, each come in a snapshot of their own; the snapshot readers
    had before keeps its catalog byte for byte (the entry used to be edited into it in place)."""
    import dagster as dg

    from assets.io_manager import ParquetWarehouseIOManager, RawProvenanceIOManager

    root = tmp_path / "warehouse"
    first = bilateral[bilateral["year"] < 2000]
    _publish(first, root)
    before = Path(os.path.realpath(root))
    catalog_bytes = (before / "catalog.json").read_bytes()
    key = dg.AssetKey("core__bilateral_goods_trade")
    ParquetWarehouseIOManager(root=str(root)).handle_output(
        dg.build_output_context(asset_key=key, definition_metadata={"source": "penppml_comtrade_dta"}), bilateral)
    after = Path(os.path.realpath(root))
    assert after != before and (before / "catalog.json").read_bytes() == catalog_bytes
    entry = read_catalog(root)["tables"]["bilateral_goods_trade"]
    assert entry["row_count"] == len(bilateral) == 316317 and entry["coverage"]["rows"] == 316317
    assert len(read_table(root, "bilateral_goods_trade", CONTRACT.arrow_schema())) == len(bilateral)
    RawProvenanceIOManager(root=str(root)).handle_output(
        dg.build_output_context(asset_key=dg.AssetKey("raw_files__bilateral_goods_trade")), [{"file": "x"}])
    assert Path(os.path.realpath(root)) != after
    assert read_catalog(root)["tables"] == json.loads((after / "catalog.json").read_text())["tables"]
    assert json.loads((root / "_raw" / "raw_files__bilateral_goods_trade.json").read_text()) == [{"file": "x"}]
    assert not (after / "_raw").exists()
