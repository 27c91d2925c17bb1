"""The staged ingest of bilateral_product_trade (issue 17): one input at a time, staged as Parquet,
the contract run over the staged files in DuckDB, the table written one partition at a time
(pipeline/transform/staging.py, pipeline/contracts/staged.py, pipeline/warehouse/staged.py).

The reference is the pandas path it replaces, run here on the same real rows: every input read,
concatenated, finished and conformed whole (``finalize_bilateral_goods_trade``, ``check_frame``),
then published. Inputs: the real Atlas sections (2010-2020) and the ZAF/AFG BACI extracts written
back in the BACI release layout (CEPII numeric codes, HS codes as numbers, the code list:
tests/sources/releases.py), so the 2020 partition holds rows of two inputs and the release
reader's code lists and padding run. Defects are edits of those real rows.
"""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from pipeline.contracts import check_frame, load_contract
from pipeline.contracts.origin import tag_origin
from pipeline.contracts.staged import check_staged
from pipeline.sources.base import SourceError
from pipeline.sources.files import FilesSource, read_file_input
from pipeline.transform.canonical import bilateral_codes, finalize_bilateral_goods_trade
from pipeline.transform.staging import stage_inputs
from pipeline.warehouse import read_catalog, write_table
from pipeline.warehouse.catalog import catalog_entry
from pipeline.warehouse.coverage import table_coverage
from tests.env import digests
from tests.sources.releases import BACI92, VERSION, shared_extract, write_baci_release

TABLE = "bilateral_product_trade"
BACI17 = "baci_hs6_bilateral_zaf_afg/baci_hs17_2020_v202301_exports_zaf_afg.csv.gz"
SECTIONS = "atlas_bilateral_sections_2010_2020"
META = {"contract_id": "bilateral_product_trade", "source": "tests/publish/test_staged_ingest.py",
        "provenance": [], "retrieved_at": "2026-12-03T00:00:00Z", "materialized_at": "2026-12-03T00:00:00Z",
        "code_version": "test"}


def release_bulk(tmp: Path, shared: Path, atlas: bool = True) -> Path:
    bulk = tmp / "bulk"
    write_baci_release(shared, bulk / f"BACI_HS92_{VERSION}", BACI92, "HS92")
    write_baci_release(shared, bulk / f"BACI_HS17_{VERSION}", BACI17, "HS17")
    if atlas:
        (bulk / SECTIONS).symlink_to(shared / SECTIONS, target_is_directory=True)
    return bulk


def items_of(bulk: Path):
    items = FilesSource(bulk).discover(TABLE)
    assert {i.provenance.dataset_id for i in items} >= {"baci_hs92", "baci_hs17"}
    return items


def pandas_path(items, engine: str | None = None):
    """What assets/bulk_tables.py `_publish` did with these inputs: the conformed frame and report."""
    frames = [tag_origin(read_file_input(i), i.provenance.location) for i in items]
    return check_frame(finalize_bilateral_goods_trade(frames), load_contract(TABLE), "s", engine)


def staged_path(items, folder: Path, engine: str | None = None):
    staged = stage_inputs(items, read_file_input, bilateral_codes, load_contract(TABLE), folder)
    return staged, check_staged(staged, load_contract(TABLE), "s", engine)


def publish(table, root: Path) -> dict:
    contract = load_contract(TABLE)
    coverage = table_coverage(table, contract)
    write_table(table, root, TABLE, contract.arrow_schema(), contract.partition_column, META,
                entry=lambda p: catalog_entry(p, contract, root, "t", "s", coverage))
    return read_catalog(root)["tables"][TABLE]


@pytest.fixture(scope="module")
def both(tmp_path_factory, shared_datasets):
    tmp = tmp_path_factory.mktemp("staged")
    items = items_of(release_bulk(tmp, shared_datasets))
    assert {i.provenance.dataset_id for i in items} == {"atlas_sections", "baci_hs92", "baci_hs17"}
    conformed, report = pandas_path(items)
    old = publish(conformed, tmp / "pandas")
    del conformed
    staged, staged_report = staged_path(items, tmp / "stage")
    new = publish(staged, tmp / "staged")
    return {"tmp": tmp, "reports": (report, staged_report), "entries": (old, new), "staged": staged}


def test_the_staged_table_publishes_the_same_files_as_the_pandas_path(both):
    """Same partitions, same file names (named after their data), the same bytes: schema, values,
    row order within each partition and key-value metadata. The 2020 partition holds Atlas rows
    then BACI HS17 rows, in input order."""
    old, new = digests(both["tmp"] / "pandas"), digests(both["tmp"] / "staged")
    assert len(old) == 12 and old == new
    assert (both["tmp"] / "staged" / TABLE / "year=2020").is_dir()


def test_the_staged_gate_passes_the_real_rows_with_duckdb(both):
    report, staged = both["reports"]
    assert report.passed and staged.passed and staged.engine == "duckdb"
    assert staged.rows == report.rows == both["entries"][0]["row_count"] == both["entries"][1]["row_count"]
    assert staged.evaluated == report.evaluated and staged.inputs == report.inputs


def test_the_catalog_and_coverage_are_the_pandas_paths(both):
    """Coverage per source (rows, countries, years, value total) is what the coverage check of the
    next publish compares: equal, the USD total to rounding (DuckDB's fsum against pandas' sum)."""
    old, new = both["entries"]
    totals = [(s, e.pop("value_total"), new["coverage"]["sources"][s].pop("value_total"))
              for s, e in old["coverage"]["sources"].items()]
    assert old == new
    assert set(old["coverage"]["sources"]) == {"atlas_sections", "baci_hs92", "baci_hs17"}
    for _, before, after in totals:
        assert after == pytest.approx(before, rel=1e-12)


def test_a_staged_input_holds_one_file_and_the_preview_is_the_first_rows(both, shared_datasets):
    staged = both["staged"]
    assert len(staged.files) == 3 and len(staged) == staged.rows
    head = staged.head(20)
    assert len(head) == 20 and list(head.columns) == load_contract(TABLE).column_names
    assert head["source"].eq("atlas_sections").all() and str(head["year"].dtype) == "Int32"


def _defective(tmp: Path, shared: Path) -> Path:
    """The two BACI release years, the HS17 one (the second input) with real rows edited: two
    values negated, one value written ``n/a``, one record repeated."""
    bulk = release_bulk(tmp, shared, atlas=False)
    year = bulk / f"BACI_HS17_{VERSION}" / f"BACI_HS17_Y2020_{VERSION}.csv"
    lines = year.read_text().splitlines(keepends=True)
    for at in (10, 400):
        cells = lines[at].split(",")
        cells[4] = "-" + cells[4]
        lines[at] = ",".join(cells)
    cells = lines[50].split(",")
    cells[4] = "n/a"
    lines[50] = ",".join(cells)
    lines.insert(300, lines[299])
    year.write_text("".join(lines))
    return bulk


@pytest.mark.parametrize("engine", ["duckdb", "gx"])
def test_the_staged_gate_reports_what_the_frame_gate_reports(tmp_path, shared_datasets, engine):
    """Counts, sample values, first failing rows with their file and data row, and the message,
    rule by rule, equal to the pandas path's on the same defective inputs (both engines)."""
    items = items_of(_defective(tmp_path, shared_datasets))
    _, report = pandas_path(items, engine)
    _, staged = staged_path(items, tmp_path / "stage", engine)
    assert not report.passed and not staged.passed
    got = [(f.expectation, f.column, f.failing_rows, f.total_rows, f.sample, f.rows) for f in staged.findings]
    want = [(f.expectation, f.column, f.failing_rows, f.total_rows, f.sample, f.rows) for f in report.findings]
    assert got == want
    kinds = {f.expectation for f in staged.findings}
    assert {"values_of_type_double", "expect_compound_columns_to_be_unique"} <= kinds
    assert staged.message() == report.message()
    assert f"BACI_HS17_Y2020_{VERSION}.csv line 11 (data row 10)" in staged.message()


def test_a_code_missing_from_the_code_list_stops_staging(tmp_path, shared_datasets):
    """Italy (380) left out of the HS17 release's list: the read of that year stops naming the file,
    the column, the code, its count and the fix; nothing past it is staged."""
    bulk = release_bulk(tmp_path, shared_datasets, atlas=False)
    listing = bulk / f"BACI_HS17_{VERSION}" / f"country_codes_{VERSION}.csv"
    codes = pd.read_csv(listing, dtype=str, keep_default_na=False)
    codes[codes["country_code"] != "380"].to_csv(listing, index=False)
    italy = (shared_extract(shared_datasets, BACI17)["importer_code"] == "380").sum()
    folder = tmp_path / "stage"
    with pytest.raises(SourceError) as error:
        staged_path(items_of(bulk), folder)
    message = str(error.value)
    assert f"BACI_HS17_Y2020_{VERSION}.csv" in message and "column j" in message
    assert f"380 ({italy:,} rows)" in message and "same release" in message and "No row was read" in message
    assert sorted(os.listdir(folder)) == ["00000.parquet"]  # the HS92 year only


def test_a_truncated_year_file_stops_staging(tmp_path, shared_datasets):
    bulk = release_bulk(tmp_path, shared_datasets, atlas=False)
    year = bulk / f"BACI_HS92_{VERSION}" / f"BACI_HS92_Y2021_{VERSION}.csv"
    year.write_bytes(year.read_bytes()[:-7])
    with pytest.raises(SourceError, match="Re-download the file") as error:
        staged_path(items_of(bulk), tmp_path / "stage")
    assert year.name in str(error.value)


NO_ATLAS = "atlas_sections,atlas_hs2hs4_subset,baci_hs92_zaf_afg,baci_hs17_zaf_afg"  # the two BACI releases only


@pytest.fixture()
def own_tempdir(tmp_path, monkeypatch):
    """The temporary directory of this test alone (``tempfile.tempdir``, ``TMPDIR``): the staging
    folders other sessions' runs hold in /tmp are not looked at."""
    import tempfile

    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _ingest(bulk: Path, warehouse: Path):
    from tests.publish.probes import PRODUCTS, materialize, settings

    return materialize(PRODUCTS, settings(bulk, warehouse, TRADE_DISABLED_DATASETS=NO_ATLAS))


def test_a_refused_staged_table_leaves_no_staging_folder(tmp_path, shared_datasets, own_tempdir):
    """D1 of issue 17: the IO manager refuses the staged table (its coverage drops: the HS17 release
    removed) and Dagster never resumes the asset past its output; the staging folder is removed all
    the same (at BACI size, gigabytes of Parquet). The good run before leaves none either."""
    import shutil

    from tests.publish.probes import step_failure

    bulk = release_bulk(tmp_path, shared_datasets, atlas=False)
    assert _ingest(bulk, tmp_path / "wh").success
    assert list(own_tempdir.glob("trade-staged-*")) == []
    shutil.move(bulk / f"BACI_HS17_{VERSION}", tmp_path / "hs17_aside")
    refused = _ingest(bulk, tmp_path / "wh")
    assert not refused.success and "would cover less than its last publish" in step_failure(refused)
    assert list(own_tempdir.glob("trade-staged-*")) == []


def test_the_next_ingest_removes_the_staging_folder_of_a_dead_process_only(tmp_path, shared_datasets, own_tempdir):
    """D2 of issue 17: a run killed while staging leaves its folder, named after its pid
    (``trade-staged-<table>-<pid>-...``); the next ingest removes it, and keeps the folder of a
    process still alive (a sleeping child), which may be staging now."""
    import subprocess

    dead = subprocess.Popen(["true"])
    dead.wait()
    live = subprocess.Popen(["sleep", "120"])
    try:
        killed = own_tempdir / f"trade-staged-{TABLE}-{dead.pid}-abcd1234"
        running = own_tempdir / f"trade-staged-{TABLE}-{live.pid}-efgh5678"
        for folder in (killed, running):
            folder.mkdir()
            (folder / "00000.parquet").write_bytes(b"staged rows")
        assert _ingest(release_bulk(tmp_path, shared_datasets, atlas=False), tmp_path / "wh").success
        assert not killed.exists()
        assert (running / "00000.parquet").read_bytes() == b"staged rows"
        assert sorted(p.name for p in own_tempdir.glob("trade-staged-*")) == [running.name]
    finally:
        live.kill()
        live.wait()
