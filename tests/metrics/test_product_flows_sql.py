"""DuckDB per-year product flows against the pandas flows (the authoritative definition), on the
real Atlas and BACI product rows published as year-partitioned Parquet by the warehouse's writer."""
from __future__ import annotations

import gc
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.contracts.sql import SPILL_PREFIX, connect, session
from pipeline.metrics.product_flows import exports_by_product, product_flows
from pipeline.metrics.product_flows_sql import classifications_in, year_exports_by_product, year_flows
from pipeline.reference.codes import country_codes
from pipeline.warehouse.parquet import partition_reader
from pipeline.warehouse.publish import write_table

KEY = ["exporter_iso3", "importer_iso3", "year", "product_code"]


def assert_same_flows(sql: pd.DataFrame, pandas: pd.DataFrame, key: list[str]) -> None:
    """Same keys (no row more or less) and values within 1e-12 relative (summation order)."""
    assert list(sql.columns) == list(pandas.columns)
    merged = sql.merge(pandas, on=key, how="outer", suffixes=("_sql", "_pd"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    rel = (merged["value_usd_sql"] - merged["value_usd_pd"]).abs() / merged["value_usd_pd"].abs()
    assert rel.max() <= 1e-12


def test_classifications_of_each_year_partition(product_partitions):
    with session() as con:
        found = {year: classifications_in(con, product_partitions.files(year)) for year in product_partitions.values()}
    assert product_partitions.values() == list(range(2010, 2022))
    assert found[2015] == ["HS92_2_4", "ATLAS_SECTION"]  # finest first
    assert found[2020] == ["HS17_6", "HS92_2_4", "ATLAS_SECTION"] and found[2021] == ["HS92_6"]


@pytest.mark.parametrize("keep_unallocated", [False, True])
@pytest.mark.parametrize("classification", ["ATLAS_SECTION", "HS92_2_4", "HS92_6", "HS17_6"])
def test_year_flows_equal_pandas_product_flows(product_bilateral, product_partitions, classification,
                                               keep_unallocated):
    expected = product_flows(product_bilateral, classification, keep_unallocated)
    years = sorted(expected["year"].unique())
    with session() as con:
        got = pd.concat([year_flows(con, product_partitions.files(y), y, classification, keep_unallocated)
                         for y in years], ignore_index=True)
        by_product = pd.concat([year_exports_by_product(con, product_partitions.files(y), y, classification,
                                                        keep_unallocated) for y in years], ignore_index=True)
    assert len(got) == len(expected) > 1000
    assert_same_flows(got, expected, KEY)
    assert_same_flows(by_product, exports_by_product(expected), ["iso3", "year", "product_code"])
    # The real rows hold Atlas "undeclared" (ANS) flows: dropped between economies, kept otherwise.
    ans = (got["exporter_iso3"] == "ANS") | (got["importer_iso3"] == "ANS")
    if classification in ("ATLAS_SECTION", "HS92_2_4"):
        assert ans.any() == keep_unallocated
    assert not country_codes().is_aggregate(got["importer_iso3"]).any()


def test_import_rows_fill_only_keys_the_export_side_lacks(product_bilateral, tmp_path):
    """Real Atlas sector rows of 2019, a third of them restated from the importer's side (flow
    ``import``, reporter and partner swapped, the same value) in place of the export row and
    another third restated beside the export row they repeat: the flows stay those of the
    export rows alone, and DuckDB agrees with pandas."""
    rows = product_bilateral[(product_bilateral["product_classification"] == "ATLAS_SECTION")
                             & (product_bilateral["year"] == 2019)].reset_index(drop=True)
    third = np.arange(len(rows)) % 3
    as_import = rows[third < 2].rename(columns={"reporter_iso3": "partner_iso3", "partner_iso3": "reporter_iso3"})
    restated = pd.concat([rows[third > 0], as_import.assign(flow="import", source="restated")], ignore_index=True)
    from pipeline.contracts import load_contract
    contract = load_contract("bilateral_product_trade")
    write_table(restated, tmp_path, contract.name, contract.arrow_schema(), contract.partition_column, {})
    table = partition_reader(tmp_path, contract.name)
    with session() as con:
        got = year_flows(con, table.files(2019), 2019, "ATLAS_SECTION")
    expected = product_flows(rows, "ATLAS_SECTION")
    assert_same_flows(got, expected, KEY)  # export precedence: nothing counted twice or lost
    assert_same_flows(got, product_flows(restated, "ATLAS_SECTION"), KEY)


def _spill_dirs() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob(f"{SPILL_PREFIX}*"))


def test_a_connection_spills_into_its_own_directory_and_leaves_none_behind(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # DuckDB's default spill directory is .tmp in the working directory
    # A temporary directory of this test's own: another pytest worker's connections spill at the same time.
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    before = _spill_dirs()
    with session(memory_limit="64MB", threads=1) as con:
        spill = Path(con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0])
        assert spill in _spill_dirs() - before
        # A sort larger than the memory limit spills (it would fail if it could not).
        n = con.execute("SELECT count(*) FROM (SELECT range::VARCHAR || 'x' AS s FROM range(6000000) "
                        "ORDER BY s DESC)").fetchall()[0][0]
        assert n == 6_000_000
    assert _spill_dirs() == before and not (tmp_path / ".tmp").exists()
    con = connect()  # a caller that never closes: removed when the connection is collected
    assert len(_spill_dirs() - before) == 1
    del con
    gc.collect()
    assert _spill_dirs() == before


@pytest.mark.parametrize("first", ["HS92_6", "HS17_6"])
def test_classifications_of_equal_detail_come_in_one_order_whatever_the_rows(first, tmp_path):
    """The BACI extracts' two HS6 classifications (equal detail, pipeline/reference/
    product_classifications.yaml) in either row order: pandas (``unique`` in row order) and DuckDB
    (``SELECT DISTINCT``) list them alike, finest first then by name, so both paths pick the same
    first (reference) classification where two of equal detail are world-complete."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipeline.metrics.product_flows import product_classifications_present

    names = [first, ({"HS92_6", "HS17_6"} - {first}).pop(), "HS92_2_4", "TOTAL"]
    frame = pd.DataFrame({"product_classification": names})
    pq.write_table(pa.Table.from_pandas(frame), tmp_path / "rows.parquet")
    with session() as con:
        in_sql = classifications_in(con, [str(tmp_path / "rows.parquet")])
    assert product_classifications_present(frame) == in_sql == ["HS17_6", "HS92_6", "HS92_2_4"]


def test_the_whole_table_order_of_the_partitions_is_the_pandas_order(tmp_path):
    """Two year partitions, HS92_6 alone in the first, HS17_6 and HS92_6 in the second (as the BACI
    extracts could be): the classifications of the whole table from the partitions
    (``present_by_year``) in the pandas path's order of the same rows read whole."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipeline.metrics.product_concentration_sql import present_by_year
    from pipeline.metrics.product_flows import product_classifications_present

    class Partitions:  # the two methods of PartitionedTable present_by_year reads
        def values(self):
            return [2016, 2017]

        def files(self, year):
            return [str(tmp_path / f"{year}.parquet")]

    rows = {2016: ["HS92_6", "TOTAL"], 2017: ["HS17_6", "HS92_6", "HS92_2_4"]}
    for year, names in rows.items():
        pq.write_table(pa.table({"product_classification": names}), tmp_path / f"{year}.parquet")
    whole = pd.DataFrame({"product_classification": rows[2016] + rows[2017]})
    with session() as con:
        _, present = present_by_year(con, Partitions())
    assert present == product_classifications_present(whole) == ["HS17_6", "HS92_6", "HS92_2_4"]
