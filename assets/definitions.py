"""The code location: every asset, check, job, schedule and resource (loaded by workspace.yaml).

Configuration comes from the environment through ``dg.EnvVar`` here and nowhere else; the
Makefile exports the defaults listed in ``.env.example``.
"""
from __future__ import annotations

import os

import dagster as dg

from assets.agreement_impacts import out__agreement_impacts
from assets.bulk_tables import bulk_table_assets
from assets.dependency_outputs import DEPENDENCY_ASSETS
from assets.end_use import out__end_use_trade
from assets.gravity import out__gravity_estimates
from assets.io_manager import ParquetWarehouseIOManager, RawProvenanceIOManager
from assets.outputs import out__country_group_exposure, out__country_trade_profile
from assets.reference_tables import core__country_groups
from assets.live_sources import LIVE_SOURCE_ASSETS
from assets.resources import (BulkFilesResource, ComtradeResource, CountryGroupsResource, OecdResource,
                              SourceModeResource, WorldBankResource)
from assets.selection import refresh_selection, selected_keys
from assets.services import SERVICES_ASSETS
from assets.value_chains import VALUE_CHAIN_ASSETS

ALL_ASSETS = [*LIVE_SOURCE_ASSETS, *bulk_table_assets(), core__country_groups, out__country_trade_profile,
              out__country_group_exposure]
ALL_ASSETS += [out__gravity_estimates, out__agreement_impacts]
ALL_ASSETS += VALUE_CHAIN_ASSETS  # issue 4: value chains from the MRIO tables
ALL_ASSETS += DEPENDENCY_ASSETS  # issue 4: dependency, strategic dependencies, scorecard
ALL_ASSETS += SERVICES_ASSETS  # issue 4 part 3: services in TiSA-style sectors
ALL_ASSETS += [out__end_use_trade]  # issue 12 part 7: trade by end use (BEC Rev.4 -> SNA)

refresh_job = dg.define_asset_job(
    "refresh",
    selection=dg.AssetSelection.all(),
    description="Materialize the whole graph: raw -> contract gate -> core -> out, publishing "
    "the Parquet warehouse. Runs in process: the graph is small and steps are short.",
    executor_def=dg.in_process_executor,
)

@dg.schedule(
    name="monthly_refresh",
    job=refresh_job,
    cron_schedule="0 6 1 * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="First of the month, 06:00 UTC, what `make run` runs under the code location's "
    "settings (branches they cannot feed are left out by name). Stopped until an operator turns it on.",
)
def monthly_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    selection, left_out = refresh_selection(os.environ)
    for reason in left_out:
        context.log.info(f"left out of this run: {reason}")
    return dg.RunRequest(asset_selection=selected_keys(defs, selection), tags={"left_out": " | ".join(left_out)[:1000]})


def resources() -> dict[str, object]:
    warehouse = dg.EnvVar("TRADE_WAREHOUSE_DIR")
    return {
        "bulk_files": BulkFilesResource(
            bulk_dir=dg.EnvVar("TRADE_BULK_DIR"), manifest=dg.EnvVar("TRADE_MANIFEST")
        ),
        "sources": SourceModeResource(
            mode=dg.EnvVar("TRADE_SOURCES"), bulk_dir=dg.EnvVar("TRADE_BULK_DIR"),
            warehouse_dir=warehouse, cache_hours=dg.EnvVar("TRADE_API_CACHE_HOURS"),
        ),
        "worldbank": WorldBankResource(
            base_url=dg.EnvVar("WORLD_BANK_API_URL"), indicators=dg.EnvVar("WORLD_BANK_INDICATORS")
        ),
        "comtrade": ComtradeResource(
            base_url=dg.EnvVar("COMTRADE_API_URL"), api_key=dg.EnvVar("COMTRADE_API_KEY"),
            reporters=dg.EnvVar("COMTRADE_REPORTERS"), years=dg.EnvVar("COMTRADE_YEARS"),
            commodities=dg.EnvVar("COMTRADE_COMMODITIES"),
        ),
        "oecd": OecdResource(
            base_url=dg.EnvVar("OECD_SDMX_API_URL"), partners=dg.EnvVar("OECD_PARTNERS"),
            years=dg.EnvVar("OECD_YEARS"), tiva_indicators=dg.EnvVar("OECD_TIVA_INDICATORS"),
            incremental=dg.EnvVar("OECD_INCREMENTAL"),
        ),
        "country_groups": CountryGroupsResource(
            extra_groups_file=dg.EnvVar("TRADE_COUNTRY_GROUPS_FILE")
        ),
        "warehouse_io_manager": ParquetWarehouseIOManager(root=warehouse),
        "raw_io_manager": RawProvenanceIOManager(root=warehouse),
    }


defs = dg.Definitions(
    assets=ALL_ASSETS,
    jobs=[refresh_job],
    schedules=[monthly_refresh],
    resources=resources(),
)
