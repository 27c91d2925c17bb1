"""The warehouse on object storage (issue 18 item 2), against a real S3 API: moto's server on
127.0.0.1 (:mod:`tests.s3_server`), nothing patched in-process. The real graph publishes the
macro indicators from the shared WDI extract into a bucket; pandas, pyarrow and DuckDB read them
back with nothing but their own S3 access (s3fs); a run SIGKILLed while it stages or commits
leaves no visible partial object and the next run succeeds; a second writer is refused naming
the first; bad settings fail at preflight naming the setting.

DuckDB reads through ``con.register_filesystem(s3fs)``: its ``httpfs`` extension is not bundled
in the wheel and would be downloaded at first use, which fails offline (GUIDE §6).
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pyarrow.dataset as ds
import pytest
import s3fs

from assets.run import failure_lines
from pipeline.warehouse import lock, read_table
from pipeline.warehouse.parquet import partition_reader
from tests.env import environment
from tests.publish.probes import MACRO, WDI, WDI_FILE, bulk_dir, csv_lines, materialize, settings, step_failure
from tests.s3_server import SECRET, S3Server, free_port, s3_server

REPO = Path(__file__).resolve().parents[2]
GDP = "NY.GDP.MKTP.CD"


@pytest.fixture(scope="module")
def s3() -> S3Server:
    with s3_server() as server:
        yield server


def plain_fs(s3: S3Server) -> s3fs.S3FileSystem:
    """What a plain reader holds: s3fs with the same keys (no project code)."""
    return s3fs.S3FileSystem(key="moto-test-key", secret=SECRET, endpoint_url=s3.endpoint,
                             client_kwargs={"region_name": "us-east-1"}, skip_instance_cache=True,
                             use_listings_cache=False)


def run_env(s3: S3Server, bulk: Path, url: str, **extra: str) -> dict[str, str]:
    return {**settings(bulk, Path("unused")), **s3.env(), "TRADE_WAREHOUSE_DIR": url, **extra}


def source_gdp(shared: Path, iso3: str, year: int) -> float:
    """GDP in current USD as the World Bank's file says it, read with the csv module."""
    with gzip.open(shared / WDI_FILE, "rt") as handle:
        for row in csv.DictReader(handle):
            if row["indicator"] == GDP and row["country_code"] == iso3 and row["year"] == str(year):
                return float(row["value"])
    raise AssertionError(f"no {GDP} for {iso3} {year} in {WDI_FILE}")


def edited_wdi(shared: Path, factor: float) -> bytes:
    """The WDI extract with every GDP of 2000 multiplied by ``factor`` (a changed table)."""
    lines = csv_lines(shared, WDI_FILE)
    out = [lines[0]]
    for line in lines[1:]:
        parts = line.rstrip("\n").split(",")
        if parts[0] == GDP and parts[-2] == "2000" and parts[-1]:
            parts[-1] = repr(float(parts[-1]) * factor)
        out.append(",".join(parts) + "\n")
    return gzip.compress("".join(out).encode())


def visible_state(fs: s3fs.S3FileSystem, bucket: str) -> dict[str, str]:
    """Every object a reader of ``s3://bucket/wh`` can reach: ``CURRENT`` and the snapshot it
    names, each with the sha256 of its bytes."""
    target = fs.cat_file(f"{bucket}/wh/CURRENT").decode().strip()
    keys = [f"{bucket}/wh/CURRENT", *fs.find(target.split("://", 1)[1])]
    return {key: hashlib.sha256(fs.cat_file(key)).hexdigest() for key in keys}


@pytest.fixture(scope="module")
def published(s3, shared_datasets, tmp_path_factory):
    """The macro indicators published by the real graph into a new bucket, and into a local
    directory by the same selection (the reference the S3 copy must equal)."""
    tmp = tmp_path_factory.mktemp("s3_macro")
    bulk = bulk_dir(tmp, shared_datasets, [WDI])
    bucket = s3.new_bucket()
    url = f"s3://{bucket}/wh"
    result = materialize(MACRO, run_env(s3, bulk, url))
    assert result.success, step_failure(result)
    local = tmp / "local"
    reference = materialize(MACRO, {**settings(bulk, local)})
    assert reference.success, step_failure(reference)
    return {"bucket": bucket, "url": url, "local": local, "bulk": bulk, "result": result}


def test_plain_readers_read_the_current_snapshot(published, s3, shared_datasets):
    """pandas, pyarrow and DuckDB, given only s3fs, read the table under the snapshot that
    ``CURRENT`` names: the same rows as the local publish, and India's GDP of 2019 as the World
    Bank's file gives it."""
    fs = plain_fs(s3)
    snapshot = fs.cat_file(f"{published['bucket']}/wh/CURRENT").decode().strip()
    assert snapshot.startswith(f"s3://{published['bucket']}/wh.publish/snapshots/")
    table = f"{snapshot}/macro_indicators"
    expected = read_table(published["local"], "macro_indicators")
    gdp = source_gdp(shared_datasets, "IND", 2019)

    frame = pd.read_parquet(table, storage_options={"key": "moto-test-key", "secret": SECRET,
                                                    "endpoint_url": s3.endpoint})
    assert len(frame) == len(expected) == json.loads(fs.cat_file(f"{snapshot[5:]}/catalog.json"))[
        "tables"]["macro_indicators"]["row_count"]
    pick = frame[(frame.iso3 == "IND") & (frame.indicator_code == GDP) & (frame.year.astype(int) == 2019)]
    assert pick["value"].tolist() == [gdp]

    arrow = ds.dataset(table.split("://", 1)[1], filesystem=fs, partitioning="hive").to_table()
    assert arrow.num_rows == len(expected)
    assert arrow.filter((ds.field("iso3") == "IND") & (ds.field("indicator_code") == GDP)
                        & (ds.field("year") == 2019)).column("value").to_pylist() == [gdp]

    con = duckdb.connect()
    con.register_filesystem(fs)
    rows, total = con.execute(f"SELECT count(*), sum(value) FROM read_parquet('{table}/**/*.parquet', "
                              "hive_partitioning = true)").fetchall()[0]
    assert rows == len(expected) and total == pytest.approx(expected["value"].sum(), rel=1e-12)
    assert con.execute(f"SELECT value FROM read_parquet('{table}/**/*.parquet', hive_partitioning = true) "
                       f"WHERE iso3 = 'IND' AND indicator_code = '{GDP}' AND year = 2019").fetchall() == [(gdp,)]


def test_materialization_path_is_the_published_snapshot(published, s3):
    """The ``path`` a user clicks in the UI (the macro table's materialization) is the table in the
    snapshot CURRENT names, an existing prefix whose rows are the catalog's, not the root prefix
    ``s3://bucket/wh/macro_indicators``, where nothing is; the note says how to read CURRENT."""
    [meta] = [e.event_specific_data.materialization.metadata for e in published["result"].all_events
              if e.event_type_value == "ASSET_MATERIALIZATION"
              and e.event_specific_data.materialization.asset_key == dg.AssetKey("core__macro_indicators")]
    fs = plain_fs(s3)
    snapshot = f"s3://{published['bucket']}/wh.publish/snapshots/{published['result'].run_id}"  # CURRENT named it
    path = meta["path"].value
    assert path == f"{snapshot}/macro_indicators"
    assert fs.isdir(path) and not fs.exists(f"{published['bucket']}/wh/macro_indicators")
    rows = ds.dataset(path.split("://", 1)[1], filesystem=fs, partitioning="hive").count_rows()
    assert rows == json.loads(fs.cat_file(f"{snapshot[5:]}/catalog.json"))["tables"]["macro_indicators"]["row_count"]
    assert f"read {published['url']}/CURRENT" in meta["read_current"].value


def test_project_reader_and_briefs_work_on_s3(published, s3):
    """The project's own reader resolves CURRENT (read_table equals the local publish), and
    ``make brief`` (publish_briefs) publishes a brief in a new snapshot that carries the tables
    unchanged (server-side copies: the same bytes)."""
    from pipeline.briefs.publish import publish_briefs

    with environment(**s3.env()):
        frame = read_table(published["url"], "macro_indicators").sort_values(["iso3", "indicator_code", "year"])
        expected = read_table(published["local"], "macro_indicators").sort_values(["iso3", "indicator_code", "year"])
        pd.testing.assert_frame_equal(frame.reset_index(drop=True), expected.reset_index(drop=True))
        fs = plain_fs(s3)
        before = {k.split("/snapshots/", 1)[1].split("/", 1)[1]: v
                  for k, v in visible_state(fs, published["bucket"]).items() if "macro_indicators/" in k}
        briefs = publish_briefs(published["url"], ["IND"])
    assert list(briefs) == ["IND"]
    with environment(**s3.env()):  # a by-partition input (the RCA's DuckDB scan): s3:// files, read by DuckDB
        reader = partition_reader(published["url"], "macro_indicators")
        files = reader.files(2019)
        con = duckdb.connect()
        reader.attach(con)
        literal = ", ".join(f"'{f}'" for f in files)
        [(rows,)] = con.execute(f"SELECT count(*) FROM read_parquet([{literal}])").fetchall()
    assert files and all(f.startswith(f"s3://{published['bucket']}/wh.publish/snapshots/") for f in files)
    assert rows == int((expected["year"] == 2019).sum()) > 0
    after = visible_state(fs, published["bucket"])
    snapshot = fs.cat_file(f"{published['bucket']}/wh/CURRENT").decode().strip()
    assert any(k.endswith("/briefs/IND.html") for k in after) and "/snapshots/brief-" in snapshot
    assert {k.split("/snapshots/", 1)[1].split("/", 1)[1]: v for k, v in after.items()
            if "macro_indicators/" in k} == before


def test_secret_is_never_logged(published, s3):
    """The secret key appears in no event of the run, no catalog, no raw record and no Parquet file."""
    assert SECRET not in "\n".join(str(e) for e in published["result"].all_events)
    fs = plain_fs(s3)
    keys = [k for k in fs.find(published["bucket"]) if k.endswith((".json", ".parquet"))]
    assert any(k.endswith("catalog.json") for k in keys) and any(k.endswith(".parquet") for k in keys)
    for key in keys:
        assert SECRET.encode() not in fs.cat_file(key), key


# A run of the macro selection in a Dagster instance of its own (argv: settings JSON,
# DAGSTER_HOME, kill point). `switch`: SIGKILL itself just before the PUT of CURRENT (every
# object of the snapshot written, catalog too); `switched`: just after it (before the old
# snapshots are removed and the lock given back); `copies`: after the carried objects were
# copied, before the catalog; `none`: run on (the parent SIGKILLs it while it stages).
RUNNER = textwrap.dedent('''
    import json, os, signal, sys
    import dagster as dg
    from pipeline.warehouse import object_publish
    from tests.publish.probes import MACRO, materialize

    env, home, point = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]

    def dies(name):
        real = getattr(object_publish.ObjectWarehouse, name)
        def wrapped(self, *args, **kwargs):
            print("dying at", name, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        setattr(object_publish.ObjectWarehouse, name, wrapped)

    if point == "switch":
        dies("_switch")
    elif point == "switched":
        dies("_collect")
    elif point == "copies":
        dies("_write_catalog")
    with dg.DagsterInstance.from_config(home) as instance:
        result = materialize(MACRO, env, instance=instance)
    print("success" if result.success else "failure", flush=True)
''')


def _dagster_home(tmp: Path) -> Path:
    home = tmp / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return home


@pytest.mark.slow
def _published_then_edited(s3, shared_datasets, tmp_path, factor: float):
    """The real macro table published into a new bucket, and a bulk folder whose WDI file has
    every GDP of 2000 times ``factor``: (bucket, url, fs, the first run, its visible state, the
    edited folder)."""
    bucket = s3.new_bucket()
    url = f"s3://{bucket}/wh"
    for folder in ("good", "edited"):
        (tmp_path / folder).mkdir()
    first = materialize(MACRO, run_env(s3, bulk_dir(tmp_path / "good", shared_datasets, [WDI]), url))
    assert first.success, step_failure(first)
    fs = plain_fs(s3)
    edited = bulk_dir(tmp_path / "edited", shared_datasets, files={
        WDI_FILE: edited_wdi(shared_datasets, factor),
        f"{WDI}/indicators.csv": (shared_datasets / WDI / "indicators.csv").read_bytes()})
    return bucket, url, fs, first, visible_state(fs, bucket), edited


def _killed_run(env: dict[str, str], home: Path, point: str) -> str:
    """Run the macro selection in a process of its own that SIGKILLs itself at ``point`` (RUNNER)."""
    child = subprocess.run([sys.executable, "-c", RUNNER, json.dumps(env), str(home), point], cwd=REPO,
                           capture_output=True, text=True, timeout=300, env={**os.environ, **env, "PYTHONPATH": str(REPO)})
    assert child.returncode == -signal.SIGKILL and "dying at" in child.stdout, child.stdout[-3000:] + child.stderr[-3000:]
    return child.stdout


@pytest.mark.parametrize("point", ["staging", "copies", "switch"])
def test_killed_run_leaves_no_visible_partial_object(point, s3, shared_datasets, tmp_path):
    """A run changing the macro table (GDP of 2000 x 1.5) SIGKILLed while it stages its files
    (killed from outside at its first staged object), after copying the carried objects, or just
    before the switch: CURRENT and every object it reaches are byte-identical, readers get the
    old GDP; the lock still names the killed process; the next run takes the lock over (the
    killed run is marked failed in its instance), removes the leftovers and publishes."""
    bucket, url, fs, first, before, changed = _published_then_edited(s3, shared_datasets, tmp_path, 1.5)
    home = _dagster_home(tmp_path)
    env = run_env(s3, changed, url)
    child = subprocess.Popen([sys.executable, "-c", RUNNER, json.dumps(env), str(home),
                              "none" if point == "staging" else point],
                             cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             env={**os.environ, **env, "PYTHONPATH": str(REPO)})
    try:
        if point == "staging":
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and child.poll() is None:
                staged = [k for k in fs.find(f"{bucket}/wh.publish/snapshots/")
                          if f"/snapshots/{first.run_id}/" not in k and "/macro_indicators/" in k]
                if staged:
                    os.kill(child.pid, signal.SIGKILL)
                    break
                time.sleep(0.05)
        out, _ = child.communicate(timeout=180)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL, out[-3000:]
    assert visible_state(fs, bucket) == before
    leftovers = [p.rsplit("/", 1)[-1] for p in fs.ls(f"{bucket}/wh.publish/snapshots/")]
    assert sorted(leftovers) != [first.run_id], "the killed run staged nothing: it was not killed while publishing"
    assert json.loads(fs.cat_file(f"{bucket}/wh.publish/lock"))["pid"] == child.pid
    with environment(**s3.env()):
        gdp_2000 = read_table(url, "macro_indicators").query("iso3 == 'IND' and indicator_code == @GDP and year == 2000")
    old = source_gdp(shared_datasets, "IND", 2000)
    assert gdp_2000["value"].tolist() == [old]

    with dg.DagsterInstance.from_config(str(home)) as instance:
        again = materialize(MACRO, env, instance=instance)
        assert again.success, step_failure(again)
        killed = [r for r in instance.get_runs() if r.run_id != again.run_id]
        assert [r.status for r in killed] == [dg.DagsterRunStatus.FAILURE]
    assert not fs.exists(f"{bucket}/wh.publish/lock")
    snapshots = [p.rsplit("/", 1)[-1] for p in fs.ls(f"{bucket}/wh.publish/snapshots/")]
    assert sorted(snapshots) == sorted([again.run_id, first.run_id])  # the new one, and the previous kept
    with environment(**s3.env()):
        gdp_2000 = read_table(url, "macro_indicators").query("iso3 == 'IND' and indicator_code == @GDP and year == 2000")
    assert gdp_2000["value"].tolist() == [pytest.approx(old * 1.5, rel=1e-12)]


HOLDER = textwrap.dedent('''
    import sys, time
    from pipeline.warehouse import lock
    lock.acquire(sys.argv[1], "holder-run-0001")
    print("held", flush=True)
    time.sleep(120)
''')


def test_second_writer_is_refused_naming_the_first(s3, published, tmp_path):
    """While another process holds the warehouse (its lock object created by a conditional
    PUT), a run is refused naming that run and its process, and nothing is published."""
    fs = plain_fs(s3)
    before = visible_state(fs, published["bucket"])
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, published["url"]], cwd=REPO, stdout=subprocess.PIPE,
                              text=True, env={**os.environ, **s3.env(), "PYTHONPATH": str(REPO)})
    try:
        assert holder.stdout.readline().strip() == "held"
        result = materialize(MACRO, run_env(s3, published["bulk"], published["url"]))
        assert not result.success
        [message] = failure_lines(result.all_events)  # what `make run` prints
        assert "holder-run-0001" in message and f"pid {holder.pid}" in message, message
        assert "object_lock unlock" in message
        with environment(**s3.env()), pytest.raises(lock.WarehouseBusy, match="holder-run-0001"):
            lock.acquire(published["url"], "another-run")
    finally:
        holder.kill()
        holder.wait()
    assert visible_state(fs, published["bucket"]) == before
    with environment(**s3.env()):  # the holder died: its lock is stale on this host, taken over and given back
        assert [r["run_id"] for r in lock.acquire(published["url"], "after-the-holder")] == ["holder-run-0001"]
        lock.release(published["url"], "after-the-holder")
    assert not fs.exists(f"{published['bucket']}/wh.publish/lock")


def _problems(**env: str) -> list[str]:
    from assets.preflight import setting_problems

    full = {k: v for k, v in os.environ.items()}
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL",
                 "AWS_ENDPOINT_URL_S3"):
        full.pop(name, None)
    full.update(env)
    return [p for p in setting_problems(full) if "TRADE_WAREHOUSE_DIR" in p]


def test_preflight_names_the_setting(s3, published):
    """Missing credentials, an unreachable endpoint, a bucket that does not exist and an unknown
    scheme: one line each naming the setting, before any run; never the secret."""
    url = published["url"]
    good = s3.env()
    assert _problems(TRADE_WAREHOUSE_DIR=url, **good) == []
    no_secret = {k: v for k, v in good.items() if k != "AWS_SECRET_ACCESS_KEY"}
    [said] = _problems(TRADE_WAREHOUSE_DIR=url, **no_secret)
    assert "AWS_SECRET_ACCESS_KEY" in said and "AWS_ACCESS_KEY_ID and" not in said
    no_keys = {k: v for k, v in no_secret.items() if k != "AWS_ACCESS_KEY_ID"}
    [said] = _problems(TRADE_WAREHOUSE_DIR=url, **no_keys)
    assert "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set" in said
    closed = f"http://127.0.0.1:{free_port()}"
    start = time.monotonic()
    [said] = _problems(TRADE_WAREHOUSE_DIR=url, **{**good, "AWS_ENDPOINT_URL": closed})
    assert f"AWS_ENDPOINT_URL={closed}" in said and "cannot be reached" in said and time.monotonic() - start < 60
    [said] = _problems(TRADE_WAREHOUSE_DIR="s3://no-such-bucket-here/wh", **good)
    assert "bucket no-such-bucket-here does not exist" in said
    [said] = _problems(TRADE_WAREHOUSE_DIR="ftp://host/wh", **good)
    assert "scheme ftp:// is not supported" in said
    for text in _problems(TRADE_WAREHOUSE_DIR=url, **{**good, "AWS_ENDPOINT_URL": closed}):
        assert SECRET not in text


def test_stale_lock_of_another_host(s3, published, tmp_path):
    """A lock left by a run on another host (a killed pod): refused naming it while this Dagster
    instance does not know that run as ended, with the unlock command; taken over once it does
    (the run is finished in the instance); ``object_lock unlock`` removes such a lock."""
    fs = plain_fs(s3)
    home = _dagster_home(tmp_path)
    env = run_env(s3, published["bulk"], published["url"])
    lock_key = f"{published['bucket']}/wh.publish/lock"

    def plant(run_id: str) -> None:
        fs.pipe_file(lock_key, json.dumps({"run_id": run_id, "pid": 1, "host": "pod-7f9c", "state": "running",
                                           "started_at": "2026-12-01T06:00:00Z"}).encode())

    with dg.DagsterInstance.from_config(str(home)) as instance:
        done = materialize(MACRO, env, instance=instance)  # a run this instance knows as ended
        assert done.success, step_failure(done)
        plant("unknown-run-of-a-pod")
        refused = materialize(MACRO, env, instance=instance)
        [message] = failure_lines(refused.all_events)
        assert not refused.success and "unknown-run-of-a-pod" in message and "pod-7f9c" in message
        assert f"python -m pipeline.warehouse.object_lock unlock {published['url']}" in message
        plant(done.run_id)
        again = materialize(MACRO, env, instance=instance)
        assert again.success, step_failure(again)
        assert not fs.exists(lock_key)
    plant("unknown-run-of-a-pod")
    out = subprocess.run([sys.executable, "-m", "pipeline.warehouse.object_lock", "unlock", published["url"]],
                         cwd=REPO, capture_output=True, text=True, env={**os.environ, **s3.env()})
    assert out.returncode == 0 and "unknown-run-of-a-pod" in out.stdout and not fs.exists(lock_key)


def test_make_brief_stops_at_preflight(s3, published, capsys):
    """``make brief`` against s3:// without the secret key: one line naming it, nothing written."""
    from assets.brief import main

    env = {k: v for k, v in s3.env(TRADE_WAREHOUSE_DIR=published["url"]).items()}
    saved = os.environ.pop("AWS_SECRET_ACCESS_KEY", None)
    try:
        with environment(**{k: v for k, v in env.items() if k != "AWS_SECRET_ACCESS_KEY"}):
            os.environ.pop("AWS_SECRET_ACCESS_KEY", None)
            assert main(["IND"]) == 2
    finally:
        if saved is not None:
            os.environ["AWS_SECRET_ACCESS_KEY"] = saved
    err = capsys.readouterr().err
    assert "AWS_SECRET_ACCESS_KEY" in err and "TRADE_WAREHOUSE_DIR=s3://" in err and SECRET not in err


def test_run_without_preflight_names_the_setting(s3, published):
    """A run started without the preflight (the UI, a schedule) on an endpoint that is down
    fails before any step, naming TRADE_WAREHOUSE_DIR and AWS_ENDPOINT_URL, never the secret."""
    env = run_env(s3, published["bulk"], published["url"], AWS_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}")
    result = materialize(MACRO, env)
    [message] = failure_lines(result.all_events)
    assert not result.success and "(TRADE_WAREHOUSE_DIR) cannot be reached" in message
    assert "AWS_ENDPOINT_URL" in message and SECRET not in message


def test_failed_run_publishes_nothing(s3, shared_datasets, tmp_path):
    """A run whose macro contract fails (every GDP of 2000 near 1e300) changes no visible object
    and leaves no prefix behind; the lock is given back."""
    bucket, url, fs, first, before, bad = _published_then_edited(s3, shared_datasets, tmp_path, 1e288)
    result = materialize(MACRO, run_env(s3, bad, url))
    assert not result.success and "macro_indicators" in step_failure(result)
    assert visible_state(fs, bucket) == before
    assert [p.rsplit("/", 1)[-1] for p in fs.ls(f"{bucket}/wh.publish/snapshots/")] == [first.run_id]
    assert not fs.exists(f"{bucket}/wh.publish/lock")


# Another writer's whole run (argv: settings JSON), in a process of its own: a run elsewhere.
OTHER_WRITER = textwrap.dedent('''
    import json, sys
    from tests.publish.probes import MACRO, materialize, step_failure
    result = materialize(MACRO, json.loads(sys.argv[1]))
    print(result.run_id if result.success else "failure " + step_failure(result), flush=True)
''')


def _another_writer_breaks_the_lock(monkeypatch, point: str, s3, shared_datasets, tmp_path, bucket: str, url: str,
                                    fs, factor: float) -> dict[str, str]:
    """Just before run A's ``ObjectWarehouse.<point>`` first runs, A's lock is removed (what
    ``object_lock unlock`` on another host does) and run W (GDP of 2000 x ``factor``) runs whole
    in a process of its own; returns what W printed (``out``; ``run_id``: its last line) and what
    CURRENT named after it, filled in once A gets there."""
    from pipeline.warehouse import object_publish

    (tmp_path / "w").mkdir()
    w_bulk = bulk_dir(tmp_path / "w", shared_datasets, files={
        WDI_FILE: edited_wdi(shared_datasets, factor),
        f"{WDI}/indicators.csv": (shared_datasets / WDI / "indicators.csv").read_bytes()})
    w_env = run_env(s3, w_bulk, url)
    real = getattr(object_publish.ObjectWarehouse, point)
    other: dict[str, str] = {}

    def after_another_writer(self, run_id, *args, **kwargs):
        if not other:
            assert json.loads(fs.cat_file(f"{bucket}/wh.publish/lock"))["run_id"] == run_id  # A holds it
            fs.rm(f"{bucket}/wh.publish/lock")  # what `object_lock unlock` on another host does
            done = subprocess.run([sys.executable, "-c", OTHER_WRITER, json.dumps(w_env)], cwd=REPO, text=True,
                                  capture_output=True, timeout=300,
                                  env={**os.environ, **w_env, "PYTHONPATH": str(REPO)})
            other["out"] = done.stdout + done.stderr[-2000:]
            other["run_id"] = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-2000:]
            other["current"] = fs.cat_file(f"{bucket}/wh/CURRENT").decode().strip()
        return real(self, run_id, *args, **kwargs)

    monkeypatch.setattr(object_publish.ObjectWarehouse, point, after_another_writer)
    return other


@pytest.mark.parametrize("point", ["stage_table", "commit"])
def test_writer_whose_lock_was_broken_cannot_publish_over_a_later_snapshot(point, s3, shared_datasets, tmp_path,
                                                                          monkeypatch):
    """Run A (GDP of 2000 x 2) takes the warehouse on snapshot S0; then, just before A stages the
    macro table (``stage_table``) or just before its commit (``commit``), its lock is removed
    (``object_lock unlock`` run from another host that thought A dead) and run W, in a process of
    its own, takes the warehouse (its recovery removes what A had staged) and publishes S1 (GDP
    of 2000 x 1.5). A must fail, publishing nothing: its switch is conditional on the ETag CURRENT
    had when A took the warehouse. CURRENT still names W's snapshot and readers get W's GDP.
    Before the fix the ETag was read when the commit began: A published its table over S1
    (``stage_table``: W's publish silently lost), or reported success with nothing published
    (``commit``: W's recovery had removed its staging)."""
    bucket, url, fs, first, _, doubled = _published_then_edited(s3, shared_datasets, tmp_path, 2.0)
    other = _another_writer_breaks_the_lock(monkeypatch, point, s3, shared_datasets, tmp_path, bucket, url, fs, 1.5)
    a = materialize(MACRO, run_env(s3, doubled, url))
    assert other["current"].endswith(f"/snapshots/{other['run_id']}"), other  # W published S1
    assert not a.success
    [message] = failure_lines(a.all_events)
    assert f"changed since run {a.run_id} took the warehouse" in message, message
    assert fs.cat_file(f"{bucket}/wh/CURRENT").decode().strip() == other["current"]
    with environment(**s3.env()):
        gdp_2000 = read_table(url, "macro_indicators").query("iso3 == 'IND' and indicator_code == @GDP and year == 2000")
    assert gdp_2000["value"].tolist() == [pytest.approx(source_gdp(shared_datasets, "IND", 2000) * 1.5, rel=1e-12)]
    snapshots = sorted(p.rsplit("/", 1)[-1] for p in fs.ls(f"{bucket}/wh.publish/snapshots/"))
    assert a.run_id not in snapshots and sorted([first.run_id, other["run_id"]]) == snapshots


def test_run_killed_after_its_switch_is_reported_published(s3, shared_datasets, tmp_path):
    """A run (GDP of 2000 x 1.5) SIGKILLed just after its PUT of CURRENT, before it gave the lock
    back: CURRENT names its snapshot, so the next run, which takes the lock over, reports it
    published (its warning and the killed run's failure in the Dagster instance say the snapshot
    CURRENT names), not "nothing it staged was published"."""
    bucket, url, fs, first, before, changed = _published_then_edited(s3, shared_datasets, tmp_path, 1.5)
    home = _dagster_home(tmp_path)
    env = run_env(s3, changed, url)
    _killed_run(env, home, "switched")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        [killed] = instance.get_runs()
        assert fs.cat_file(f"{bucket}/wh/CURRENT").decode().strip().endswith(f"/snapshots/{killed.run_id}")
        again = materialize(MACRO, env, instance=instance)
        assert again.success, step_failure(again)
        said = [e.user_message for e in instance.all_logs(again.run_id) if "stopped while it held the warehouse" in (e.user_message or "")]
        [failure] = instance.all_logs(killed.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
        status, tags = instance.get_run_by_id(killed.run_id).status, instance.get_run_by_id(killed.run_id).tags
    assert status == dg.DagsterRunStatus.FAILURE  # it did not finish (killed), but it did publish:
    for text in [*said, failure.dagster_event.message]:
        assert f"its tables were published: {url}/CURRENT named its snapshot" in text, text
        assert "nothing it staged was published" not in text, text
    assert len(said) == 1 and killed.run_id in said[0]
    assert tags.get("trade/published_snapshot") == killed.run_id
    with environment(**s3.env()):
        gdp_2000 = read_table(url, "macro_indicators").query("iso3 == 'IND' and indicator_code == @GDP and year == 2000")
    assert gdp_2000["value"].tolist() == [pytest.approx(source_gdp(shared_datasets, "IND", 2000) * 1.5, rel=1e-12)]


def test_snapshot_current_named_before_is_kept_after_a_kill_before_the_switch(s3, shared_datasets, tmp_path):
    """S0 (the shared WDI), then S1 (GDP of 2000 x 1.5) published; a third run (x 2) SIGKILLed
    just before its PUT of CURRENT; then a run that recovers and fails its contract (publishes
    nothing). CURRENT still names S1, and S0, the snapshot it named just before (a reader that
    resolved CURRENT before S1's switch is on it), is still there: only the killed run's prefix is
    removed. (Before the fix ``previous`` was overwritten with S1 before the PUT, and recovery
    removed S0.)"""
    bucket, url, fs, first, _, changed = _published_then_edited(s3, shared_datasets, tmp_path, 1.5)
    second = materialize(MACRO, run_env(s3, changed, url))
    assert second.success, step_failure(second)
    for name, factor in (("doubled", 2.0), ("bad", 1e288)):
        (tmp_path / name).mkdir()
    doubled, bad = (bulk_dir(tmp_path / name, shared_datasets, files={
        WDI_FILE: edited_wdi(shared_datasets, factor),
        f"{WDI}/indicators.csv": (shared_datasets / WDI / "indicators.csv").read_bytes()})
        for name, factor in (("doubled", 2.0), ("bad", 1e288)))
    _killed_run(run_env(s3, doubled, url), _dagster_home(tmp_path), "switch")
    assert len(fs.ls(f"{bucket}/wh.publish/snapshots/")) == 3
    failed = materialize(MACRO, run_env(s3, bad, url))
    assert not failed.success and "macro_indicators" in step_failure(failed)
    assert fs.cat_file(f"{bucket}/wh/CURRENT").decode().strip().endswith(f"/snapshots/{second.run_id}")
    snapshots = sorted(p.rsplit("/", 1)[-1] for p in fs.ls(f"{bucket}/wh.publish/snapshots/"))
    assert snapshots == sorted([first.run_id, second.run_id])
    reader = fs.cat_file(f"{bucket}/wh.publish/snapshots/{first.run_id}/catalog.json")
    assert json.loads(reader)["tables"]["macro_indicators"]["row_count"] > 0


def test_switch_whose_response_was_lost_is_published(s3, versions, shared_datasets, monkeypatch):
    """Review of issue 18 (D4): the conditional PUT of CURRENT reaches the store, which applies
    it, but its response is lost (a read timeout, injected in the HTTP session: the request is
    real); botocore resends the same PUT, whose condition now fails (412). CURRENT names the
    run's snapshot, so the commit succeeds, for the first publish (``If-None-Match: *``) and a
    later one (``If-Match``), instead of raising PointerMoved ("nothing of this run was
    published") over a published snapshot. Real WDI macro indicators, versions 1 and 2."""
    import aiobotocore.httpsession as httpsession
    from botocore.exceptions import ReadTimeoutError

    from pipeline.warehouse import Warehouse
    from tests.warehouse.conftest import publish_here

    bucket = s3.new_bucket()
    url = f"s3://{bucket}/wh"
    real_send = httpsession.AIOHTTPSession.send
    lost = []

    async def send(self, request):
        response = await real_send(self, request)
        if request.method == "PUT" and request.url.split("?")[0].endswith(f"/{bucket}/wh/CURRENT") and lost == []:
            lost.append(response.status_code)
            raise ReadTimeoutError(endpoint_url=request.url, error="response lost after the store applied it")
        return response

    monkeypatch.setattr(httpsession.AIOHTTPSession, "send", send)
    with environment(**s3.env()):
        for run, frames in (("run-first", versions[0]), ("run-second", versions[1])):
            lost.clear()
            publish_here(url, {"macro_indicators": frames["macro_indicators"]}, run)
            assert lost == [200], lost  # the first PUT was applied; its response dropped
            assert Warehouse(url).published_by(run)
            assert Warehouse(url).catalog()["run_id"] == run
        gdp = read_table(url, "macro_indicators").query("iso3 == 'IND' and indicator_code == @GDP and year == 2000")
    # version 2: every macro value of 2000 + 1 (tests/warehouse/conftest.py), against the World Bank's file
    assert gdp["value"].tolist() == [pytest.approx(source_gdp(shared_datasets, "IND", 2000) + 1, rel=1e-12)]


def test_run_killed_on_another_host_after_its_switch_is_tagged_published(s3, versions):
    """Review of issue 18 (D3): run K, on another host (a pod), is killed just after its PUT of
    CURRENT; run monitoring marks it FAILURE (what a takeover from another host requires); the
    next run N takes the lock over. K's snapshot is what CURRENT names, so K gets the
    ``trade/published_snapshot`` tag although it was FAILURE already (before the fix only a run
    still unfinished got it). Real WDI macro indicators."""
    from dagster._core.storage.dagster_run import DagsterRun

    from assets.io_manager import _ended, mark_killed_run_failed
    from pipeline.contracts import load_contract
    from pipeline.warehouse import Warehouse, object_lock
    from pipeline.warehouse.catalog import catalog_entry

    bucket = s3.new_bucket()
    url = f"s3://{bucket}/wh"
    contract = load_contract("macro_indicators")
    with environment(**s3.env()), dg.instance_for_test() as instance:
        killed = instance.add_run(DagsterRun(job_name="__ASSET_JOB", status=dg.DagsterRunStatus.STARTED)).run_id
        warehouse = Warehouse(url)
        lock.acquire(url, killed)
        staged = warehouse.stage_table(killed, versions[0]["macro_indicators"], "macro_indicators",
                                       contract.arrow_schema(), contract.partition_column, {"source": "test"})
        warehouse.stage_entry(killed, catalog_entry(staged, contract, Path(url), "2026-12-01T00:00:00+00:00", "test"))
        assert warehouse.commit(killed) == killed  # K's switch is done; then K's pod is killed:
        key = f"{bucket}/wh.publish/lock"
        record = json.loads(warehouse.fs.cat_file(key))
        warehouse.fs.pipe_file(key, json.dumps({**record, "host": "pod-k-7f9c"}).encode())  # as K's pod wrote it
        object_lock._HELD.pop(object_lock._key(url))  # K's process is gone
        instance.report_run_failed(instance.get_run_by_id(killed), message="run monitoring: run worker not found")
        [found] = lock.acquire(url, "run-next", stale=lambda r: _ended(instance, r))
        try:
            said = mark_killed_run_failed(instance, found, "run-next", url)
        finally:
            lock.release(url, "run-next")
        tags = instance.get_run_by_id(killed).tags
    assert found["run_id"] == killed and found["host"] == "pod-k-7f9c"
    assert f"its tables were published: {url}/CURRENT named its snapshot {killed}" in said, said
    assert "its status is already FAILURE" in said, said
    assert tags.get("trade/published_snapshot") == killed, tags


@pytest.mark.parametrize("point", ["stage_table", "commit"])
def test_writer_whose_lock_was_broken_publishes_nothing_when_the_other_writer_failed(point, s3, shared_datasets,
                                                                                   tmp_path, monkeypatch):
    """Review of issue 18 (D1): as the test above, but run W (GDP of 2000 near 1e300) fails its
    contract after its recovery removed what A had staged, so CURRENT (and its ETag) is unchanged
    and A's conditional switch alone cannot stop A. A must fail, naming its broken lock, with
    CURRENT still on S0 and readers on the World Bank's GDP. Before the fix A published its
    macro table without the raw provenance W had removed (``stage_table``), or reported success
    with nothing published (``commit``: its staging was gone)."""
    bucket, url, fs, first, before, doubled = _published_then_edited(s3, shared_datasets, tmp_path, 2.0)
    other = _another_writer_breaks_the_lock(monkeypatch, point, s3, shared_datasets, tmp_path, bucket, url, fs, 1e288)
    a = materialize(MACRO, run_env(s3, doubled, url))
    assert "failure " in other["out"] and "macro_indicators" in other["out"], other  # W failed its contract
    assert not a.success
    [message] = failure_lines(a.all_events)
    assert f"the lock of run {a.run_id} on {url} was broken" in message and "nothing of this run" in message, message
    assert visible_state(fs, bucket) == before
    with environment(**s3.env()):
        gdp_2000 = read_table(url, "macro_indicators").query("iso3 == 'IND' and indicator_code == @GDP and year == 2000")
    assert gdp_2000["value"].tolist() == [pytest.approx(source_gdp(shared_datasets, "IND", 2000), rel=1e-12)]
    assert [p.rsplit("/", 1)[-1] for p in fs.ls(f"{bucket}/wh.publish/snapshots/")] == [first.run_id]
