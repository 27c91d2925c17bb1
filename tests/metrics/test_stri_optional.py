"""A bulk directory without the OECD STRI files leaves the STRI branch out of the refresh, and
services exposure and the scorecard, whose STRI input is optional, still materialize (stri and
digital_stri null). Small asset selections materialized by Dagster into a temporary warehouse."""
from __future__ import annotations

import dagster as dg
import pandas as pd
import pytest

from assets.definitions import defs
from assets.dependency_outputs import out__country_scorecard
from assets.io_manager import ParquetWarehouseIOManager
from assets.selection import refresh_selection, selected_keys
from assets.services import out__services_exposure
from pipeline.warehouse.parquet import read_table
from tests.conftest import REPO_ROOT
from tests.make_run import BULK_FOLDERS
from tests.metrics import test_scorecard as card
from tests.metrics.wiod_years import wiod_long

STRI_FOLDERS = ["oecd_stri_digital_2020_2024", "oecd_stri_intra_eea_2014_2018"]
STRI_BRANCH = {"raw_files__services_restrictiveness", "raw_oecd__stri", "core__services_restrictiveness",
               "out__services_restrictiveness"}
MANIFEST = str(REPO_ROOT / "pipeline/sources/manifests/shared_datasets.yaml")


def _bulk(tmp_path, shared_datasets, folders) -> str:
    tmp_path.mkdir(exist_ok=True)
    for folder in folders:
        (tmp_path / folder).symlink_to(shared_datasets / folder, target_is_directory=True)
    return str(tmp_path)


def _selected(settings) -> tuple[set[str], list[str]]:
    selection, reasons = refresh_selection(settings)
    return {k.to_user_string() for k in selected_keys(defs, selection)}, reasons


def test_bulk_without_stri_files_leaves_the_stri_branch_out_by_name(tmp_path, shared_datasets):
    without = _bulk(tmp_path / "without", shared_datasets, [f for f in BULK_FOLDERS if f not in STRI_FOLDERS])
    keys, reasons = _selected({"TRADE_SOURCES": "bulk", "TRADE_BULK_DIR": without, "TRADE_MANIFEST": MANIFEST})
    assert not keys & STRI_BRANCH
    assert {"out__services_exposure", "out__country_scorecard", "core__input_output"} <= keys
    [reason] = [r for r in reasons if "STRI" in r]
    assert without in reason and "oecd_stri_digital_2020_2024/digital_trade_index_all_data.json" in reason
    # One STRI folder is enough to keep the branch (either file feeds services_restrictiveness).
    one = _bulk(tmp_path / "one", shared_datasets, ["oecd_stri_intra_eea_2014_2018"])
    keys, reasons = _selected({"TRADE_SOURCES": "bulk", "TRADE_BULK_DIR": one, "TRADE_MANIFEST": MANIFEST})
    assert STRI_BRANCH <= keys and not any("STRI" in r for r in reasons)


def _materialize(assets, selection, warehouse):
    return dg.materialize(assets, selection=selection, raise_on_error=False,
                          resources={"warehouse_io_manager": ParquetWarehouseIOManager(root=str(warehouse)),
                                     "io_manager": dg.mem_io_manager})


def _unpublished(*names):
    """Tables as the warehouse holds them: here never published (external assets)."""
    return [dg.AssetSpec(n).with_io_manager_key("warehouse_io_manager") for n in names]


def test_services_exposure_materializes_without_stri(shared_datasets, tmp_path):
    io = wiod_long(shared_datasets, (2003, 2004))  # real WIOD rows; no STRI published anywhere

    @dg.asset(name="core__input_output")
    def input_output():
        return io

    result = _materialize([input_output, *_unpublished("core__services_restrictiveness", "core__services_trade"),
                           out__services_exposure],
                          ["core__input_output", "out__services_exposure"], tmp_path)
    assert result.success
    published = read_table(tmp_path, "services_exposure")
    assert len(published) > 0 and published["stri"].isna().all() and published["stri_sectors_covered"].isna().all()
    deu = published[(published["iso3"] == "DEU") & (published["year"] == 2004) & (published["sector_id"] == "construction")]
    cells = io[(io.year == 2004) & (io.row_iso3 == "DEU") & (io.row_sector == "c18") & (io.col_iso3 != "DEU")
               & (io.col_sector != "GO")]
    assert deu["exports_usd"].item() == pytest.approx(cells["value_usd"].sum(), rel=1e-12)  # the WIOD cells


def test_scorecard_materializes_without_stri(tmp_path):
    """The scorecard's other inputs are the join frames of tests/metrics/test_scorecard.py."""
    inputs = {"out__country_trade_profile": card.PROFILE, "out__country_group_exposure": card.EXPOSURE,
              "out__export_product_concentration": card.PRODUCTS, "out__strategic_dependencies": card.FLAGGED,
              "core__macro_indicators": pd.DataFrame(columns=["iso3", "year", "indicator_code", "value", "unit",
                                                           "is_aggregate", "source"]),
              "out__value_chain_exposure": pd.DataFrame(columns=["iso3", "year", "gvc_backward_pct",
                                                              "gvc_forward_pct", "gvc_participation_pct"])}

    def upstream(name, frame):
        @dg.asset(name=name)
        def table():
            return frame
        return table

    stubs = [upstream(n, f) for n, f in inputs.items()]
    result = _materialize([*stubs, *_unpublished("core__services_restrictiveness"), out__country_scorecard], [*inputs, "out__country_scorecard"],
                          tmp_path)
    assert result.success
    published = read_table(tmp_path, "country_scorecard")
    assert len(published) == 3 and published["digital_stri"].isna().all()
    assert not (tmp_path / "services_restrictiveness").exists()
