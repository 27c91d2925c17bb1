"""Real product-level trade for the metric tests: the Atlas and BACI files of the shared
datasets, read through the manifest exactly as the core asset reads them (never copied)."""
from __future__ import annotations

import pandas as pd
import pytest

from pipeline.reference.groups import load_country_groups, membership_panel
from pipeline.sources.files import FilesSource, read_file_input
from pipeline.transform.canonical import finalize_bilateral_goods_trade

PRODUCT_DATASETS = {"atlas_sections", "atlas_hs2hs4_subset", "baci_hs92_zaf_afg", "baci_hs17_zaf_afg"}


@pytest.fixture(scope="session")
def product_bilateral(shared_datasets) -> pd.DataFrame:
    items = [i for i in FilesSource(shared_datasets).discover("bilateral_goods_trade")
             if i.provenance.dataset_id in PRODUCT_DATASETS]
    assert {i.provenance.dataset_id for i in items} == PRODUCT_DATASETS
    return finalize_bilateral_goods_trade([read_file_input(i) for i in items])


@pytest.fixture(scope="session")
def membership() -> pd.DataFrame:
    return membership_panel(load_country_groups(), range(2008, 2026))
