"""Tier 4 (without a browser): the code location loads, validates and says what it needs."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import dagster as dg

from assets.briefs import BRIEF_ASSETS
from assets.definitions import build_defs, code_location, defs
from assets.selection import refresh_selection, selected_keys
from assets.readme import DEPLOY_ENV, ENV_EXAMPLE, README, deploy_env, env_example, render
from tests.conftest import REPO_ROOT, SHARED_DATASETS


def test_definitions_load_with_groups_checks_job_and_schedule():
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    groups = {graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert groups == {"raw", "core", "out"}
    checks = {k.asset_key.to_user_string() for k in graph.asset_check_keys}
    files = {k.to_user_string() for a in BRIEF_ASSETS for k in a.keys}  # HTML/JSON documents, no table
    published = {k.to_user_string() for k in graph.get_all_asset_keys()
                 if not k.to_user_string().startswith("raw_")} - files
    assert files == {"out__country_briefs"} and not files & checks
    assert checks == published  # every published table is gated by its contract
    for key in graph.asset_check_keys:
        assert graph.get_check_spec(key).blocking
    schedule = defs.resolve_schedule_def("monthly_refresh")
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.description, key
        if key.to_user_string().startswith(("core__", "out__")) and key.to_user_string() not in files:
            assert "dagster/column_schema" in node.metadata, key


SETTINGS_CASES = (  # settings, assets they cannot run, assets they run
    # live Comtrade totals only: no product table; the totals outputs run without it (optional input)
    (dict(TRADE_SOURCES="live", TRADE_BULK_DIR=""), {"core__input_output", "out__agreement_impacts",
                                                     "core__bilateral_product_trade", "out__export_product_concentration"},
     {"raw_oecd__batis", "out__services_exposure", "core__macro_indicators", "raw_oecd__stri",
      "core__services_restrictiveness", "out__services_restrictiveness", "core__bilateral_goods_trade",
      "out__country_trade_profile", "out__country_group_exposure"}),
    # STRI has bulk files too: bulk mode publishes it (raw_oecd__stri runs and fetches nothing)
    (dict(TRADE_SOURCES="bulk", TRADE_BULK_DIR=str(SHARED_DATASETS)), {"raw_oecd__batis", "core__services_trade"},
     {"core__input_output", "out__agreement_impacts", "out__services_exposure", "raw_files__services_restrictiveness",
      "core__services_restrictiveness", "out__services_restrictiveness", "core__bilateral_product_trade",
      "out__export_product_concentration", "out__end_use_trade", "out__country_scorecard"}),
    # a bulk directory without the STRI files and without product files: both branches are left
    # out (the scorecard with the product metrics); the totals outputs and services exposure stay
    (dict(TRADE_SOURCES="bulk", TRADE_BULK_DIR="/data"),
     {"raw_oecd__batis", "core__services_restrictiveness", "out__services_restrictiveness", "raw_oecd__stri",
      "raw_files__bilateral_product_trade", "core__bilateral_product_trade", "out__export_product_concentration",
      "out__country_scorecard"},
     {"core__input_output", "out__services_exposure", "out__country_trade_profile", "out__country_group_exposure"}),
)


def test_the_schedule_runs_what_make_run_runs_under_the_settings():
    """A scheduled tick selects like `make run`: live without TRADE_BULK_DIR leaves out the WIOD
    and gravity branches (services exposure stays, from BaTIS); bulk mode leaves out the OECD tables."""
    for settings, absent, present in SETTINGS_CASES:
        schedule = build_defs(settings).resolve_schedule_def("monthly_refresh")
        with dg.build_schedule_context() as context:
            [request] = schedule.evaluate_tick(context).run_requests
        keys = {k.to_user_string() for k in request.asset_selection}
        assert not keys & absent and present <= keys, settings
        assert keys == {k.to_user_string() for k in selected_keys(defs, refresh_selection(settings)[0])}
        assert request.tags["left_out"]


def test_definitions_offer_only_what_the_settings_can_run():
    """What "Materialize all" and the refresh job select (the materializable assets) is what
    `make run` runs under the settings; the rest stays in the graph, external, saying why."""
    for settings, absent, present in SETTINGS_CASES:
        built = build_defs(settings)
        dg.Definitions.validate_loadable(built)
        graph = built.resolve_asset_graph()
        assert graph.get_all_asset_keys() == defs.resolve_asset_graph().get_all_asset_keys()
        runnable = {k.to_user_string() for k in graph.get_all_asset_keys() if graph.get(k).is_materializable}
        selection, reasons = refresh_selection(settings)
        assert runnable == {k.to_user_string() for k in selected_keys(defs, selection)}
        assert not runnable & absent and present <= runnable, settings
        job = built.resolve_job_def("refresh")
        assert {k.to_user_string() for k in job.asset_layer.selected_asset_keys} == runnable
        assert all(r in job.description for r in reasons)
        for key in absent:
            description = graph.get(dg.AssetKey(key)).description
            assert description.startswith("**Not run under the current settings:** ") and \
                any(r in description for r in reasons), key
        # a run launched from the UI executes in process, as `make run` does
        assert built.resolve_implicit_global_asset_job_def().executor_def is dg.in_process_executor


def test_trade_assets_narrows_a_run_to_a_selection_the_settings_can_run():
    """TRADE_ASSETS (`make run` only) selects among what the settings can run: a raw input and
    everything downstream of it, never a branch they leave out; unset, the whole refresh."""
    import pytest

    from assets.preflight import setting_problems
    from assets.selection import asked_keys

    bulk = {"TRADE_SOURCES": "bulk", "TRADE_BULK_DIR": str(SHARED_DATASETS)}
    built = build_defs(bulk)
    assert asked_keys(built, bulk) is None
    keys = {k.to_user_string() for k in asked_keys(built, {**bulk, "TRADE_ASSETS": "key:raw_files__bilateral_goods_trade+"})}
    downstream = dg.AssetSelection.assets("raw_files__bilateral_goods_trade").downstream()
    assert keys == {k.to_user_string() for k in selected_keys(defs, downstream & refresh_selection(bulk)[0])}
    assert {"raw_files__bilateral_goods_trade", "core__bilateral_goods_trade", "out__country_trade_profile"} <= keys
    assert "core__input_output" not in keys
    with pytest.raises(ValueError, match="TRADE_ASSETS='key:raw_oecd__batis' selects none"):
        asked_keys(built, {**bulk, "TRADE_ASSETS": "key:raw_oecd__batis"})  # API only: left out in bulk mode
    [problem] = [p for p in setting_problems({**bulk, "TRADE_ASSETS": "key:(core"}) if "TRADE_ASSETS" in p]
    assert problem.startswith("TRADE_ASSETS='key:(core': ") and "key:core__bilateral_goods_trade+" in problem


def test_trade_assets_that_read_unpublished_tables_are_refused_before_the_run(tmp_path):
    """A selection whose inputs are neither selected nor published would fail in its first step
    with a load error: it is refused up front, naming the asset, the inputs and the selection that
    adds them; optional inputs (the STRI of the scorecard) are not asked for."""
    import pytest

    from assets.selection import asked_keys

    bulk = {"TRADE_SOURCES": "bulk", "TRADE_BULK_DIR": str(SHARED_DATASETS), "TRADE_WAREHOUSE_DIR": str(tmp_path)}
    built = build_defs(bulk)
    with pytest.raises(ValueError) as refused:
        asked_keys(built, {**bulk, "TRADE_ASSETS": "key:out__country_trade_profile"})
    said = str(refused.value)
    assert ("out__country_trade_profile reads core__bilateral_goods_trade, core__bilateral_product_trade, "
            "core__macro_indicators" not in said)  # the product table is an optional input there
    assert "out__country_trade_profile reads core__bilateral_goods_trade, core__macro_indicators" in said
    assert "+key:out__country_trade_profile" in said and str(tmp_path) in said
    with pytest.raises(ValueError) as refused:
        asked_keys(built, {**bulk, "TRADE_ASSETS": "key:out__country_scorecard"})
    assert "core__services_restrictiveness" not in str(refused.value)
    assert ("out__country_scorecard reads core__macro_indicators, out__country_group_exposure, "
            "out__country_trade_profile, out__export_product_concentration, out__strategic_dependencies, "
            "out__value_chain_exposure, neither") in str(refused.value)
    # With everything upstream selected, nothing is missing.
    assert asked_keys(built, {**bulk, "TRADE_ASSETS": "+key:out__country_trade_profile"})


def test_the_code_location_is_built_from_the_environment():
    from tests.env import environment

    with environment(TRADE_SOURCES="bulk", TRADE_BULK_DIR="/data"):
        graph = code_location().resolve_asset_graph()
    assert not graph.get(dg.AssetKey("raw_oecd__batis")).is_materializable
    assert graph.get(dg.AssetKey("core__input_output")).is_materializable


def test_dagster_cli_validates_the_workspace(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    proc = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_make_run_offline_fails_within_seconds_naming_the_host():
    """Live is the default; an unreachable API host (here a closed local port, as without a
    network) stops `make run` at once, naming the host and pointing to TRADE_BULK_DIR."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in ("TRADE_BULK_DIR", "TRADE_SOURCES")}
    env.update(WORLD_BANK_API_URL=f"http://127.0.0.1:{port}/v2", DAGSTER_HOME=str(REPO_ROOT / ".no_home"))
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "assets.run"], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and time.monotonic() - start < 30
    assert f"127.0.0.1:{port}" in proc.stderr and "TRADE_BULK_DIR=../shared/datasets make run" in proc.stderr
    assert not (REPO_ROOT / ".no_home").exists()  # nothing was started


def test_readme_generated_sections_are_current():
    text = README.read_text()
    assert render(text) == text, "README is stale: run `python -m assets.readme`"
    assert ENV_EXAMPLE.read_text() == env_example(), ".env.example is stale: run `python -m assets.readme`"
    assert DEPLOY_ENV.read_text() == deploy_env(), "deploy/settings.env is stale: run `python -m assets.readme`"
