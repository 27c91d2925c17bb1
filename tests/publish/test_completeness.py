"""Issue 14, part 1: completeness as a blocking check. Declared datasets must be present (or
disabled by name), a plain CSV cut mid-record is refused, and a table that would cover less than
its last publish (rows, countries, years, value total per source) stops the run with the
numbers and the override. On copies of the real shared files; published bytes are hashed."""
from __future__ import annotations

import shutil

import pandas as pd
import pytest

from pipeline.warehouse import read_catalog
from tests.env import digests
from tests.publish.probes import (BILATERAL, PENPPML, PENPPML_AND_BACI92, PENPPML_FILE, PRODUCTS, bulk_dir,
                                  csv_lines, materialize, publish_good, settings, step_failure)

BACI92 = "baci_hs6_bilateral_zaf_afg/baci_hs92_2021_v202301_exports_zaf_afg.csv.gz"
BACI17 = "baci_hs6_bilateral_zaf_afg/baci_hs17_2020_v202301_exports_zaf_afg.csv.gz"
WITHOUT_ATLAS = "atlas_sections,atlas_hs2hs4_subset"
# ISO 3166 code changes, by hand (ISO 3166 Maintenance Agency): the panel's old codes and the
# codes they became, to count the panel's countries without the project's code list.
OLD_CODES = {"ROM": "ROU", "ZAR": "COD", "TMP": "TLS", "MNT": "MNE"}


@pytest.fixture(scope="module")
def penppml_lines(shared_datasets) -> list[str]:
    return csv_lines(shared_datasets, PENPPML_FILE)


@pytest.fixture(scope="module")
def two_sources(tmp_path_factory, shared_datasets):
    """bilateral_goods_trade published from the penppml panel, bilateral_product_trade from the
    BACI HS92 and HS17 extracts (issue 17: totals and products are two tables)."""
    tmp = tmp_path_factory.mktemp("two")
    (tmp / "bulk" / BACI92).parent.mkdir(parents=True)
    for extract in (BACI92, BACI17):
        (tmp / "bulk" / extract).symlink_to(shared_datasets / extract)
    return publish_good(tmp, shared_datasets, [PENPPML], BILATERAL + PRODUCTS, TRADE_DISABLED_DATASETS=WITHOUT_ATLAS)[0]


def _with_baci(tmp_path, shared, penppml_text: str):
    """A bulk directory with ``penppml_text`` as a plain penppml_trade.csv and the real BACI HS92 file."""
    bulk = bulk_dir(tmp_path, shared, files={f"{PENPPML}/penppml_trade.csv": penppml_text})
    (bulk / BACI92).parent.mkdir()
    (bulk / BACI92).symlink_to(shared / BACI92)
    return bulk


def _copy(warehouse, tmp_path):
    target = tmp_path / "warehouse"
    shutil.copytree(warehouse, target)
    return target, digests(target)


def test_coverage_is_recorded_per_source(two_sources, shared_datasets, penppml_lines):
    """Rows, countries, years and value total of the penppml source, against the raw file."""
    raw = pd.read_csv(shared_datasets / PENPPML_FILE)
    tables = read_catalog(two_sources)["tables"]
    coverage = tables["bilateral_goods_trade"]["coverage"]
    assert set(coverage["sources"]) == {"penppml_comtrade_dta"}
    panel = coverage["sources"]["penppml_comtrade_dta"]
    assert panel["rows"] == len(penppml_lines) - 1 == 316317
    assert panel["entities"] == raw["exp"].replace(OLD_CODES).nunique()
    assert (panel["years"], panel["first_year"], panel["last_year"]) == (14, 1964, 2016)
    assert panel["value_total"] == pytest.approx(raw["export"].sum(), rel=1e-12)
    assert coverage["rows"] == 316317
    products = tables["bilateral_product_trade"]["coverage"]
    baci = pd.read_csv(shared_datasets / BACI92)
    assert products["sources"]["baci_hs92_zaf_afg"]["value_total"] == pytest.approx(baci["value_kusd"].sum() * 1000)
    assert products["rows"] == len(baci) + len(pd.read_csv(shared_datasets / BACI17))


def test_a_declared_dataset_without_its_file_stops_the_run(tmp_path, shared_datasets, two_sources):
    """The BACI HS92 file deleted from the bulk directory: the raw asset names the dataset, its
    pattern and the setting that disables it; nothing is published."""
    warehouse, before = _copy(two_sources, tmp_path)
    bulk = bulk_dir(tmp_path, shared_datasets, [PENPPML])
    result = materialize(BILATERAL + PRODUCTS, settings(bulk, warehouse, TRADE_DISABLED_DATASETS="atlas_sections,"
                                                        "atlas_hs2hs4_subset,baci_hs17_zaf_afg"))
    message = step_failure(result)
    assert "baci_hs92_zaf_afg (pattern baci_hs6_bilateral_zaf_afg/baci_hs92_*_exports_zaf_afg.csv*)" in message
    assert "TRADE_DISABLED_DATASETS=atlas_sections,atlas_hs2hs4_subset,baci_hs17_zaf_afg,baci_hs92_zaf_afg" in message
    assert digests(warehouse) == before


def test_the_atlas_sections_file_deleted_stops_the_raw_asset(tmp_path, shared_datasets):
    """The issue's probe on the real bulk layout: without the Atlas sections file (1.72 million
    rows) the run used to publish bilateral_goods_trade without them."""
    from tests.make_run import BULK_FOLDERS

    bulk = bulk_dir(tmp_path, shared_datasets, [f for f in BULK_FOLDERS if f != "atlas_bilateral_sections_2010_2020"])
    result = materialize(["raw_files__bilateral_product_trade"], settings(bulk, tmp_path / "warehouse"))
    message = step_failure(result)
    assert "1 dataset(s) with no file" in message and "atlas_sections (pattern atlas_bilateral_sections" in message
    assert "TRADE_DISABLED_DATASETS=atlas_sections" in message and "TRADE_ACCEPT_COVERAGE_DROP=bilateral_product_trade" in message


def test_a_disabled_dataset_that_was_published_needs_the_override(tmp_path, shared_datasets, two_sources):
    """Disabled, BACI HS92 would leave the table: the coverage check stops the run with the
    figures of the lost source, and TRADE_ACCEPT_COVERAGE_DROP lets the deliberate drop through."""
    warehouse, before = _copy(two_sources, tmp_path)
    bulk = bulk_dir(tmp_path, shared_datasets, [PENPPML])
    (bulk / BACI17).parent.mkdir()
    (bulk / BACI17).symlink_to(shared_datasets / BACI17)
    env = settings(bulk, warehouse, TRADE_DISABLED_DATASETS=f"{WITHOUT_ATLAS},baci_hs92_zaf_afg")
    message = step_failure(materialize(PRODUCTS, env))
    assert "source baci_hs92_zaf_afg is gone (71,192 rows" in message
    assert "TRADE_ACCEPT_COVERAGE_DROP=bilateral_product_trade" in message
    assert digests(warehouse) == before

    accepted = materialize(PRODUCTS, {**env, "TRADE_ACCEPT_COVERAGE_DROP": "bilateral_product_trade"})
    assert accepted.success, step_failure(accepted)
    sources = read_catalog(warehouse)["tables"]["bilateral_product_trade"]["coverage"]["sources"]
    assert set(sources) == {"baci_hs17_zaf_afg"}


def test_a_plain_csv_cut_mid_line_is_refused(tmp_path, shared_datasets, penppml_lines, two_sources):
    """The issue's probe: penppml_trade.csv (plain, matched by `penppml_trade.csv*`) cut in half
    mid-line used to publish 158,159 of 316,317 rows as a success."""
    warehouse, before = _copy(two_sources, tmp_path)
    text = "".join(penppml_lines)
    cut = text[: len(text) // 2]
    assert not cut.endswith("\n")
    bulk = _with_baci(tmp_path, shared_datasets, cut)
    message = step_failure(materialize(BILATERAL, settings(bulk, warehouse, TRADE_DISABLED_DATASETS=PENPPML_AND_BACI92)))
    assert "penppml_trade.csv (dataset penppml_comtrade_dta)" in message and "Re-download" in message
    assert "does not end with a newline" in message or "ends mid-record" in message
    assert digests(warehouse) == before


def test_a_last_line_with_fewer_fields_is_refused(tmp_path, shared_datasets, penppml_lines):
    from pipeline.sources.base import SourceError
    from pipeline.sources.files import FilesSource

    lines = penppml_lines[:1000] + [penppml_lines[1000].split(",", 1)[0] + "\n"]
    bulk = bulk_dir(tmp_path, shared_datasets, files={f"{PENPPML}/penppml_trade.csv": "".join(lines)})
    source = FilesSource(bulk)
    with pytest.raises(SourceError, match=r"ends mid-record: its last line has 1 of the header's \d+ fields"):
        source.read(source.discover("bilateral_goods_trade")[0])


def test_half_the_rows_cut_at_a_line_stop_at_the_coverage_check(tmp_path, shared_datasets, penppml_lines, two_sources):
    """Cut at a line break, the file reads; the drop against the last publish stops it, with
    the numbers (rows and countries, computed here from the two files)."""
    warehouse, before = _copy(two_sources, tmp_path)
    kept = penppml_lines[: len(penppml_lines) // 2]
    bulk = _with_baci(tmp_path, shared_datasets, "".join(kept))
    message = step_failure(materialize(BILATERAL, settings(bulk, warehouse, TRADE_DISABLED_DATASETS=PENPPML_AND_BACI92)))
    rows_after = len(kept) - 1
    assert f"source penppml_comtrade_dta: rows 316,317 -> {rows_after:,} (-{1 - rows_after / 316317:.1%})" in message
    assert "source penppml_comtrade_dta: value total (USD)" in message
    assert "baci_hs92_zaf_afg" not in message  # that source is whole
    assert digests(warehouse) == before


def test_a_drop_within_the_tolerance_is_published(tmp_path, shared_datasets, penppml_lines, two_sources):
    """Ten rows fewer (0.003%) is within the default 1%: published, with the new coverage."""
    warehouse, _ = _copy(two_sources, tmp_path)
    bulk = _with_baci(tmp_path, shared_datasets, "".join(penppml_lines[:-10]))
    result = materialize(BILATERAL, settings(bulk, warehouse, TRADE_DISABLED_DATASETS=PENPPML_AND_BACI92))
    assert result.success, step_failure(result)
    panel = read_catalog(warehouse)["tables"]["bilateral_goods_trade"]["coverage"]["sources"]["penppml_comtrade_dta"]
    assert panel["rows"] == 316317 - 10


def test_an_optional_download_may_be_absent_but_a_shared_one_may_not(tmp_path, shared_datasets):
    """ITPD-E is declared `optional: true` in the shipped manifest (a user's download, not in
    ../shared): a bulk directory holding every shared gravity panel but no ITPD-E has nothing
    absent; remove one shared panel and it is named."""
    from pipeline.sources.files import FilesSource

    panels = ["yotov2016_agtpa", "gegravity_sample_2006", "gegravity_wiod_2000_2014", "hmr2010_gravity_2006_xsec",
              "ppmlhdfe_fta_35countries"]
    for folder in panels:
        (tmp_path / folder).symlink_to(shared_datasets / folder, target_is_directory=True)
    assert FilesSource(tmp_path).absent("gravity_panel") == []
    (tmp_path / "yotov2016_agtpa").unlink()
    assert [e["id"] for e in FilesSource(tmp_path).absent("gravity_panel")] == ["yotov2016_agtpa"]


@pytest.mark.parametrize("version, refused", [("1.0.0", False), ("1.1.0", True)])
def test_a_last_publish_under_another_table_definition_is_no_baseline(tmp_path, shared_datasets, two_sources,
                                                                       version, refused):
    """Before issue 17 split the tables, bilateral_goods_trade (contract 1.0.0) also held the
    product rows of BACI: its recorded coverage had that source. Republished as totals only
    (contract 1.1.0), the source is not 'gone', the table was redefined: a last publish under
    another major.minor version is no baseline. Under the same version, the same catalog stops it."""
    import json

    warehouse, before = _copy(two_sources, tmp_path)
    catalog_file = warehouse / "catalog.json"
    catalog = json.loads(catalog_file.read_text())
    goods, products = (catalog["tables"][t] for t in ("bilateral_goods_trade", "bilateral_product_trade"))
    goods["contract_version"] = version
    goods["coverage"]["sources"]["baci_hs92_zaf_afg"] = products["coverage"]["sources"]["baci_hs92_zaf_afg"]
    catalog_file.unlink()  # a plain copy: the file is no link into the published snapshot
    catalog_file.write_text(json.dumps(catalog, indent=2))
    bulk = _with_baci(tmp_path, shared_datasets, "".join(csv_lines(shared_datasets, PENPPML_FILE)))
    result = materialize(BILATERAL, settings(bulk, warehouse, TRADE_DISABLED_DATASETS=PENPPML_AND_BACI92))
    if refused:
        assert "source baci_hs92_zaf_afg is gone (71,192 rows" in step_failure(result)
    else:
        assert result.success, step_failure(result)
        sources = read_catalog(warehouse)["tables"]["bilateral_goods_trade"]["coverage"]["sources"]
        assert set(sources) == {"penppml_comtrade_dta"}
        # ... and says so: the skipped comparison is in the output's metadata (and the run's log).
        [materialized] = [m for m in result.asset_materializations_for_node("core__bilateral_goods_trade")]
        note = materialized.metadata["coverage_baseline"].value
        assert "made under contract v1.0.0, this table is v1.1" in note and "next baseline" in note
