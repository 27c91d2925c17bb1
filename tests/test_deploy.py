"""The deployment files (README "Running at scale"), checked without a cluster or a Docker daemon.

``deploy/dagster.yaml`` against Dagster's own schemas (the instance, dagster-k8s's run launcher,
dagster-postgres's storage, the queued run coordinator); the commands the image and the Helm
values start really serve the code location here (its gRPC server lists ``code_location``).
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO_ROOT

DEPLOY = REPO_ROOT / "deploy"
DAGSTER = Path(sys.executable).with_name("dagster")


def _instance_config() -> dict:
    from dagster._core.instance.config import dagster_instance_config

    return dict(dagster_instance_config(str(DEPLOY), "dagster.yaml")[0])


def _processed(schema, value) -> list[str]:
    from dagster._config import process_config

    result = process_config(schema, value)
    return [] if result.success else [e.message for e in result.errors]


def test_instance_config_validates_against_dagsters_schemas(monkeypatch):
    from dagster._core.run_coordinator import QueuedRunCoordinator
    from dagster_k8s.launcher import K8sRunLauncher
    from dagster_postgres import DagsterPostgresStorage

    for name in ("DAGSTER_PG_HOST", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD"):
        monkeypatch.setenv(name, "x")
    config = _instance_config()
    launcher, coordinator = config["run_launcher"], config["run_coordinator"]
    assert (launcher["module"], launcher["class"]) == ("dagster_k8s.launcher", "K8sRunLauncher")
    assert not _processed(K8sRunLauncher.config_type(), launcher["config"])
    assert not _processed(DagsterPostgresStorage.config_type(), config["storage"]["postgres"])
    assert not _processed(QueuedRunCoordinator.config_type(), coordinator["config"])
    assert coordinator["config"]["max_concurrent_runs"] == 1  # one writer per warehouse
    # the run pod holds every step (in process): sized like a heavy step of the step executors
    from assets.execution import HEAVY_K8S_CONFIG

    run_pod = launcher["config"]["run_k8s_config"]["container_config"]["resources"]
    heavy = HEAVY_K8S_CONFIG["container_config"]["resources"]
    assert run_pod["requests"]["memory"] == heavy["requests"]["memory"] and run_pod["limits"] == heavy["limits"]
    wrong = {**launcher["config"], "run_k8s_config": {"container_confg": {}}}  # the check can fail
    assert "container_confg" in _processed(K8sRunLauncher.config_type(), wrong)[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serves(command: list[str], port: int, env: dict[str, str]) -> str:
    """Start ``command`` (a code server on ``port``) and say what it serves: the code location's
    attributes once it answers, else its load error or how it exited."""
    from dagster._grpc.client import DagsterGrpcClient
    from dagster._serdes import deserialize_value

    server = subprocess.Popen(command, env=env, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True)
    client = DagsterGrpcClient(port=port, host="127.0.0.1")
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and server.poll() is None:
            try:
                answer = deserialize_value(client.list_repositories())
            except Exception:  # not listening yet (DagsterUserCodeUnreachableError)
                time.sleep(1)
                continue
            symbols = getattr(answer, "repository_symbols", None)
            return f"serves {sorted(s.attribute for s in symbols)}" if symbols else f"load error: {answer}"
        return f"not serving (exit {server.poll()})"
    finally:
        server.terminate()
        server.wait(timeout=30)


def _dockerfile_cmd() -> list[str]:
    [line] = [ln for ln in (REPO_ROOT / "Dockerfile").read_text().splitlines() if ln.startswith("CMD ")]
    return json.loads(line[4:])


@pytest.mark.slow
def test_the_image_command_and_the_helm_grpc_args_serve_the_code_location(tmp_path):
    """The Dockerfile's CMD and Helm's ``dagster api grpc`` arguments, run here on a free port,
    load ``assets.definitions:code_location`` under the container settings (deploy/settings.env,
    paths moved into a temporary directory) and serve it over gRPC."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRADE_", "DAGSTER_"))}
    for line in (DEPLOY / "settings.env").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value.replace("/data", str(tmp_path)).replace("/opt/trade", str(REPO_ROOT))
    env.update(COMTRADE_API_KEY="", DAGSTER_HOME=str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    (tmp_path / "bulk").mkdir()
    cmd = _dockerfile_cmd()
    assert cmd[:3] == ["dagster", "code-server", "start"] and cmd[cmd.index("-h") + 1] == "0.0.0.0"
    port = _free_port()
    cmd[cmd.index("-h") + 1], cmd[cmd.index("-p") + 1] = "127.0.0.1", str(port)
    assert _serves([str(DAGSTER), *cmd[1:]], port, env) == "serves ['code_location']"
    [deployment] = yaml.safe_load((DEPLOY / "helm-values.yaml").read_text())["dagster-user-deployments"]["deployments"]
    port = _free_port()
    grpc = [str(DAGSTER), "api", "grpc", *deployment["dagsterApiGrpcArgs"], "-h", "127.0.0.1", "-p", str(port)]
    assert _serves(grpc, port, env) == "serves ['code_location']"
    broken = [*grpc[:-1], str(port := _free_port())]  # a code location that cannot load does not serve
    broken[broken.index("code_location")] = "no_such_attribute"
    assert not _serves(broken, port, env).startswith("serves")
