"""The warehouse: Hive-partitioned Parquet readable by pandas, pyarrow and DuckDB; atomic writes."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.dataset as ds
import pytest

from pipeline.contracts import load_contract
from pipeline.sources.files import FilesSource
from pipeline.transform.canonical import finalize_bilateral_goods_trade
from pipeline.warehouse import read_catalog, read_table, update_catalog, write_table
from pipeline.warehouse.catalog import catalog_entry
from pipeline.warehouse.parquet import file_metadata

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


def _digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*.parquet"))}


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


KILLER = textwrap.dedent('''
    import os, signal, sys
    import pandas as pd
    import pyarrow.parquet as pq
    from pipeline.contracts import load_contract
    from pipeline.warehouse import write_table

    frame = pd.read_pickle(sys.argv[2])
    calls = {"n": 0}
    real = pq.write_table

    def dying_write(table, where, **kw):
        calls["n"] += 1
        if calls["n"] == 3:  # third partition: write half a file, then die like a killed worker
            where.write(b"PAR1" + b"\\0" * 4096)
            where.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        return real(table, where, **kw)

    pq.write_table = dying_write
    contract = load_contract("bilateral_goods_trade")
    write_table(frame, sys.argv[1], "bilateral_goods_trade", contract.arrow_schema(), "year", {})
''')


def test_a_write_killed_midway_leaves_no_partial_file_visible(tmp_path, bilateral):
    root = tmp_path / "warehouse"
    _publish(bilateral, root)
    before = _digests(root)
    changed = bilateral.assign(value_usd=bilateral["value_usd"] * 2)
    changed.to_pickle(tmp_path / "frame.pkl")
    proc = subprocess.run([sys.executable, "-c", KILLER, str(root), str(tmp_path / "frame.pkl")],
                          capture_output=True, text=True)
    assert proc.returncode == -9, proc.stderr  # it really was killed mid-write

    after = _digests(root)
    assert set(after) == set(before)  # no new visible file, partial or otherwise
    changed_files = [k for k in before if before[k] != after[k]]
    assert len(changed_files) == 2  # the two partitions finished before the kill, complete
    untouched = [k for k in before if before[k] == after[k]]
    assert len(untouched) == len(before) - 2  # the killed one and those after it: old bytes
    # Every visible file reads, with every reader; the hidden temp file is ignored.
    assert list((root / "bilateral_goods_trade").rglob(".*.tmp"))
    assert ds.dataset(root / "bilateral_goods_trade", partitioning="hive").count_rows() == len(bilateral)
    assert duckdb.sql(
        f"select count(*) from read_parquet('{root}/bilateral_goods_trade/**/*.parquet')"
    ).fetchall()[0][0] == len(bilateral)


def test_the_next_write_clears_a_killed_writers_temp_files(tmp_path, bilateral):
    root = tmp_path / "warehouse"
    _publish(bilateral, root)
    orphan = root / "bilateral_goods_trade" / "year=2016" / ".part-0.parquet.999.tmp"
    orphan.write_bytes(b"PAR1")
    _publish(bilateral, root)
    assert not orphan.exists()


def test_republishing_the_same_data_leaves_files_byte_identical(tmp_path, bilateral):
    _publish(bilateral, tmp_path, {"retrieved_at": "2026-01-01"})
    before = _digests(tmp_path)
    _publish(bilateral, tmp_path, {"retrieved_at": "2026-02-01"})
    assert _digests(tmp_path) == before
    changed = bilateral.copy()
    changed.loc[changed["year"] == 2016, "value_usd"] += 1.0
    _publish(changed, tmp_path, {"retrieved_at": "2026-03-01"})
    after = _digests(tmp_path)
    assert [k for k in before if before[k] != after[k]] == ["bilateral_goods_trade/year=2016/part-0.parquet"]
