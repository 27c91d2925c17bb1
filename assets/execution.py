"""Where a run's steps execute (``TRADE_EXECUTOR``): Dagster's maintained executors, chosen by setting.

``in_process`` runs every step in the run's own process (what ``make run`` does);
``multiprocess`` (:func:`dagster.multiprocess_executor`), ``docker`` (``dagster_docker.docker_executor``)
and ``k8s`` (``dagster_k8s.k8s_job_executor``) run each step in a process, container or pod of its own,
at most ``TRADE_MAX_CONCURRENT`` at a time and never two memory-heavy steps together: the steps
tagged ``trade/memory: heavy`` (:data:`HEAVY_STEPS`) share one slot of ``tag_concurrency_limits``;
on Kubernetes they also ask for a larger pod through the ``dagster-k8s/config`` tag.

Only ``in_process`` publishes correctly today: see :data:`OUT_OF_PROCESS_REFUSAL`.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import dagster as dg

EXECUTORS = ("in_process", "multiprocess", "docker", "k8s")
RUN_LEVEL_PUBLISH = {"in_process"}  # executors under which the warehouse publishes a run once, at its end

MEMORY_TAG = "trade/memory"
# The steps that hold a large table in pandas: the MRIO tables (ICIO is 3,465 x 3,465 a year), the
# bilateral trade tables (BACI ~10 million rows a year) and the value chains solved from the MRIO.
HEAVY_STEPS = {"core__input_output", "core__bilateral_product_trade", "core__bilateral_goods_trade", "value_chains"}
HEAVY_LIMITS = [{"key": MEMORY_TAG, "value": "heavy", "limit": 1}]
# A heavy pod's requests on Kubernetes: a 30M-row BACI group-by in pandas is 5.5 GB resident (GUIDE §6),
# so 8 GiB requested with room to 16 GiB; every other step takes the executor's small default.
HEAVY_K8S_CONFIG = {"container_config": {"resources": {"requests": {"cpu": "1", "memory": "8Gi"},
                                                       "limits": {"memory": "16Gi"}}}}
LIGHT_K8S_CONFIG = {"container_config": {"resources": {"requests": {"cpu": "250m", "memory": "1Gi"},
                                                       "limits": {"memory": "4Gi"}}}}

OUT_OF_PROCESS_REFUSAL = (
    "TRADE_EXECUTOR={name} is refused until the warehouse publishes once per run: a run's tables are staged "
    "and published together when the last warehouse IO manager of the run's process tears down "
    "(assets/io_manager.py), and under {name} every step is a process of its own that takes the warehouse "
    "lock for itself, so steps running together refuse each other (\"being written by run\" naming their own "
    "run) and steps running one after another each publish a snapshot of their own tables, a partial warehouse "
    "even when a later step fails. Use TRADE_EXECUTOR=in_process (the default); nothing was run")


def step_tags(name: str) -> dict[str, Any]:
    """The op tags of step ``name``: heavy steps share the executors' one heavy slot and ask
    Kubernetes for a large pod; others have none."""
    if name not in HEAVY_STEPS:
        return {}
    return {MEMORY_TAG: "heavy", "dagster-k8s/config": HEAVY_K8S_CONFIG}


def parse_executor(value: str) -> str:
    """The executor named by ``TRADE_EXECUTOR`` (empty = ``in_process``), or ValueError naming the choices."""
    name = (value or "in_process").strip().lower()
    if name not in EXECUTORS:
        raise ValueError(f"TRADE_EXECUTOR={value!r} is no executor: use one of {', '.join(EXECUTORS)}")
    return name


def parse_max_concurrent(value: str) -> int | None:
    """``TRADE_MAX_CONCURRENT``: steps running at once (empty = the executor's default)."""
    if not (value or "").strip():
        return None
    if not value.strip().isdigit() or int(value) < 1:
        raise ValueError(f"TRADE_MAX_CONCURRENT={value!r} is not a whole number of steps of 1 or more "
                         "(or empty for the executor's default)")
    return int(value)


def executor_problems(settings: Mapping[str, str]) -> list[str]:
    """Why the executor settings cannot run the refresh, one line each (none: they can)."""
    problems = []
    try:
        name = parse_executor(settings.get("TRADE_EXECUTOR", ""))
    except ValueError as exc:
        problems.append(str(exc))
    else:
        if name not in RUN_LEVEL_PUBLISH:
            problems.append(OUT_OF_PROCESS_REFUSAL.format(name=name))
    try:
        parse_max_concurrent(settings.get("TRADE_MAX_CONCURRENT", ""))
    except ValueError as exc:
        problems.append(str(exc))
    return problems


def executor_def(name: str) -> dg.ExecutorDefinition:
    """Dagster's executor called ``name`` (the container executors imported only when chosen)."""
    import dagster as dg  # not at import: the settings are checked before Dagster loads (assets.preflight)

    if name == "docker":
        from dagster_docker import docker_executor

        return docker_executor
    if name == "k8s":
        from dagster_k8s import k8s_job_executor

        return k8s_job_executor
    return dg.multiprocess_executor if name == "multiprocess" else dg.in_process_executor


def execution_config(name: str, settings: Mapping[str, str], forwarded: list[str]) -> dict[str, Any]:
    """The run config's ``execution.config`` for executor ``name``: the concurrency cap, one heavy
    step at a time, and for containers the settings ``forwarded`` to each step (their values from
    the run worker's environment), on Kubernetes a small pod for every step but the heavy ones."""
    if name == "in_process":
        return {}
    config: dict[str, Any] = {"tag_concurrency_limits": HEAVY_LIMITS}
    if (cap := parse_max_concurrent(settings.get("TRADE_MAX_CONCURRENT", ""))) is not None:
        config["max_concurrent"] = cap
    if name in ("docker", "k8s"):
        config["env_vars"] = list(forwarded)
    if name == "k8s":
        config["step_k8s_config"] = LIGHT_K8S_CONFIG
    return config
