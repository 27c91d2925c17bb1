"""CEPII BACI and OECD ICIO 2023 as downloaded, read through the shipped manifest with no code
change (issue 17, part 3): pipeline/sources/code_lists.py and pipeline/sources/icio.py.

Fixtures (tests/sources/releases.py) are real shared rows written back, at test time, in the
release layouts: the BACI ZAF/AFG extract with CEPII's numeric codes and a code list; a WIOD
2013 year in the ICIO extended layout, China and Mexico split into CN1/CN2 and MX1/MX2. Expected
values come from the shared files read here, not from the readers under test.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.metrics.io_tables import io_table_from_long
from pipeline.reference.codes import country_codes
from pipeline.sources.base import SourceError
from pipeline.sources.files import FilesSource
from pipeline.transform.canonical import finalize_bilateral_goods_trade, finalize_input_output
from tests.sources.releases import (BACI92, ICIO_FD, VERSION, shared_extract, wiod_long, write_baci_release,
                                    write_icio_from_wiod)

BACI17 = "baci_hs6_bilateral_zaf_afg/baci_hs17_2020_v202301_exports_zaf_afg.csv.gz"
YEAR = 2011


def read_table(root: Path, table: str) -> pd.DataFrame:
    source = FilesSource(root)
    items = source.discover(table)
    assert items, f"nothing under {root} for {table}"
    return pd.concat([source.read(i) for i in items], ignore_index=True)


# --- BACI -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def baci_root(tmp_path_factory, shared_datasets) -> Path:
    root = tmp_path_factory.mktemp("baci")
    write_baci_release(shared_datasets, root / "BACI_HS92_V202401b", BACI92, "HS92")
    write_baci_release(shared_datasets, root / "BACI_HS17_V202401b", BACI17, "HS17")
    return root


def test_a_baci_release_folder_gives_the_rows_of_the_shared_extract(baci_root, shared_datasets):
    """Every row of both extracts, with the extract's ISO3 codes, 6-digit HS codes and values x 1000."""
    got = finalize_bilateral_goods_trade([read_table(baci_root, "bilateral_product_trade")])
    key = ["reporter_iso3", "partner_iso3", "year", "product_classification", "product_code"]
    for relative, classification, source in ((BACI92, "HS92_6", "baci_hs92"), (BACI17, "HS17_6", "baci_hs17")):
        raw = shared_extract(shared_datasets, relative)
        expected = pd.DataFrame({
            "reporter_iso3": raw["exporter_iso3"].replace({"S19": "TWN"}),
            "partner_iso3": raw["importer_iso3"].replace({"S19": "TWN"}),
            "year": raw["year"].astype(int), "product_classification": classification,
            "product_code": raw["hs6"], "value_usd": raw["value_kusd"].astype(float) * 1000})
        mine = got[got["source"] == source]
        assert len(mine) == len(raw)
        merged = expected.merge(mine, on=key, how="outer", indicator=True, suffixes=("_expected", ""))
        assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
        np.testing.assert_allclose(merged["value_usd"], merged["value_usd_expected"], rtol=1e-12)
        assert mine["product_code"].str.fullmatch(r"\d{6}").all()
        assert (mine["flow"] == "export").all()
    leading_zero = got["product_code"].str.startswith("0")
    assert leading_zero.sum() > 100  # codes such as 010121, written 10121 in the year file


def test_baci_totals_match_the_extracts_manifest(baci_root):
    """Outside figures: the extract's MANIFEST gives exports of 68.69 bn USD (ZAF, 2021, HS92),
    51.09 (ZAF, 2020, HS17), 0.68 and 0.51 (AFG)."""
    frame = read_table(baci_root, "bilateral_product_trade")
    totals = frame.groupby(["source", "reporter_iso3"])["value_usd"].sum() / 1e9
    assert totals[("baci_hs92", "ZAF")] == pytest.approx(68.69, abs=0.005)
    assert totals[("baci_hs17", "ZAF")] == pytest.approx(51.09, abs=0.005)
    assert totals[("baci_hs92", "AFG")] == pytest.approx(0.68, abs=0.005)
    assert totals[("baci_hs17", "AFG")] == pytest.approx(0.51, abs=0.005)


def test_the_code_list_is_provenance_and_not_a_skipped_file(baci_root):
    source = FilesSource(baci_root)
    items = source.discover("bilateral_product_trade")
    lists = [Path(spec["location"]).name for i in items for spec in i.spec["code_lists"]]
    assert lists == [f"country_codes_{VERSION}.csv"] * 2
    assert all(len(spec["sha256"]) == 64 for i in items for spec in i.spec["code_lists"])
    assert sorted(source.skipped()) == [f"BACI_HS17_{VERSION}/product_codes_HS17_{VERSION}.csv",
                                        f"BACI_HS92_{VERSION}/product_codes_HS92_{VERSION}.csv"]


def test_the_older_code_list_header_reads_too(tmp_path, shared_datasets):
    """Releases before V202401 name the ISO3 column iso_3digit_alpha."""
    folder = tmp_path / "BACI_HS92_V202401b"
    write_baci_release(shared_datasets, folder)
    listing = folder / f"country_codes_{VERSION}.csv"
    pd.read_csv(listing, dtype=str, keep_default_na=False).rename(
        columns={"country_iso3": "iso_3digit_alpha"}).to_csv(listing, index=False)
    assert len(read_table(tmp_path, "bilateral_product_trade")) == len(shared_extract(shared_datasets))


def test_a_code_missing_from_the_code_list_stops_the_read(tmp_path, shared_datasets):
    """Italy (380) left out of the list, as the V202201 list writes it (381): named, counted."""
    folder = tmp_path / "BACI_HS92_V202401b"
    write_baci_release(shared_datasets, folder)
    listing = folder / f"country_codes_{VERSION}.csv"
    codes = pd.read_csv(listing, dtype=str, keep_default_na=False)
    codes[codes["country_code"] != "380"].to_csv(listing, index=False)
    italy = (shared_extract(shared_datasets)["importer_code"] == "380").sum()
    with pytest.raises(SourceError) as error:
        read_table(tmp_path, "bilateral_product_trade")
    message = str(error.value)
    assert "BACI_HS92_Y2021_V202401b.csv" in message and "column j" in message
    assert f"380 ({italy:,} rows)" in message and f"country_codes_{VERSION}.csv" in message
    assert "same release" in message


def test_a_truncated_baci_year_file_stops_the_read(tmp_path, shared_datasets):
    data = write_baci_release(shared_datasets, tmp_path / "BACI_HS92_V202401b")
    data.write_bytes(data.read_bytes()[:-7])
    with pytest.raises(SourceError, match="Re-download the file") as error:
        read_table(tmp_path, "bilateral_product_trade")
    assert data.name in str(error.value)


# --- ICIO -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def icio_root(tmp_path_factory, shared_datasets) -> Path:
    root = tmp_path_factory.mktemp("icio")
    write_icio_from_wiod(shared_datasets, root / "ICIO2023_2011-2015", YEAR)
    return root


@pytest.fixture(scope="module")
def icio(icio_root) -> pd.DataFrame:
    return finalize_input_output([read_table(icio_root, "input_output")])


@pytest.fixture(scope="module")
def wiod(shared_datasets) -> pd.DataFrame:
    return finalize_input_output([wiod_long(shared_datasets, YEAR)])


def test_the_split_regions_are_written_and_summed(icio_root, icio):
    """Both parts of China and Mexico hold WIOD cells in the file; none is left in the table. (Cells
    are dealt whole to one part, so two non-zero parts of one cell meet only in OUT: CN1 and CN2
    both list every industry's output row, CN2's zero.)"""
    written = pd.read_csv(next(icio_root.rglob("*.csv")), index_col=0)
    assert {"CN1_c1", "CN2_c1", "MX1_c1", "MX2_c1", "CHN_HFCE", "ROW_DPABR", "OUT"} <= set(written.columns)
    cells = written[written.index.str.match(r"^[A-Z0-9]{3}_c")]  # the intermediate and final-use rows
    for part in ("CN1", "CN2", "MX1", "MX2"):
        assert cells.filter(regex=f"^{part}_", axis=0).to_numpy().sum() > 0
        assert cells.filter(regex=f"^{part}_c", axis=1).to_numpy().sum() > 0
    assert not {"CN1", "CN2", "MX1", "MX2"} & (set(icio["row_iso3"]) | set(icio["col_iso3"]))
    assert {"CHN", "MEX", "ROW"} <= set(icio["row_iso3"])


def test_an_icio_year_gives_the_wiod_input_output_table(icio, wiod):
    """Cell by cell: the same non-zero cells and gross outputs, final demand under ICIO's names."""
    key = ["year", "row_iso3", "row_sector", "col_iso3", "col_sector"]
    expected = wiod.assign(col_sector=wiod["col_sector"].replace(ICIO_FD))
    merged = expected.merge(icio, on=key, how="outer", indicator=True, suffixes=("_wiod", ""))
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    np.testing.assert_allclose(merged["value_usd"], merged["value_usd_wiod"] * 1e6, rtol=1e-12)
    assert list(icio.columns) == list(wiod.columns)


def test_split_final_demand_columns_are_summed_too(tmp_path, shared_datasets, wiod):
    """Should a version split China's and Mexico's final demand as well (CN1_HFCE ...)."""
    path = write_icio_from_wiod(shared_datasets, tmp_path / "icio", YEAR, split_final=True)
    assert {"CN1_HFCE", "CN2_HFCE", "MX2_GFCF"} <= set(pd.read_csv(path, nrows=0).columns)
    got = finalize_input_output([read_table(tmp_path, "input_output")])
    key = ["year", "row_iso3", "row_sector", "col_iso3", "col_sector"]
    expected = wiod.assign(col_sector=wiod["col_sector"].replace(ICIO_FD))
    merged = expected.merge(got, on=key, how="outer", indicator=True, suffixes=("_wiod", ""))
    assert (merged["_merge"] == "both").all()
    np.testing.assert_allclose(merged["value_usd"], merged["value_usd_wiod"] * 1e6, rtol=1e-12)


def test_the_icio_table_pivots_to_the_raw_wiod_arrays(icio, shared_datasets):
    """Z, F (final demand by region) and x against the arrays of wiot_2011.npz, read here."""
    with np.load(shared_datasets / f"wiod2013_bquast/wiot_{YEAR}.npz") as raw:
        inter, final, output = raw["inter"], raw["final"], raw["output"]
    table = io_table_from_long(icio)
    regions = [r.strip() for r in (shared_datasets / "wiod2013_bquast/countries.txt").read_text().split() if r.strip()]
    assert table.regions == country_codes().canonical(pd.Series(regions)).tolist()  # RoW -> ROW, ROM -> ROU
    np.testing.assert_allclose(table.z, inter * 1e6, rtol=1e-12)
    np.testing.assert_allclose(table.f, final.reshape(len(final), len(regions), 5).sum(axis=2) * 1e6, rtol=1e-12)
    np.testing.assert_allclose(table.x, output * 1e6, rtol=1e-12)


def _edit_icio(tmp_path: Path, shared_datasets: Path, edit) -> Path:
    path = write_icio_from_wiod(shared_datasets, tmp_path / "icio", YEAR)
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(edit(lines)))
    return path


def test_an_icio_file_with_a_row_missing_is_not_square(tmp_path, shared_datasets):
    path = _edit_icio(tmp_path, shared_datasets, lambda lines: [ln for ln in lines if not ln.startswith("DEU_c5,")])
    with pytest.raises(SourceError, match="do not form a square table") as error:
        read_table(tmp_path, "input_output")
    message = str(error.value)
    assert path.name in message and "1 only in columns ['DEU_c5']" in message
    assert "as the OECD released it" in message


def test_an_icio_file_cut_at_a_line_is_not_square(tmp_path, shared_datasets):
    """Cut after 1,000 rows at a line end: no newline check can see it, the label check does."""
    _edit_icio(tmp_path, shared_datasets, lambda lines: lines[:1001])
    with pytest.raises(SourceError, match="only in columns"):
        read_table(tmp_path, "input_output")


def test_an_icio_file_cut_mid_record_is_refused(tmp_path, shared_datasets):
    _edit_icio(tmp_path, shared_datasets, lambda lines: [*lines[:-1], lines[-1][:40]])
    with pytest.raises(SourceError, match="does not end with a newline"):
        read_table(tmp_path, "input_output")


def test_the_icio_year_and_names(tmp_path):
    from pipeline.sources.icio import icio_year

    assert [icio_year(Path(n)) for n in ("2020.csv", "2020_SML.csv", "ICIO2023_1995.csv")] == [2020, 2020, 1995]
    with pytest.raises(SourceError, match="cannot tell the year"):
        icio_year(Path("table.csv"))


def test_cepii_real_code_list_with_the_manifest_overrides(shared_datasets):
    """The real CEPII list shipped with the BACI extract (country_codes_V202201.csv, older header)
    read with the shipped manifest's overrides (review of issue 17 part 3): 490 "Other Asia, nes"
    is Taiwan (CEPII BACI FAQ), written N/A in the list like 697 and 849; 58 Belgium-Luxembourg
    and 711 the Southern African Customs Union are unions the list labels BEL and ZAF. Checked
    against the list's own rows, read here with pandas."""
    import hashlib

    from pipeline.sources.code_lists import _read_list
    from pipeline.sources.files import load_manifest, DEFAULT_MANIFEST

    path = shared_datasets / "baci_hs6_bilateral_zaf_afg/country_codes_V202201.csv"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="latin-1").set_index("country_code")
    assert raw.loc["490", "iso_3digit_alpha"] == raw.loc["697", "iso_3digit_alpha"] == "N/A"
    assert raw.loc["58", "iso_3digit_alpha"] == "BEL" and raw.loc["711", "iso_3digit_alpha"] == "ZAF"
    entry = next(e for e in load_manifest(DEFAULT_MANIFEST) if e["id"] == "baci_hs92")
    listing = {**entry["code_lists"][0], "location": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    codes = _read_list(listing, entry)
    assert codes["490"] == "S19" and country_codes().canonical(pd.Series(["S19"])).iloc[0] == "TWN"
    assert codes["58"] == "BLX" and codes["56"] == "BEL" and codes["711"] == "SCU" and codes["710"] == "ZAF"
    assert codes["697"] == "EFN" and codes["849"] == "USP"
    assert codes["251"] == "FRA" and codes["699"] == "IND" and codes["842"] == "USA" and codes["757"] == "CHE"
    assert "N/A" not in set(codes)
    assert not country_codes().is_economy(pd.Series(["EFN"])).iloc[0]


def test_a_symlinked_release_folder_is_read(baci_root, tmp_path):
    """A release folder linked into TRADE_BULK_DIR (ln -s) is found like a copied one."""
    linked = tmp_path / "bulk"
    linked.mkdir()
    (linked / "BACI_HS92_V202401b").symlink_to(baci_root / "BACI_HS92_V202401b", target_is_directory=True)
    items = FilesSource(linked).discover("bilateral_product_trade")
    assert [i.provenance.dataset_id for i in items] == ["baci_hs92"]
