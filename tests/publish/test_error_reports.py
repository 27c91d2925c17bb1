"""Issue 14, part 5: every error names the file, the row, the column, the rule and the fix.

Each probe runs on copies of the real shared files in a temporary bulk directory, and asserts
the named cause and that the warehouse published before stayed byte-identical."""
from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from pipeline.contracts import check_frame, load_contract
from pipeline.contracts.origin import json_safe
from pipeline.sources.base import SourceError
from pipeline.sources.files import FilesSource
from tests.conftest import REPO_ROOT
from tests.env import digests
from tests.publish.probes import (BILATERAL, ONLY_PENPPML, PENPPML, PENPPML_FILE, PRODUCTS, WDI, WDI_FILE,
                                  bulk_dir, csv_lines, materialize, publish_good, settings, step_failure)


@pytest.fixture(scope="module")
def penppml_lines(shared_datasets) -> list[str]:
    return csv_lines(shared_datasets, PENPPML_FILE)


@pytest.fixture(scope="module")
def published(tmp_path_factory, shared_datasets):
    """A warehouse with bilateral_goods_trade published from the real penppml panel."""
    return publish_good(tmp_path_factory.mktemp("good"), shared_datasets, [PENPPML], BILATERAL,
                        TRADE_DISABLED_DATASETS=ONLY_PENPPML)[0]


def test_a_bad_year_and_a_repeated_header_are_reported_with_file_and_row(
        tmp_path, shared_datasets, penppml_lines, published):
    """`1988a` on record 1000 and the header repeated as record 5000: the report serializes (it
    used to die on pd.NA), and names the plain CSV, the two rows, the column and the fix."""
    lines = list(penppml_lines)
    header = lines[0]
    year_at = header.rstrip("\n").split(",").index("time")
    cells = lines[1000].rstrip("\n").split(",")
    cells[year_at] = cells[year_at] + "a"
    lines[1000] = ",".join(cells) + "\n"  # record 1000 (line 1001)
    lines.insert(5000, header)  # record 5000 is the header again
    bulk = bulk_dir(tmp_path, shared_datasets, files={f"{PENPPML}/penppml_trade.csv": "".join(lines)})
    warehouse = tmp_path / "warehouse"
    shutil.copytree(published, warehouse)
    before = digests(warehouse)

    result = materialize(BILATERAL, settings(bulk, warehouse, TRADE_DISABLED_DATASETS=ONLY_PENPPML))
    assert not result.success
    [check] = result.get_asset_check_evaluations()
    assert not check.passed
    failures = check.metadata["failures"].value
    json.dumps(failures)  # plain JSON all the way down
    year = next(f for f in failures if f["expectation"] == "values_of_type_int32" and f["column"] == "year")
    assert year["failing_rows"] == 2 and set(year["sample"]) == {cells[year_at], "time"}
    assert [(r["file"].endswith("penppml_trade.csv"), r["row"]) for r in year["first_rows"]] == [(True, 1000), (True, 5000)]
    assert year["files"] == [str(bulk / PENPPML / "penppml_trade.csv")]
    message = step_failure(result)
    # As an editor numbers lines (the header is line 1): lines[1000] is line 1001, the repeated
    # header inserted at lines[5000] line 5001.
    assert "penppml_trade.csv line 1001 (data row 1000)" in message
    assert "penppml_trade.csv line 5001 (data row 5000)" in message
    assert "column year" in message and "Fix:" in message
    assert digests(warehouse) == before


def test_a_failure_names_the_file_of_the_bad_row_not_every_input(tmp_path, shared_datasets, penppml_lines):
    """Several files feed bilateral_product_trade; a negative value in the BACI HS92 file is reported
    in that file alone (the message used to list every input)."""
    baci = "baci_hs6_bilateral_zaf_afg/baci_hs92_2021_v202301_exports_zaf_afg.csv.gz"
    lines = csv_lines(shared_datasets, baci)
    value_at = lines[0].rstrip("\n").split(",").index("value_kusd")
    cells = lines[7].rstrip("\n").split(",")
    cells[value_at] = "-" + cells[value_at]
    lines[7] = ",".join(cells) + "\n"
    hs17 = "baci_hs6_bilateral_zaf_afg/baci_hs17_2020_v202301_exports_zaf_afg.csv.gz"
    bulk = bulk_dir(tmp_path, shared_datasets, link=[PENPPML],
                    files={baci: gzip.compress("".join(lines).encode())})
    (bulk / hs17).symlink_to(shared_datasets / hs17)
    result = materialize(PRODUCTS, settings(bulk, tmp_path / "warehouse",
                                            TRADE_DISABLED_DATASETS="atlas_sections,atlas_hs2hs4_subset"))
    message = step_failure(result)
    assert "value_usd" in message and "baci_hs92_2021_v202301_exports_zaf_afg.csv.gz line 8 (data row 7)" in message
    assert "baci_hs17_2020" not in message
    assert not (tmp_path / "warehouse" / "bilateral_product_trade").exists()


def test_findings_with_missing_values_and_dates_serialize():
    """The groups table's key holds dates; a bad row's key with pd.NA must still be JSON."""
    from pipeline.reference.groups import load_country_groups

    groups = load_country_groups()
    frame = groups.assign(start_date=groups["start_date"].dt.date, end_date=groups["end_date"].dt.date)
    frame["iso3"] = frame["iso3"].astype(object)
    frame.loc[3, "iso3"] = "XYZ"
    frame.loc[4, "iso3"] = pd.NA
    _, report = check_frame(frame, load_contract("country_groups"), "groups test frame")
    rows = [r for f in report.findings for r in f.rows]
    assert rows and json.loads(json.dumps(rows)) == rows
    assert any(isinstance(r.get("start_date"), str) for r in rows)
    assert json_safe([pd.NA, float("nan"), pd.NaT, float("inf")]) == [None, None, None, "inf"]


def test_a_semicolon_delimited_file_is_said_to_be_so(tmp_path, shared_datasets):
    text = "".join(csv_lines(shared_datasets, WDI_FILE)[:2000]).replace(",", ";")
    bulk = bulk_dir(tmp_path, shared_datasets, files={f"{WDI}/wdi_extract_long.csv": text})
    source = FilesSource(bulk)
    with pytest.raises(SourceError) as caught:
        source.read(source.discover("macro_indicators")[0])
    assert "delimited by semicolons (';')" in str(caught.value) and "delimiter: ';'" in str(caught.value)


def test_a_declared_semicolon_delimiter_reads_the_same_values(tmp_path, shared_datasets):
    import yaml
    from pipeline.sources.files import DEFAULT_MANIFEST

    lines = csv_lines(shared_datasets, WDI_FILE)[:2000]
    bulk = bulk_dir(tmp_path, shared_datasets, files={f"{WDI}/wdi_extract_long.csv": "".join(lines).replace(",", ";")})
    manifest = yaml.safe_load(DEFAULT_MANIFEST.read_text())
    for entry in manifest["datasets"]:
        if entry["id"] == "wdi_extract":
            entry["delimiter"] = ";"
    (tmp_path / "manifest.yaml").write_text(yaml.safe_dump(manifest))
    source = FilesSource(bulk, tmp_path / "manifest.yaml")
    frame = source.read(source.discover("macro_indicators")[0])
    expected = pd.read_csv(pd.io.common.StringIO("".join(lines)))
    assert len(frame) == 1999 and frame["value"].tolist() == expected["value"].tolist()


def test_a_file_in_another_encoding_is_said_to_be_so(tmp_path, shared_datasets):
    lines = csv_lines(shared_datasets, WDI_FILE)[:50]
    lines[10] = lines[10].replace("NY.GDP.MKTP.CD", "NY.GDP.MKTP.CD.€")  # in a column that is read
    bulk = bulk_dir(tmp_path, shared_datasets,
                    files={f"{WDI}/wdi_extract_long.csv": "".join(lines).encode("cp1252")})
    source = FilesSource(bulk)
    with pytest.raises(SourceError, match="is not utf-8 text .*set `encoding:`"):
        source.read(source.discover("macro_indicators")[0])


@pytest.mark.parametrize("member, said", [
    ("{iso3: KEN, start: 2019-13-45}", "member #1 (KEN): start '2019-13-45' is not a calendar date"),
    ("{iso3: KEN, start: 2019-01-01, end: 3000-01-01}", "member #1 (KEN): end 3000-01-01 is outside"),
    ("{iso3: KEN, start: 05/06/2019}", "member #1 (KEN): start '05/06/2019' is not an ISO date"),
    ("{iso3: KEN, start: 30/05/2019}", "member #1 (KEN): start '30/05/2019' is not an ISO date"),
    ("{iso3: XXX, start: 2019-01-01}", "member #1: XXX is neither an ISO 3166-1 alpha-3 code"),
])
def test_the_groups_file_names_file_group_and_member(tmp_path, member, said):
    """Through the published asset: the step fails with the file, the group and the member."""
    groups = tmp_path / "my_groups.yaml"
    groups.write_text(f"groups:\n  MINE:\n    members:\n      - {member}\n")
    warehouse = tmp_path / "warehouse"
    result = materialize(["core__country_groups"], {"TRADE_WAREHOUSE_DIR": str(warehouse),
                                                    "TRADE_COUNTRY_GROUPS_FILE": str(groups)})
    message = step_failure(result)
    assert f"{groups}: group MINE, {said}" in message
    assert not warehouse.exists() or not list(warehouse.rglob("*.parquet"))


def test_an_unwritable_warehouse_stops_a_run_launched_without_make_run(tmp_path):
    """A run started from the UI or the schedule skips `make run`'s checks: it stops once, at
    the start, naming TRADE_WAREHOUSE_DIR and the OS error (it used to fail seven steps)."""
    from assets.run import failure_lines

    result = materialize(["core__country_groups"], {"TRADE_WAREHOUSE_DIR": "/sys/fs/warehouse"})
    [line] = failure_lines(result.all_events)
    assert "the warehouse /sys/fs/warehouse (TRADE_WAREHOUSE_DIR) cannot be written (PermissionError" in line
    assert not any(e.is_step_failure for e in result.all_events)


def test_an_iso_date_is_read_as_written(tmp_path):
    from pipeline.reference.groups import load_country_groups

    groups = tmp_path / "my_groups.yaml"
    groups.write_text("groups:\n  MINE:\n    members:\n      - {iso3: KEN, start: 2019-06-05, end: '2020-05-30'}\n")
    mine = load_country_groups(groups).query("group_id == 'MINE'")
    assert mine["start_date"].iloc[0] == pd.Timestamp(2019, 6, 5) and mine["end_date"].iloc[0] == pd.Timestamp(2020, 5, 30)


@pytest.mark.parametrize("setting, said", [
    ({"TRADE_SOURCES": "foo"}, "TRADE_SOURCES='foo': use live, bulk or auto"),
    ({"COMTRADE_YEARS": "2022-2019"}, "the range 2022-2019 runs backwards: write 2019-2022"),
    ({"COMTRADE_YEARS": "20x9"}, "write a range like 2019-2022"),
    ({"OECD_YEARS": "1850-1860"}, "between 1900 and 2100"),
    ({"TRADE_WAREHOUSE_DIR": "/sys/fs/warehouse"}, "TRADE_WAREHOUSE_DIR=/sys/fs/warehouse cannot be written"),
    ({"TRADE_WAREHOUSE_DIR": "{file}"}, "is a file, not a directory"),
    pytest.param({"TRADE_WAREHOUSE_DIR": "/dev/shm"}, "TRADE_WAREHOUSE_DIR=/dev/shm is a mount point",
                 marks=pytest.mark.skipif(not os.path.ismount("/dev/shm"), reason="no mount at /dev/shm")),
    ({"TRADE_BULK_DIR": "{tmp}/nowhere"}, "is not a directory"),
    ({"TRADE_API_CACHE_HOURS": "soon"}, "TRADE_API_CACHE_HOURS='soon'"),
    ({"COMTRADE_REPORTERS": "ZAF,KENYA"}, "['KENYA'] are not ISO 3166-1 alpha-3 codes"),
    ({"TRADE_COVERAGE_TOLERANCE": "5"}, "TRADE_COVERAGE_TOLERANCE='5': must be a fraction between 0 and 1"),
    ({"TRADE_ACCEPT_COVERAGE_DROP": "bilateral"}, "['bilateral'] are no published tables"),
    ({"TRADE_BULK_DIR": "{tmp}", "TRADE_DISABLED_DATASETS": "atlas"}, "TRADE_DISABLED_DATASETS: ['atlas'] are not datasets"),
])
def test_make_run_refuses_bad_settings_before_starting(tmp_path, setting, said):
    """`make run` (python -m assets.run) exits 2 with one line naming the setting, no traceback,
    no run recorded and nothing written to the warehouse."""
    (tmp_path / "a_file").write_text("x")
    values = {k: v.format(file=tmp_path / "a_file", tmp=tmp_path) for k, v in setting.items()}
    env = dict(os.environ)
    env.update({"TRADE_WAREHOUSE_DIR": str(tmp_path / "warehouse"), "DAGSTER_HOME": str(tmp_path / "home"),
                "TRADE_BULK_DIR": "", **values})
    proc = subprocess.run([sys.executable, "-m", "assets.run"], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert said in proc.stderr and "Traceback" not in proc.stderr and "nothing was run" in proc.stderr
    assert not (tmp_path / "home" / "history").exists()


def test_a_row_is_located_as_an_editor_shows_it_or_as_a_record_of_an_api_answer(shared_datasets):
    """A text file's header is line 1: data row n is on line n + 1. An API answer (its landing
    directory) has no lines: its rows are records."""
    from pipeline.contracts.report import _located

    wdi = shared_datasets / WDI_FILE
    header, first = csv_lines(shared_datasets, WDI_FILE)[:2]
    assert _located({"indicator": first.split(",")[0], "file": str(wdi), "row": 1}).endswith(
        f"{wdi} line 2 (data row 1)")
    assert _located({"iso3": "KEN", "file": "warehouse/landing/worldbank", "row": 3}).endswith(
        "warehouse/landing/worldbank record 3")
    assert header.split(",")[0] != first.split(",")[0]  # line 1 is the header, line 2 the first record
