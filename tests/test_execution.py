"""TRADE_EXECUTOR: Dagster's executors chosen by setting (assets/execution.py), checked offline.

The Kubernetes and Docker run configurations are validated against the refresh job built with
those executors (``dg.validate_run_config``: Dagster's own config schema of dagster-k8s and
dagster-docker, no cluster, no daemon); bad settings stop ``make run`` before Dagster starts.
The last test runs two steps in processes of their own and shows why the step executors are
refused before a run: each step publishes the warehouse alone.
"""
from __future__ import annotations

import os
import subprocess
import sys

import dagster as dg
import pytest

from assets.definitions import ALL_ASSETS, build_defs, refresh_job, resources
from assets.execution import EXECUTORS, HEAVY_STEPS
from assets.preflight import setting_problems
from tests.conftest import REPO_ROOT, SHARED_DATASETS
from tests.env import environment

STEP_EXECUTORS = [name for name in EXECUTORS if name != "in_process"]


def _job(settings: dict[str, str]) -> dg.JobDefinition:
    """The refresh job of the whole graph under ``settings`` (the refusal of build_defs bypassed)."""
    return dg.Definitions(assets=ALL_ASSETS, jobs=[refresh_job([], settings)],
                          resources=resources()).resolve_job_def("refresh")


def test_unknown_executor_or_cap_stops_make_run_naming_the_setting():
    env = {**os.environ, "TRADE_EXECUTOR": "dask", "TRADE_MAX_CONCURRENT": "two", "TRADE_BULK_DIR": str(SHARED_DATASETS)}
    done = subprocess.run([sys.executable, "-m", "assets.run"], env=env, cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and "nothing was run" in done.stderr
    assert "TRADE_EXECUTOR='dask' is no executor: use one of in_process, multiprocess, docker, k8s" in done.stderr
    assert "TRADE_MAX_CONCURRENT='two' is not a whole number of steps" in done.stderr
    assert "Traceback" not in done.stderr


def test_step_executors_are_refused_before_the_run_and_by_the_code_location():
    assert not [p for p in setting_problems({"TRADE_EXECUTOR": "in_process"}) if "TRADE_EXECUTOR" in p]
    for name in STEP_EXECUTORS:
        [problem] = [p for p in setting_problems({"TRADE_EXECUTOR": name}) if "TRADE_EXECUTOR" in p]
        assert problem.startswith(f"TRADE_EXECUTOR={name} is refused until the warehouse publishes once per run")
        assert "TRADE_EXECUTOR=in_process" in problem
        with pytest.raises(dg.DagsterInvalidDefinitionError, match=f"TRADE_EXECUTOR={name} is refused"):
            build_defs({"TRADE_EXECUTOR": name})  # `dagster dev` without `make ui` fails to load, saying why


def test_k8s_and_docker_run_configs_validate_offline():
    """The job's default run config and an operator's additions validate against dagster-k8s's
    and dagster-docker's schema; a wrong value does not (the check is not vacuous)."""
    additions = {"k8s": {"job_namespace": "trade", "image_pull_policy": "IfNotPresent",
                         "env_secrets": ["trade-api-keys"]},
                 "docker": {"image": "trade-pipeline:latest", "network": "dagster"}}
    for name, extra in additions.items():
        job = _job({"TRADE_EXECUTOR": name, "TRADE_MAX_CONCURRENT": "4"})
        assert job.executor_def.name == name
        default = job.run_config["execution"]["config"]
        assert default["max_concurrent"] == 4 and default["tag_concurrency_limits"] == [
            {"key": "trade/memory", "value": "heavy", "limit": 1}]
        assert {"TRADE_WAREHOUSE_DIR", "TRADE_SOURCES", "COMTRADE_API_KEY"} <= set(default["env_vars"])
        assert "DAGSTER_HOME" not in default["env_vars"]
        dg.validate_run_config(job, {"execution": {"config": {**default, **extra}}})
        with pytest.raises(dg.DagsterInvalidConfigError, match="max_concurrent"):
            dg.validate_run_config(job, {"execution": {"config": {**default, "max_concurrent": "four"}}})


def test_heavy_steps_share_one_slot_and_ask_kubernetes_for_a_large_pod():
    from dagster_k8s.job import get_user_defined_k8s_config

    job = _job({"TRADE_EXECUTOR": "k8s"})
    tagged = {node.name for node in job.graph.node_defs if node.tags.get("trade/memory") == "heavy"}
    assert tagged == HEAVY_STEPS == {"core__input_output", "core__bilateral_product_trade",
                                     "core__bilateral_goods_trade", "value_chains"}
    heavy = get_user_defined_k8s_config(job.graph.node_dict["core__input_output"].tags)
    assert heavy.container_config["resources"]["requests"]["memory"] == "8Gi"
    light = get_user_defined_k8s_config(job.graph.node_dict["core__country_groups"].tags)
    assert not light.container_config  # the executor's step_k8s_config applies
    assert job.run_config["execution"]["config"]["step_k8s_config"]["container_config"]["resources"]["requests"]


def two_steps_in_processes_of_their_own() -> dg.JobDefinition:
    """Two steps with no input between them, under the multiprocess executor, one at a time
    (module level: the executor rebuilds the job in each step's process)."""
    return dg.Definitions(assets=ALL_ASSETS, resources=resources(), jobs=[dg.define_asset_job(
        "two_steps", selection=dg.AssetSelection.assets("core__country_groups", "raw_files__services_restrictiveness"),
        executor_def=dg.multiprocess_executor.configured({"max_concurrent": 1}))]).resolve_job_def("two_steps")


@pytest.mark.slow
def test_steps_in_processes_of_their_own_publish_alone(tmp_path):
    """Why TRADE_EXECUTOR=multiprocess is refused: each step's IO managers take and give back the
    warehouse in the step's process, so each step commits a snapshot of its own. When this fails
    (one snapshot per run), the publish has moved to the run: lift the refusal (RUN_LEVEL_PUBLISH)."""
    warehouse, home = tmp_path / "warehouse", tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with environment(TRADE_WAREHOUSE_DIR=str(warehouse), TRADE_BULK_DIR=str(SHARED_DATASETS),
                     TRADE_SOURCES="bulk", DAGSTER_HOME=str(home)), dg.DagsterInstance.get() as instance:
        result = dg.execute_job(dg.reconstructable(two_steps_in_processes_of_their_own), instance=instance)
        published = [e.user_message for e in instance.all_logs(result.run_id) if "published snapshot" in e.user_message]
    assert result.success
    snapshots = sorted(p.name for p in (tmp_path / "warehouse.publish" / "snapshots").iterdir())
    assert len(published) == 2 and len(snapshots) == 2  # one run, two publishes
    assert all(s.endswith(result.run_id[:8]) for s in snapshots)
