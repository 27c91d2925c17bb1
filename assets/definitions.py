"""The code location: every asset, check, job, schedule and resource (loaded by workspace.yaml).

Configuration comes from the environment through ``dg.EnvVar`` here and nowhere else; the
Makefile exports the defaults listed in ``.env.example``. ``workspace.yaml`` loads
:func:`code_location`, built from the settings (:func:`build_defs`), so the UI offers only what
they can run; ``defs`` is the whole graph, for tests and tools that select for themselves.
"""
from __future__ import annotations

import os
from collections.abc import Mapping

import dagster as dg

from assets.agreement_impacts import out__agreement_impacts
from assets.briefs import BRIEF_ASSETS
from assets.bulk_tables import bulk_table_assets
from assets.dependency_outputs import DEPENDENCY_ASSETS
from assets.end_use import out__end_use_trade
from assets.execution import execution_config, executor_def, executor_problems, parse_executor
from assets.gravity import out__gravity_estimates
from assets.io_manager import ParquetWarehouseIOManager, RawProvenanceIOManager
from assets.outputs import out__country_group_exposure, out__country_trade_profile
from assets.reference_tables import core__country_groups
from assets.live_sources import LIVE_SOURCE_ASSETS
from assets.resources import (BriefsResource, BulkFilesResource, ComtradeResource, CountryGroupsResource, OecdResource,
                              SourceModeResource, WorldBankResource)
from assets.selection import left_out_keys
from assets.restrictiveness import RESTRICTIVENESS_ASSETS
from assets.services import SERVICES_ASSETS
from assets.settings import SETTINGS
from assets.value_chains import VALUE_CHAIN_ASSETS

ALL_ASSETS = [*LIVE_SOURCE_ASSETS, *bulk_table_assets(), core__country_groups, out__country_trade_profile,
              out__country_group_exposure]
ALL_ASSETS += [out__gravity_estimates, out__agreement_impacts]
ALL_ASSETS += VALUE_CHAIN_ASSETS  # issue 4: value chains from the MRIO tables
ALL_ASSETS += DEPENDENCY_ASSETS  # issue 4: dependency, strategic dependencies, scorecard
ALL_ASSETS += SERVICES_ASSETS  # issue 4 part 3: services in TiSA-style sectors
ALL_ASSETS += [out__end_use_trade]  # issue 12 part 7: trade by end use (BEC Rev.4 -> SNA)
ALL_ASSETS += RESTRICTIVENESS_ASSETS  # issue 15: OECD STRI ranks and group averages
ALL_ASSETS += BRIEF_ASSETS  # issue 19: country briefs (HTML + JSON) from the published tables


def resources() -> dict[str, object]:
    warehouse = dg.EnvVar("TRADE_WAREHOUSE_DIR")
    return {
        "bulk_files": BulkFilesResource(
            bulk_dir=dg.EnvVar("TRADE_BULK_DIR"), manifest=dg.EnvVar("TRADE_MANIFEST"),
            disabled_datasets=dg.EnvVar("TRADE_DISABLED_DATASETS"),
        ),
        "sources": SourceModeResource(
            mode=dg.EnvVar("TRADE_SOURCES"), bulk_dir=dg.EnvVar("TRADE_BULK_DIR"),
            warehouse_dir=warehouse, cache_hours=dg.EnvVar("TRADE_API_CACHE_HOURS"),
            rate_limits=dg.EnvVar("TRADE_RATE_LIMITS"),
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
        "warehouse_io_manager": ParquetWarehouseIOManager(
            root=warehouse, coverage_tolerance=dg.EnvVar("TRADE_COVERAGE_TOLERANCE"),
            accept_coverage_drop=dg.EnvVar("TRADE_ACCEPT_COVERAGE_DROP"),
        ),
        "raw_io_manager": RawProvenanceIOManager(root=warehouse),
        "briefs": BriefsResource(countries=dg.EnvVar("TRADE_BRIEF_COUNTRIES")),
    }


# every setting but the instance's own reaches a step's container (its value from the run worker)
FORWARDED = [name for name, _, _ in SETTINGS if name != "DAGSTER_HOME"]


def _execution(settings: Mapping[str, str]) -> tuple[str, dict]:
    """The executor ``settings`` choose and its ``execution.config`` (:mod:`assets.execution`)."""
    name = parse_executor(settings.get("TRADE_EXECUTOR", ""))
    return name, execution_config(name, settings, FORWARDED)


def refresh_job(left_out: list[str], settings: Mapping[str, str] | None = None) -> dg.UnresolvedAssetJobDefinition:
    """The refresh job, its steps run by the executor of ``settings`` (``TRADE_EXECUTOR``,
    :mod:`assets.execution`; in process without settings), its run config defaulting to theirs."""
    name, config = _execution(settings or {})
    note = "".join(f"\n\nLeft out under the current settings: {reason}." for reason in left_out)
    where = ("Runs in process: the graph is small and steps are short." if name == "in_process"
             else f"Each step runs on its own ({name} executor), heavy steps one at a time.")
    return dg.define_asset_job(
        "refresh",
        selection=dg.AssetSelection.all(),  # materializable assets only: what the settings can run
        description="Materialize the whole graph: raw -> contract gate -> core -> out, publishing "
        "the Parquet warehouse. " + where + note,
        executor_def=executor_def(name),
        config={"execution": {"config": config}} if config else None,
    )


def _default_executor(settings: Mapping[str, str]) -> dg.ExecutorDefinition:
    """The executor of the UI's "Materialize" (the implicit asset job): the refresh job's, configured alike."""
    name, config = _execution(settings)
    return executor_def(name).configured(config) if config else executor_def(name)


def _monthly_refresh(job, keys: list[dg.AssetKey] | None, left_out: list[str]) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="monthly_refresh",
        job=job,
        cron_schedule="0 6 1 * *",
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description="First of the month, 06:00 UTC, what `make run` runs under the code location's "
        "settings (branches they cannot feed are left out by name). Stopped until an operator turns it on.",
    )
    def monthly_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        for reason in left_out:
            context.log.info(f"left out of this run: {reason}")
        return dg.RunRequest(asset_selection=keys, tags={"left_out": " | ".join(left_out)[:1000]})

    return monthly_refresh


def _shown_not_run(asset: dg.AssetsDefinition, reason: str) -> list[dg.AssetSpec]:
    """``asset`` as an external asset: in the graph with its lineage, but without a Materialize
    button, outside "Materialize all" and the refresh job, its description opening with why. It
    keeps its IO manager, so a downstream optional input still reads the table (None if unpublished)."""
    return [spec.replace_attributes(description=f"**Not run under the current settings:** {reason}.\n\n"
                                                f"{spec.description or ''}")
            .with_io_manager_key(asset.get_io_manager_key_for_asset_key(spec.key))
            for spec in asset.specs]


def build_defs(settings: Mapping[str, str]) -> dg.Definitions:
    """The code location under ``settings``: the branches they cannot feed (:mod:`assets.selection`)
    are shown as external assets with the reason, so the UI offers only what can run.

    ``make run``, ``make ui`` and the schedule all use it; a run launched from the UI executes in
    process, as ``make run`` does. An executor that cannot publish the warehouse correctly
    (:func:`assets.execution.executor_problems`) is refused here too, for a UI started without
    ``make ui``: the code location fails to load with the reason, naming TRADE_EXECUTOR."""
    if problems := executor_problems(settings):
        raise dg.DagsterInvalidDefinitionError("; ".join(problems))
    left_out = left_out_keys(defs.resolve_asset_graph(), settings)
    runnable = [a for a in ALL_ASSETS if not left_out.keys() & set(a.keys)]
    # a multi-asset (the value chains) is left out whole, with the reason of its first key left out
    shown = [s for a in ALL_ASSETS if left_out.keys() & set(a.keys)
             for s in _shown_not_run(a, next(left_out[k] for k in a.keys if k in left_out))]
    reasons = list(dict.fromkeys(left_out.values()))
    job = refresh_job(reasons, settings)
    keys = sorted((k for a in runnable for k in a.keys), key=lambda k: k.to_user_string())
    return dg.Definitions(assets=[*runnable, *shown], jobs=[job], schedules=[_monthly_refresh(job, keys, reasons)],
                          resources=resources(), executor=_default_executor(settings))


# The whole graph, every asset materializable whatever the settings: for tests and tools that select
# their own assets (``selected_keys(defs, refresh_selection(settings)[0])``).
_full_job = refresh_job([])
defs = dg.Definitions(
    assets=ALL_ASSETS,
    jobs=[_full_job],
    schedules=[_monthly_refresh(_full_job, None, [])],  # None: the whole job
    resources=resources(),
    # Publishing is run-level state held by the IO managers of one process (issue 14): a
    # multiprocess executor would commit in each step's process, hence
    # assets.execution.OUT_OF_PROCESS_REFUSAL.
    executor=dg.in_process_executor,
)


@dg.definitions
def code_location() -> dg.Definitions:
    """What ``workspace.yaml`` loads: the definitions under the settings of the environment the
    UI was started in (``make ui`` fills in every default first)."""
    return build_defs(os.environ)
