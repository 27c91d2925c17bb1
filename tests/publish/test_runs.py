"""Issue 14, parts 2 and 3 through Dagster runs on the real panel and WDI extract: a failed run
publishes nothing (not even the tables that passed), a run killed while it publishes is marked
failed by the next run, which clears what it left, and a second run is refused while the first
writes, naming it."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dagster as dg
import pytest

from assets.io_manager import mark_killed_run_failed
from assets.run import failure_lines
from pipeline.warehouse import Warehouse, lock, read_catalog
from tests.conftest import REPO_ROOT
from tests.env import digests
from tests.publish.probes import (BILATERAL, MACRO, ONLY_PENPPML, PENPPML, WDI, WDI_FILE, bulk_dir, csv_lines,
                                  materialize, publish_good, settings, step_failure)

BOTH = BILATERAL + MACRO
# Materialize bilateral and macro in a Dagster instance of its own (argv: settings JSON,
# DAGSTER_HOME); with `hold` the commit first waits for a file `release` in DAGSTER_HOME (a slow
# publish), with `die` the process SIGKILLs itself when the commit starts (every table staged),
# with `switched` when the commit has returned (the root links to its snapshot; the lock not given back).
RUNNER = textwrap.dedent('''
    import json, os, signal, sys, time
    import dagster as dg
    from pipeline.warehouse import publish
    from tests.publish.probes import BILATERAL, MACRO, materialize

    env, home, mode = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
    real = publish.Warehouse.commit

    def commit(self, run_id):
        print("committing", run_id, flush=True)
        if mode == "die":
            os.kill(os.getpid(), signal.SIGKILL)
        while mode == "hold" and not os.path.exists(os.path.join(home, "release")) and time.monotonic() - start < 120:
            time.sleep(0.2)
        done = real(self, run_id)
        if mode == "switched":
            os.kill(os.getpid(), signal.SIGKILL)
        return done

    publish.Warehouse.commit = commit
    start = time.monotonic()
    with dg.DagsterInstance.from_config(home) as instance:
        result = materialize(BILATERAL + MACRO, env, instance=instance)
    print("success" if result.success else "failure", flush=True)
''')


@pytest.fixture(scope="module")
def good(tmp_path_factory, shared_datasets):
    """bilateral (penppml panel) and macro (WDI) published by one good run."""
    tmp = tmp_path_factory.mktemp("good")
    bulk = bulk_dir(tmp, shared_datasets, [PENPPML, WDI])
    warehouse, _ = publish_good(tmp, shared_datasets, [], BOTH, TRADE_BULK_DIR=str(bulk),
                                TRADE_DISABLED_DATASETS=ONLY_PENPPML)
    return warehouse, bulk


def _copy(warehouse: Path, tmp: Path) -> Path:
    import shutil

    target = tmp / "warehouse"
    shutil.copytree(warehouse, target, symlinks=True)
    return target


def _home(tmp: Path) -> Path:
    home = tmp / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return home


def _raw_digests(warehouse: Path) -> dict[str, str]:
    import hashlib
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((warehouse / "_raw").glob("*.json"))}


def test_a_run_of_raw_assets_only_publishes_their_provenance(tmp_path, good):
    """Raw provenance is staged with the run and published by its last IO manager to tear down,
    also when the run holds no table (the Parquet IO manager is not in it)."""
    warehouse = _copy(good[0], tmp_path)
    (warehouse / "_raw" / "raw_files__macro_indicators.json").unlink()
    result = materialize(["raw_files__macro_indicators"], settings(good[1], warehouse,
                                                                   TRADE_DISABLED_DATASETS=ONLY_PENPPML))
    assert result.success, step_failure(result)
    listing = json.loads((warehouse / "_raw" / "raw_files__macro_indicators.json").read_text())
    assert listing and "wdi_extract_long" in json.dumps(listing)
    assert not list(Warehouse(warehouse).staging.iterdir())


def test_a_failed_run_publishes_none_of_its_tables(tmp_path, shared_datasets, good):
    """The issue's probe: bilateral changes (ten rows fewer, within tolerance, passes its check)
    while macro fails (a GDP of 1e300). Bilateral used to be republished; now nothing is."""
    warehouse = _copy(good[0], tmp_path)
    before, catalog, raw_before = digests(warehouse), read_catalog(warehouse), _raw_digests(warehouse)
    wdi = csv_lines(shared_datasets, WDI_FILE)
    wdi[1] = ",".join(wdi[1].split(",")[:-1] + ["1e300"]) + "\n"
    penppml = csv_lines(shared_datasets, f"{PENPPML}/penppml_trade.csv.gz")[:-10]
    bulk = bulk_dir(tmp_path, shared_datasets, files={f"{PENPPML}/penppml_trade.csv": "".join(penppml),
                                                      f"{WDI}/wdi_extract_long.csv": "".join(wdi)})
    result = materialize(BOTH, settings(bulk, warehouse, TRADE_DISABLED_DATASETS=ONLY_PENPPML))
    assert not result.success and "macro_indicators" in step_failure(result)
    checks = {e.asset_key.to_user_string(): e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {"core__bilateral_goods_trade": True, "core__macro_indicators": False}
    assert digests(warehouse) == before and read_catalog(warehouse) == catalog
    # The raw provenance too (review of issue 14: a failed run rewrote _raw/*.json, naming the refused files).
    assert _raw_digests(warehouse) == raw_before and raw_before
    assert not list(Warehouse(warehouse).staging.glob("*"))


def test_a_run_killed_while_publishing_is_marked_failed_by_the_next(tmp_path, good):
    warehouse = _copy(good[0], tmp_path)
    before = digests(warehouse)
    home = _home(tmp_path)
    env = settings(good[1], warehouse, TRADE_DISABLED_DATASETS=ONLY_PENPPML, TRADE_COVERAGE_TOLERANCE="0.01")
    killed = subprocess.run([sys.executable, "-c", RUNNER, json.dumps(env), str(home), "die"], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=600)
    assert killed.returncode == -9 and "committing" in killed.stdout, killed.stderr[-2000:]
    killed_run = killed.stdout.split()[1]
    assert digests(warehouse) == before
    assert list(Warehouse(warehouse).staging.iterdir())  # staged, never published
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.get_run_by_id(killed_run).status == dg.DagsterRunStatus.STARTED  # forever, before
        result = materialize(BOTH, env, instance=instance)
        assert result.success, step_failure(result)
        record = instance.get_run_by_id(killed_run)
        assert record.status == dg.DagsterRunStatus.FAILURE
        [failure] = [e for e in instance.all_logs(killed_run) if e.dagster_event
                     and e.dagster_event.event_type_value == "PIPELINE_FAILURE"]
        assert f"marked failed by run {result.run_id}" in failure.dagster_event.message
    assert not list(Warehouse(warehouse).staging.iterdir())
    assert digests(warehouse) == before  # the same data published again: the same bytes
    assert read_catalog(warehouse)["run_id"] == result.run_id


def test_a_run_killed_after_its_switch_is_reported_published(tmp_path, good):
    """Killed once its commit returned (the root links to its snapshot), before it gave the
    warehouse back: the next run says its tables were published, and so does the failure the
    instance records for it (not "nothing it staged was published")."""
    warehouse = _copy(good[0], tmp_path)
    home = _home(tmp_path)
    env = settings(good[1], warehouse, TRADE_DISABLED_DATASETS=ONLY_PENPPML)
    killed = subprocess.run([sys.executable, "-c", RUNNER, json.dumps(env), str(home), "switched"], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=600)
    assert killed.returncode == -9 and "committing" in killed.stdout, killed.stderr[-2000:]
    killed_run = killed.stdout.split()[1]
    assert read_catalog(warehouse)["run_id"] == killed_run  # what readers see is the killed run's
    with dg.DagsterInstance.from_config(str(home)) as instance:
        result = materialize(BOTH, env, instance=instance)
        assert result.success, step_failure(result)
        said = [e.user_message for e in instance.all_logs(result.run_id) if "stopped while it held" in e.user_message]
        [failure] = instance.all_logs(killed_run, of_type=dg.DagsterEventType.RUN_FAILURE)
        tags = instance.get_run_by_id(killed_run).tags
    assert len(said) == 1
    for text in (said[0], failure.dagster_event.message):
        assert f"its tables were published: the link {warehouse} named its snapshot" in text, text
        assert "nothing it staged was published" not in text
    assert tags["trade/published_snapshot"].endswith(killed_run[:8])


def test_a_second_run_is_refused_while_the_first_writes(tmp_path, good):
    """Run A holds the warehouse (its commit waits); run B fails at once naming A and removes
    nothing of A's; A then publishes."""
    warehouse = _copy(good[0], tmp_path)
    home = _home(tmp_path)
    env = settings(good[1], warehouse, TRADE_DISABLED_DATASETS=ONLY_PENPPML)
    first = subprocess.Popen([sys.executable, "-c", RUNNER, json.dumps(env), str(home), "hold"], cwd=REPO_ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = first.stdout.readline()
        assert line.startswith("committing"), line
        run_a = line.split()[1]
        staged = sorted(p.relative_to(Warehouse(warehouse).staging) for p in Warehouse(warehouse).staging.rglob("*"))
        assert staged
        started = time.monotonic()
        second = materialize(BOTH, env)
        assert time.monotonic() - started < 60  # refused at once, not queued behind A
        [message] = failure_lines(second.all_events)  # what `make run` prints
        assert not second.success and f"being written by run {run_a} (pid {first.pid}" in message
        assert sorted(p.relative_to(Warehouse(warehouse).staging) for p in Warehouse(warehouse).staging.rglob("*")) == staged
        (home / "release").touch()
        assert first.stdout.readline().strip() == "success"
    finally:
        first.kill()
        first.wait()
    assert read_catalog(warehouse)["run_id"] == run_a and lock.holder(warehouse)["state"] == "finished"


def test_a_run_whose_publish_fails_is_a_failed_run(tmp_path, good):
    """Review of issue 14 (D1): every step passes but the switch cannot be made (here the
    store's ``snapshots`` is a file, as a full disk or a permission would stop the rename).
    Dagster marks a run SUCCESS when a resource's teardown raises an ordinary error; the run is
    now FAILURE, in the instance and for ``dg.materialize``, naming the cause, with nothing
    published and its staging removed."""
    warehouse = tmp_path / "warehouse"
    store = Warehouse(warehouse).meta
    store.mkdir()
    (store / "snapshots").write_text("in the way\n")
    instance = dg.DagsterInstance.ephemeral()
    result = materialize(MACRO, settings(good[1], warehouse, TRADE_DISABLED_DATASETS=ONLY_PENPPML),
                         instance=instance)
    assert not result.success
    assert instance.get_run_by_id(result.run_id).status == dg.DagsterRunStatus.FAILURE
    failure = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)[0]
    message = failure.dagster_event.event_specific_data.error.message
    assert "publishing its tables" in message and "FileExistsError" in message and "nothing of this run" in message
    assert [line for line in failure_lines(result.all_events) if "publishing its tables" in line]  # `make run` says it
    assert Warehouse(warehouse).current() is None and not list(Warehouse(warehouse).staging.glob("*"))
    assert [p.name for p in warehouse.rglob("*")] == [".publish", "lock"]  # only the older layout's lock


KILLED_WHILE_STAGING = textwrap.dedent('''
    import os, signal, sys
    from pipeline.warehouse import Warehouse, lock
    root, run_id = sys.argv[1:]
    lock.acquire(root, run_id)
    Warehouse(root).stage_raw(run_id, "x", "{}")
    os.kill(os.getpid(), signal.SIGKILL)  # killed before its commit: nothing of it published
''')


def test_a_killed_run_is_not_taken_for_an_earlier_one_sharing_its_first_8_characters(tmp_path):
    """Review of issue 18 (D2): ``make brief`` run ids are ``brief-{pid}-{uuid8}``
    (pipeline/briefs/publish.py), so their first 8 characters, all a local snapshot id keeps,
    are ``brief-12`` for pids 12001 and 12345. A brief killed while staging, after an earlier
    one of pid 12001 published, is reported as publishing nothing (the catalog's full run id)."""
    root = tmp_path / "warehouse"
    earlier, killed = "brief-12001-aaaaaaaa", "brief-12345-bbbbbbbb"
    lock.acquire(root, earlier)
    Warehouse(root).stage_raw(earlier, "x", "{}")
    assert Warehouse(root).commit(earlier).endswith("-brief-12")
    lock.release(root, earlier)
    proc = subprocess.run([sys.executable, "-c", KILLED_WHILE_STAGING, str(root), killed], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr[-2000:]
    assert Warehouse(root).published_by(earlier) and not Warehouse(root).published_by(killed)
    with dg.instance_for_test() as instance:
        [record] = lock.acquire(root, "next-run")
        try:
            said = mark_killed_run_failed(instance, record, "next-run", str(root))
        finally:
            lock.release(root, "next-run")
    assert record["run_id"] == killed
    assert "nothing it staged was published" in said and "its tables were published" not in said, said
