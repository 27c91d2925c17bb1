"""Real product-level trade for the metric tests: the Atlas and BACI files of the shared
datasets, read through the manifest exactly as the core asset reads them (never copied), and the
pandas implementations of the product metrics on them (the references of the per-year DuckDB
paths, in tests/metrics and in the end-to-end tier). A plugin of tests/conftest.py, so that every
directory shares one copy per session (one pytest-xdist worker: SHARED_FIXTURE_GROUPS)."""
from __future__ import annotations

import pandas as pd
import pytest

from pipeline.reference.groups import load_country_groups, membership_panel
from pipeline.sources.files import FilesSource, read_file_input
from pipeline.transform.canonical import finalize_bilateral_goods_trade

PRODUCT_DATASETS = {"atlas_sections", "atlas_hs2hs4_subset", "baci_hs92_zaf_afg", "baci_hs17_zaf_afg"}


@pytest.fixture(scope="session")
def product_bilateral(shared_datasets) -> pd.DataFrame:
    items = [i for i in FilesSource(shared_datasets).discover("bilateral_product_trade")
             if i.provenance.dataset_id in PRODUCT_DATASETS]
    assert {i.provenance.dataset_id for i in items} == PRODUCT_DATASETS
    return finalize_bilateral_goods_trade([read_file_input(i) for i in items])


@pytest.fixture(scope="session")
def product_partitions(product_bilateral, tmp_path_factory):
    """``product_bilateral`` published as the warehouse publishes core__bilateral_product_trade
    (the warehouse's writer: year partitions, the contract's schema) and read back as the IO
    manager hands it to a ``BY_PARTITION`` input."""
    from pipeline.warehouse.parquet import partition_reader
    from pipeline.contracts import load_contract
    from pipeline.warehouse import write_table

    root, contract = tmp_path_factory.mktemp("warehouse"), load_contract("bilateral_product_trade")
    write_table(product_bilateral, root, contract.name, contract.arrow_schema(), contract.partition_column,
                {"source": "tests/metrics/conftest.py product_bilateral"})
    return partition_reader(root, contract.name)


@pytest.fixture(scope="session")
def membership() -> pd.DataFrame:
    return membership_panel(load_country_groups(), range(2008, 2026))


@pytest.fixture(scope="session")
def totals_bilateral(shared_datasets, product_bilateral) -> pd.DataFrame:
    """The product rows with the Comtrade/DTA panel's TOTAL rows beside them, as in a bulk run:
    the panel is partial in 2012 and 2016 and must never be a coverage reference where the Atlas
    is the declared goods-totals source."""
    items = [i for i in FilesSource(shared_datasets).discover("bilateral_goods_trade")
             if i.provenance.dataset_id == "penppml_comtrade_dta"]
    assert len(items) == 1
    panel = finalize_bilateral_goods_trade([read_file_input(i) for i in items])
    return pd.concat([product_bilateral, panel], ignore_index=True)


@pytest.fixture(scope="session")
def macro(shared_datasets) -> pd.DataFrame:
    from pipeline.transform.canonical import finalize_macro_indicators
    items = FilesSource(shared_datasets).discover("macro_indicators")
    return finalize_macro_indicators([read_file_input(i) for i in items])


@pytest.fixture(scope="session")
def product_table(shared_datasets, totals_bilateral, macro) -> pd.DataFrame:
    """out__export_product_concentration as the asset computes it in a bulk run: every product
    source (Atlas, BACI, Open Trade Statistics), WDI, the shared manifest's goods totals and
    caveats."""
    from pipeline.metrics.commodity import FLAG_FILE, load_sitc_map
    from pipeline.metrics.dependency import product_concentration_table
    from pipeline.sources.country_product_exports import read_country_product_exports
    source = FilesSource(shared_datasets)
    return product_concentration_table(totals_bilateral, load_sitc_map(shared_datasets / FLAG_FILE), macro,
                                       read_country_product_exports(source), caveats=source.caveats())


@pytest.fixture(scope="session")
def strategic_reference(product_bilateral, membership) -> pd.DataFrame:
    """:func:`pipeline.metrics.dependency.strategic_table` of the whole product table (pandas)."""
    from pipeline.metrics.dependency import strategic_table
    from pipeline.metrics.strategic import load_strategic_config

    return strategic_table(product_bilateral, membership, load_strategic_config())


@pytest.fixture(scope="session")
def end_use_reference(shared_datasets, product_bilateral, membership) -> pd.DataFrame:
    """:func:`pipeline.metrics.end_use.end_use_trade` of the whole product table (pandas)."""
    from pipeline.metrics.end_use import end_use_trade
    from pipeline.metrics.end_use_classes import BEC_SNA_FILE, HS_BEC_FILE
    from pipeline.sources.country_product_exports import read_country_product_exports

    return end_use_trade(product_bilateral, membership, shared_datasets / HS_BEC_FILE, shared_datasets / BEC_SNA_FILE,
                         read_country_product_exports(FilesSource(shared_datasets)))
