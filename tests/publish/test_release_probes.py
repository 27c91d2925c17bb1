"""Bad BACI and ICIO downloads through Dagster runs (issue 17, "Bad input"): a BACI year file
whose numeric code is missing from its code list, a truncated BACI year file, an ICIO year whose
labels do not form a square table. Each stops the run at the reader, naming the file, the code
or label, the count and the fix, and the table published from the good download stays
byte-identical. Fixtures: real shared rows in the release layouts (tests/sources/releases.py)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.warehouse import read_catalog
from tests.env import digests
from tests.publish.probes import PRODUCTS, materialize, settings, step_failure
from tests.sources.releases import VERSION, write_baci_release, write_icio_from_wiod

# the shipped datasets of each table, absent from a bulk directory that holds only a user's download
SHARED_BILATERAL = "penppml_comtrade_dta,atlas_sections,atlas_hs2hs4_subset,baci_hs92_zaf_afg,baci_hs17_zaf_afg"
INPUT_OUTPUT = ["raw_files__input_output", "core__input_output"]


def _good(tmp: Path, write, keys: list[str], disabled: str) -> tuple[Path, Path]:
    bulk, warehouse = tmp / "bulk", tmp / "warehouse"
    write(bulk)
    result = materialize(keys, settings(bulk, warehouse, TRADE_DISABLED_DATASETS=disabled))
    assert result.success, step_failure(result)
    return bulk, warehouse


@pytest.fixture(scope="module")
def baci_published(tmp_path_factory, shared_datasets):
    tmp = tmp_path_factory.mktemp("baci_good")
    return _good(tmp, lambda bulk: write_baci_release(shared_datasets, bulk / f"BACI_HS92_{VERSION}"),
                 PRODUCTS, SHARED_BILATERAL)


@pytest.fixture(scope="module")
def icio_published(tmp_path_factory, shared_datasets):
    tmp = tmp_path_factory.mktemp("icio_good")
    return _good(tmp, lambda bulk: write_icio_from_wiod(shared_datasets, bulk / "ICIO2023_2011-2015", 2011),
                 INPUT_OUTPUT, "wiod2013")


def _rerun(tmp: Path, published: tuple[Path, Path], edit, keys: list[str], disabled: str) -> str:
    """Copy the good state, edit its download, re-run: the failure text; nothing published changed."""
    bulk, warehouse = tmp / "bulk", tmp / "warehouse"
    shutil.copytree(published[0], bulk)
    shutil.copytree(published[1], warehouse, symlinks=True)
    before, catalog = digests(warehouse), read_catalog(warehouse)
    assert before, "the good run published nothing"
    edit(bulk)
    result = materialize(keys, settings(bulk, warehouse, TRADE_DISABLED_DATASETS=disabled))
    assert not result.success
    assert digests(warehouse) == before and read_catalog(warehouse) == catalog
    return step_failure(result)


def test_the_good_baci_release_is_published(baci_published):
    catalog = read_catalog(baci_published[1])
    assert "bilateral_product_trade" in catalog["tables"]


def test_a_baci_code_missing_from_its_list_fails_and_publishes_nothing(tmp_path, baci_published):
    def drop_zaf(bulk: Path) -> None:
        listing = bulk / f"BACI_HS92_{VERSION}/country_codes_{VERSION}.csv"
        listing.write_text("".join(ln for ln in listing.read_text().splitlines(keepends=True)
                                   if not ln.startswith("710,")))

    message = _rerun(tmp_path, baci_published, drop_zaf, PRODUCTS, SHARED_BILATERAL)
    assert "BACI_HS92_Y2021_V202401b.csv" in message and "column i" in message and "710 (" in message
    assert "code list of the same release" in message


def test_a_truncated_baci_year_file_fails_and_publishes_nothing(tmp_path, baci_published):
    def cut(bulk: Path) -> None:
        data = bulk / f"BACI_HS92_{VERSION}/BACI_HS92_Y2021_{VERSION}.csv"
        data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])

    message = _rerun(tmp_path, baci_published, cut, PRODUCTS, SHARED_BILATERAL)
    assert "BACI_HS92_Y2021_V202401b.csv" in message and "Re-download the file" in message


def test_an_icio_year_that_is_not_square_fails_and_publishes_nothing(tmp_path, icio_published):
    def drop_column(bulk: Path) -> None:
        path = bulk / "ICIO2023_2011-2015/2011.csv"
        lines = path.read_text().splitlines(keepends=True)
        at = lines[0].rstrip("\n").split(",").index("USA_c12")
        path.write_text("".join(",".join(f for i, f in enumerate(ln.rstrip("\n").split(",")) if i != at) + "\n"
                                for ln in lines))

    message = _rerun(tmp_path, icio_published, drop_column, INPUT_OUTPUT, "wiod2013")
    assert "2011.csv" in message and "do not form a square table" in message
    assert "1 label(s) only in rows ['USA_c12']" in message and "as the OECD released it" in message
