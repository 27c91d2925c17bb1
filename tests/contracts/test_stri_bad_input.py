"""Bad STRI input stops at the contract gate of core__services_restrictiveness, named.

The graph's own assets (raw files -> core table behind its blocking check) run in bulk mode on the
two real STRI files; each case damages a copy of one file (value outside 0..1, unknown sector code,
a MEASURE the Digital STRI does not declare, a renamed OECD.Stat column). The run fails at the
check with the file, the column, the row count and the fix, and the table the good run published
stays byte-identical.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest

from assets.definitions import defs
from tests.env import digests, environment

DIGITAL = "oecd_stri_digital_2020_2024"
EEA = "oecd_stri_intra_eea_2014_2018"
EEA_FILE = "OECD EEA stri.csv"
ROWS = 2730 + 15720
KEYS = ["raw_files__services_restrictiveness", "raw_oecd__stri", "core__services_restrictiveness"]


def refresh(bulk: Path, warehouse: Path) -> dg.ExecuteInProcessResult:
    with environment(TRADE_SOURCES="bulk", TRADE_BULK_DIR=str(bulk), TRADE_WAREHOUSE_DIR=str(warehouse)):
        return defs.resolve_job_def("refresh").execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), raise_on_error=False,
            asset_selection=[dg.AssetKey(k) for k in KEYS])


def bulk_dir(root: Path, shared: Path, folder: str | None = None, damage=None) -> Path:
    """Links to both STRI folders; ``folder`` replaced by a copy whose file ``damage`` rewrites."""
    root.mkdir()
    for name in (DIGITAL, EEA):
        if name == folder:
            shutil.copytree(shared / name, root / name)
            [path] = [p for p in (root / name).iterdir() if p.suffix in (".csv", ".json")]
            path.write_bytes(damage(path.read_bytes()))
        else:
            (root / name).symlink_to(shared / name, target_is_directory=True)
    return root


def replace_lines(needle: bytes, old: bytes, new: bytes, count: int):
    """Rewrite ``old`` to ``new`` on the first ``count`` lines holding ``needle``."""
    def damage(body: bytes) -> bytes:
        lines, done = body.split(b"\n"), 0
        for i, line in enumerate(lines):
            if needle in line and done < count:
                lines[i], done = line.replace(old, new), done + 1
        assert done == count
        return b"\n".join(lines)
    return damage


@pytest.fixture(scope="module")
def published(shared_datasets, tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("stri_warehouse")
    result = refresh(bulk_dir(tmp_path_factory.mktemp("b") / "bulk", shared_datasets), warehouse)
    assert result.success
    return warehouse


CASES = [  # folder, damage, expectation, column, failing rows, words of the fix
    (EEA, replace_lines(b",2016,2016,0.07", b",2016,2016,0.07", b",2016,2016,1.07", 3),
     "expect_column_values_to_be_between", "value", 3, "0 (open) .. 1 (closed)"),
    (EEA, replace_lines(b"TRAIR,Air transport,STRI,", b"TRAIR,", b"TRXX,", 4),
     "expect_column_values_to_be_in_set", "sector_id", 4, "stri.yaml does not declare"),
    (DIGITAL, lambda b: b.replace(b'"MEASURE": "CLAS1_7"', b'"MEASURE": "CLAS1_11"'),
     "expect_column_values_to_be_in_set", "policy_area", 455, "index does not declare"),
    (EEA, lambda b: b.replace(b",EEA_STRI,", b",Value,", 1),
     "expect_column_values_to_not_be_null", "value", 15720, "fix the column mapping"),
]


@pytest.mark.parametrize("folder, damage, expectation, column, failing, fix", CASES,
                         ids=["value_above_1", "unknown_sector", "undeclared_measure", "renamed_column"])
def test_bad_stri_input_stops_at_the_contract(published, shared_datasets, tmp_path, folder, damage,
                                              expectation, column, failing, fix):
    warehouse = tmp_path / "warehouse"
    shutil.copytree(published, warehouse)
    before = digests(warehouse)
    result = refresh(bulk_dir(tmp_path / "bulk", shared_datasets, folder, damage), warehouse)
    assert not result.success
    [check] = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert check.asset_key.to_user_string() == "core__services_restrictiveness"
    [finding] = [f for f in check.metadata["failures"].value if f["column"] == column]
    assert finding["expectation"] == expectation and finding["failing_rows"] == failing
    assert fix in finding["fix"]
    message = next(e for e in result.all_events if e.is_step_failure).step_failure_data.error.message
    damaged = EEA_FILE if folder == EEA else "digital_trade_index_all_data.json"
    assert damaged in message and f"{failing} of {ROWS} rows" in message and "nothing was published" in message
    dataset = "oecd_stri_intra_eea" if folder == EEA else "oecd_stri_digital"
    assert finding["first_rows"][0]["source"] == dataset  # the failing rows name their file's dataset
    assert "core__services_restrictiveness" not in {e.asset_key.to_user_string()
                                                    for e in result.get_asset_materialization_events()}
    assert digests(warehouse) == before
