"""Tier 4 (without a browser): the code location loads, validates and says what it needs."""
from __future__ import annotations

import os
import subprocess
import sys

import dagster as dg

from assets.definitions import defs
from assets.readme import README, render
from tests.conftest import REPO_ROOT


def test_definitions_load_with_groups_checks_job_and_schedule():
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    groups = {graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert groups == {"raw", "core", "out"}
    checks = {k.asset_key.to_user_string() for k in graph.asset_check_keys}
    published = {k.to_user_string() for k in graph.get_all_asset_keys()
                 if not k.to_user_string().startswith("raw_")}
    assert checks == published  # every published table is gated by its contract
    for key in graph.asset_check_keys:
        assert graph.get_check_spec(key).blocking
    schedule = defs.resolve_schedule_def("monthly_refresh")
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.description, key
        if key.to_user_string().startswith(("core__", "out__")):
            assert "dagster/column_schema" in node.metadata, key


def test_dagster_cli_validates_the_workspace(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    proc = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_make_run_without_bulk_dir_stops_with_a_message():
    env = {k: v for k, v in os.environ.items() if k != "TRADE_BULK_DIR"}
    proc = subprocess.run([sys.executable, "-m", "assets.run"], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "TRADE_BULK_DIR is not set" in proc.stderr and "make run" in proc.stderr


def test_readme_generated_sections_are_current():
    text = README.read_text()
    assert render(text) == text, "README is stale: run `python -m assets.readme`"
