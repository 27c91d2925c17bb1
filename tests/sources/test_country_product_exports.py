"""The Open Trade Statistics exports to the world (HS 2007 headings) as ``country_product_exports``."""
from __future__ import annotations

import pandas as pd
import pytest

from pipeline.sources.base import SourceError
from pipeline.sources.country_product_exports import read_country_product_exports
from pipeline.sources.files import FilesSource

FOLDER = "economiccomplexity_country_product_exports"


@pytest.fixture(scope="module")
def exports(shared_datasets):
    return read_country_product_exports(FilesSource(shared_datasets))


def test_three_years_read_from_the_manifest(exports, shared_datasets):
    assert sorted(exports["year"].unique()) == [1962, 1980, 2017]
    assert set(exports["product_classification"]) == {"HS07_4"}
    skipped = FilesSource(shared_datasets).skipped()
    assert f"{FOLDER}/world_trade_2017.csv.gz" not in skipped
    assert f"{FOLDER}/world_gdp_and_population_2017.csv" in skipped   # not product trade
    # Zambia 2017 by hand from the raw file: NA rows are absent, codes keep their leading zero.
    raw = pd.read_csv(shared_datasets / FOLDER / "world_trade_2017.csv.gz", dtype={"product_code": str})
    zmb = raw[raw["reporter_iso"] == "zmb"].dropna()
    ours = exports[(exports["iso3"] == "ZMB") & (exports["year"] == 2017)]
    assert len(ours) == len(zmb) and ours["value_usd"].sum() == pytest.approx(zmb["export_value_usd"].sum())
    assert "0101" in set(exports["product_code"]) or "0102" in set(exports["product_code"])
    # 1962/1980 historic codes map to declared ones (YMD -> YDR, PCI -> PCE, ROM -> ROU).
    assert {"YDR", "ROU"} <= set(exports.loc[exports["year"] == 1962, "iso3"])


def test_unknown_country_code_names_file_and_code(tmp_path, shared_datasets):
    folder = tmp_path / FOLDER
    folder.mkdir()
    (folder / "world_trade_2017.csv").write_text("reporter_iso,product_code,export_value_usd\nzmb,7403,5.0\nxqq,7403,1.0\n")
    with pytest.raises(SourceError, match=r"world_trade_2017\.csv.*\['XQQ'\].*country_codes\.yaml"):
        read_country_product_exports(FilesSource(tmp_path))
