"""The bulk-file source: recognition by manifest, provenance, and clear errors on bad files."""
from __future__ import annotations

import gzip
import hashlib
import shutil
from pathlib import Path

import pytest

from pipeline.sources.base import SourceError
from pipeline.sources.files import FilesSource

PENPPML = "penppml_comtrade_dta_1964_2016"


def test_each_shared_format_maps_to_its_table(shared_datasets):
    source = FilesSource(shared_datasets)
    found = {t: source.discover(t) for t in
             ("bilateral_goods_trade", "bilateral_product_trade", "macro_indicators", "gravity_panel",
              "input_output")}
    # Totals and product detail are two tables (issue 17): the panel's TOTAL rows in one, every
    # product file in the other.
    assert [i.provenance.dataset_id for i in found["bilateral_goods_trade"]] == ["penppml_comtrade_dta"]
    assert [i.provenance.dataset_id for i in found["bilateral_product_trade"]] == [
        "atlas_sections", "atlas_hs2hs4_subset", "baci_hs92_zaf_afg", "baci_hs17_zaf_afg"]
    assert len(found["input_output"]) == 17  # WIOD 1995-2011
    assert {i.provenance.dataset_id for i in found["gravity_panel"]} == {
        "yotov2016_agtpa", "gegravity_sample_2006", "gegravity_wiod_2000_2014",
        "hmr2010_gravity_2006", "ppmlhdfe_fta_35countries"}
    wdi = found["macro_indicators"][0].provenance
    path = Path(wdi.location)
    assert wdi.size_bytes == path.stat().st_size
    assert wdi.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert "CC BY 4.0" in wdi.licence
    assert any(s.startswith("economiccomplexity_country_product_exports") for s in source.skipped())
    assert "atlas_bilateral_sections_2010_2020/atlas_bilateral_sections_2010_2020.csv.gz" not in source.skipped()


def test_units_are_converted_to_usd(shared_datasets):
    source = FilesSource(shared_datasets)
    yotov = next(i for i in source.discover("gravity_panel") if i.provenance.dataset_id == "yotov2016_agtpa")
    frame = source.read(yotov)
    row = frame[(frame.exporter_iso3 == "ARG") & (frame.importer_iso3 == "AUS") & (frame.year == 1986)]
    assert row["trade_value_usd"].iloc[0] == pytest.approx(27.76487e6, rel=1e-6)  # file: 27.76 (millions)


def _bulk_with(tmp_path: Path, shared: Path, content: bytes) -> FilesSource:
    folder = tmp_path / PENPPML
    folder.mkdir()
    (folder / "penppml_trade.csv.gz").write_bytes(content)
    return FilesSource(tmp_path)


def test_truncated_file_names_the_file_and_the_fix(tmp_path, shared_datasets):
    whole = (shared_datasets / PENPPML / "penppml_trade.csv.gz").read_bytes()
    source = _bulk_with(tmp_path, shared_datasets, whole[: len(whole) // 2])
    with pytest.raises(SourceError) as caught:
        source.read(source.discover("bilateral_goods_trade")[0])
    assert "penppml_trade.csv.gz" in str(caught.value) and "Re-download" in str(caught.value)


def test_file_of_another_format_is_refused(tmp_path, shared_datasets):
    npz = (shared_datasets / "wiod2013_bquast/wiot_1995.npz").read_bytes()
    source = _bulk_with(tmp_path, shared_datasets, npz)  # a zip archive under a .csv.gz name
    with pytest.raises(SourceError) as caught:
        source.read(source.discover("bilateral_goods_trade")[0])
    assert "unreadable as csv" in str(caught.value)


def test_missing_column_is_named_before_reading(tmp_path, shared_datasets):
    text = gzip.decompress((shared_datasets / PENPPML / "penppml_trade.csv.gz").read_bytes()).decode()
    header, rest = text.split("\n", 1)
    renamed = header.replace("export", "exports_value", 1) + "\n" + rest
    source = _bulk_with(tmp_path, shared_datasets, gzip.compress(renamed.encode()))
    with pytest.raises(SourceError) as caught:
        source.read(source.discover("bilateral_goods_trade")[0])
    assert "lacks column(s) ['export']" in str(caught.value)


def test_a_file_changed_after_discovery_is_not_mixed_in(tmp_path, shared_datasets):
    folder = tmp_path / "wdi_datahub_extract"
    shutil.copytree(shared_datasets / "wdi_datahub_extract", folder)
    source = FilesSource(tmp_path)
    item = source.discover("macro_indicators")[0]
    (folder / "wdi_extract_long.csv.gz").write_bytes(b"changed")
    with pytest.raises(SourceError, match="changed since it was discovered"):
        source.read(item)


def test_missing_bulk_dir_says_what_to_set(tmp_path):
    with pytest.raises(SourceError, match="TRADE_BULK_DIR"):
        FilesSource(tmp_path / "nowhere")
