"""Plain readers of the published warehouse (issue 14 review, D3 and D4), on the real
Comtrade/DTA panel, WDI extract and country groups: a recursive glob over the root counts each
published table once (the previous snapshot and a run's staged tables are beside the root, out
of reach), and a reader that listed a table's files before a publish and opens them after it
reads the old snapshot entire or fails, never a mix (files are named after their data)."""
from __future__ import annotations

import glob
import os
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow.dataset as ds
import pytest

from pipeline.warehouse import Warehouse, lock, read_catalog
from tests.conftest import REPO_ROOT
from tests.env import digests
from tests.warehouse.conftest import publish_here

BILATERAL = "bilateral_goods_trade"


@pytest.fixture(scope="module")
def busy_root(tmp_path_factory, versions) -> Path:
    """Version 1 then version 2 published (two snapshots kept), and a third run's tables staged
    but never committed (a run still going)."""
    root = tmp_path_factory.mktemp("glob") / "warehouse"
    publish_here(root, versions[0], "run-one")
    publish_here(root, versions[1], "run-two")
    publish_here(root, versions[0], "run-staged", commit=False)
    warehouse = Warehouse(root)
    assert len(list(warehouse.snapshots.iterdir())) == 2 and list(warehouse.staging.iterdir())
    return root


def _table_of(path: str, root: Path) -> str:
    return Path(os.path.relpath(path, root)).parts[0]


def _per_table(pairs) -> dict[str, int]:
    out: dict[str, int] = {}
    for table, rows in pairs:
        out[table] = out.get(table, 0) + int(rows)
    return out


def test_a_recursive_glob_over_the_root_counts_each_table_once(busy_root, versions):
    root = busy_root
    catalog = {name: entry["row_count"] for name, entry in read_catalog(root)["tables"].items()}
    assert catalog == {name: len(frame) for name, frame in versions[1].items()}  # independent of the readers
    pattern = f"{root}/**/*.parquet"
    by_duck = _per_table((_table_of(f, root), n) for f, n in duckdb.sql(
        f"select filename, count(*) from read_parquet('{pattern}', filename=true, union_by_name=true, "
        "hive_partitioning=false) group by filename").fetchall())
    by_polars = _per_table((_table_of(f, root), n) for f, n in pl.scan_parquet(
        pattern, include_file_paths="path", hive_partitioning=False, missing_columns="insert",
        extra_columns="ignore").group_by("path").len().collect().rows())
    dataset = ds.dataset(root, format="parquet", exclude_invalid_files=True)
    by_arrow = _per_table((_table_of(f.path, root), f.count_rows()) for f in dataset.get_fragments())
    by_pandas = _per_table((_table_of(f, root), len(pd.read_parquet(f)))
                           for f in glob.glob(pattern, recursive=True))
    assert by_duck == by_polars == by_arrow == by_pandas == catalog


def _sums(frame: pd.DataFrame) -> tuple[int, float]:
    return len(frame), float(frame["value_usd"].sum())


READERS = {
    # name: (the reader's own listing of a table's files, that reader opening some of them)
    "pandas": (lambda t: sorted(glob.glob(f"{t}/**/*.parquet", recursive=True)),
               lambda files: _sums(pd.concat([pd.read_parquet(p) for p in files]))),
    "pyarrow": (lambda t: sorted(ds.dataset(t, partitioning="hive").files),
                lambda files: _sums(ds.dataset(files).to_table(columns=["value_usd"]).to_pandas())),
    "duckdb": (lambda t: sorted(r[0] for r in duckdb.sql(f"select file from glob('{t}/**/*.parquet')").fetchall()),
               lambda files: tuple(duckdb.sql(f"select count(*), sum(value_usd) from read_parquet({files!r})")
                                   .fetchall()[0])),
    "polars": (lambda t: sorted(pl.scan_parquet(f"{t}/**/*.parquet", include_file_paths="path").select("path")
                                .unique().collect()["path"].to_list()),
               lambda files: pl.scan_parquet(files).select(pl.len(), pl.col("value_usd").sum()).collect().row(0)),
}
FAILED_OPEN = (FileNotFoundError, OSError, duckdb.IOException, pl.exceptions.ComputeError)


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_reader_caught_by_a_switch_reads_one_snapshot_or_fails(reader, versions, tmp_path):
    """List the table's files and open the first half of them; publish; open the rest. A switch
    that left the table unchanged gives the old snapshot exactly; one that changed the first
    year and 2016 (one in each half) fails on the 2016 file, whose name is gone, never a mix.
    With every file named part-0.parquet (the layout before) this read old and new data: a mix."""
    v1, v2 = versions
    years = sorted(v1[BILATERAL]["year"].unique())
    changed = v1[BILATERAL].assign(value_usd=v1[BILATERAL]["value_usd"].where(
        ~v1[BILATERAL]["year"].isin([years[0], 2016]), v1[BILATERAL]["value_usd"] * 3))  # a year in each half
    truth = {"v1": _sums(v1[BILATERAL]), "v2": _sums(changed)}
    assert truth["v1"][1] != pytest.approx(truth["v2"][1])  # the change shows in the sum
    listing, opening = READERS[reader]
    root = tmp_path / "warehouse"
    publish_here(root, v1, "run-one")

    def caught(frames: dict, run: str) -> str:
        files = listing(root / BILATERAL)
        half = len(files) // 2
        assert f"year={years[0]}/" in " ".join(files[:half]) and "year=2016/" in " ".join(files[half:])
        first = opening(files[:half])
        publish_here(root, frames, run)
        try:
            second = opening(files[half:])
        except FAILED_OPEN as exc:
            assert "year=2016/part-" in str(exc), exc  # the error names the file gone
            return "error"
        rows, total = first[0] + second[0], first[1] + second[1]
        return next((k for k, (n, s) in truth.items() if rows == n and total == pytest.approx(s)),
                    f"a mix: {rows} rows, sum {total}")

    assert caught({"macro_indicators": v2["macro_indicators"]}, "run-macro") == "v1"  # bilateral untouched
    assert caught({BILATERAL: changed}, "run-bilateral") == "error"  # its 2016 file renamed


def _older_layout(versions, tmp_path: Path) -> Path:
    """A warehouse as the layout before wrote it: ``<root>/.publish/`` inside the root, every
    file ``part-0.parquet``/``data.parquet``, ``_raw`` and ``landing`` plain beside the links."""
    built = tmp_path / "built"
    publish_here(built, {**versions[0], "country_groups": versions[1]["country_groups"]}, "run-one")
    legacy = tmp_path / "legacy"
    snapshot = legacy / ".publish" / "snapshots" / "20260101T000000000000Z-old"
    shutil.copytree(built, snapshot, ignore=shutil.ignore_patterns(".publish"))  # no guard file then
    for path in snapshot.rglob("*.parquet"):
        path.rename(path.with_name("part-0.parquet" if "=" in path.parent.name else "data.parquet"))
    (legacy / ".publish" / "current").symlink_to(f"snapshots/{snapshot.name}")
    for entry in sorted(snapshot.iterdir()):
        (legacy / entry.name).symlink_to(f".publish/current/{entry.name}")
    # as main's layout kept them: plain directories beside the links (API answers, provenance)
    (legacy / "_raw").mkdir()
    (legacy / "_raw" / "raw_files__bilateral_goods_trade.json").write_text('{"files": []}\n')
    (legacy / "landing" / "worldbank").mkdir(parents=True)
    (legacy / "landing" / "worldbank" / "answer.json").write_text('{"page": 1}\n')
    return legacy


def test_an_older_layout_named_part_0_is_adopted_and_relinked(versions, tmp_path):
    """A warehouse of the layout before (``<root>/.publish/`` inside the root, every file
    ``part-0.parquet``/``data.parquet``): adopted unchanged, and the next publish of the same
    data links each file under its content name (same inode), leaving nothing of the old store."""
    legacy = _older_layout(versions, tmp_path)
    every_file = _visible_files(legacy)
    assert "catalog.json" in every_file and (legacy / "catalog.json").is_symlink()
    before = digests(legacy)
    assert "country_groups/data.parquet" in before and f"{BILATERAL}/year=2016/part-0.parquet" in before
    inodes = {k: (legacy / k).stat().st_ino for k in before}
    lock.acquire(legacy, "adopter")
    notes = Warehouse(legacy).recover()
    lock.release(legacy, "adopter")
    assert any("brought 4 plain table directories and files" in n for n in notes), notes
    assert legacy.is_symlink() and digests(legacy) == before and (legacy / ".publish").is_file()  # the old store gone, the guard in its place
    assert _visible_files(legacy) == every_file  # the catalog, _raw and landing too, byte for byte
    assert set(Warehouse(legacy).catalog()["tables"]) >= {BILATERAL, "country_groups"}
    publish_here(legacy, {**versions[0], "country_groups": versions[1]["country_groups"]}, "run-again")
    after = digests(legacy)
    assert sorted(after.values()) == sorted(before.values()) and not [k for k in after if "-0." in k]
    assert sorted(str(Path(k).parent) for k in after) == sorted(str(Path(k).parent) for k in before)
    assert sorted((legacy / k).stat().st_ino for k in after) == sorted(inodes.values())


def _visible_files(root: Path) -> dict[str, str]:
    """sha256 of every file a reader of ``root`` sees, not only Parquet (catalog, _raw, landing)."""
    import hashlib

    files = [Path(d) / f for d, dirs, names in os.walk(root, followlinks=True) for f in names]  # through links
    return {str(f.relative_to(root)): hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted(files)
            if not any(part.startswith(".") for part in f.relative_to(root).parts)}


def test_a_plain_root_with_files_of_its_own_is_refused_and_kept(versions, tmp_path):
    """A TRADE_WAREHOUSE_DIR holding the user's own files: the first publish would remove the
    plain directory when the root becomes the link; it is refused before anything changes."""
    from pipeline.warehouse.publish import WarehouseRootError

    root = tmp_path / "warehouse"
    (root / "mydata").mkdir(parents=True)
    (root / "mydata" / "f.csv").write_text("a,b\n1,2\n")
    (root / "README.txt").write_text("my notes\n")
    before = _visible_files(root)
    with pytest.raises(WarehouseRootError, match=r"holds 2 entries .*\['README.txt', 'mydata'\]"):
        publish_here(root, {"country_groups": versions[1]["country_groups"]}, "run-one")
    assert not root.is_symlink() and _visible_files(root) == before


def test_a_root_that_is_the_users_own_link_is_refused(versions, tmp_path):
    """TRADE_WAREHOUSE_DIR a symlink to a directory elsewhere (a bigger disk): refused naming
    the target, the user's link and directory untouched."""
    from pipeline.warehouse.publish import WarehouseRootError

    target = tmp_path / "big" / "wh"
    target.mkdir(parents=True)
    (target / "NOTES.txt").write_text("keep\n")
    root = tmp_path / "warehouse"
    root.symlink_to(target, target_is_directory=True)
    with pytest.raises(WarehouseRootError, match="is a symlink to .*big/wh.*set TRADE_WAREHOUSE_DIR to"):
        publish_here(root, {"country_groups": versions[1]["country_groups"]}, "run-one")
    assert os.readlink(root) == str(target) and (target / "NOTES.txt").read_text() == "keep\n"
    assert not (tmp_path / "warehouse.publish" / "snapshots").exists()


def _hold_older_lock(path: Path, record: dict):
    """A process holding ``path`` as the older code's lock did (flock, then its JSON record)."""
    import json
    import subprocess
    import sys

    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'a+'); "
         "fcntl.flock(f, fcntl.LOCK_EX); f.seek(0); f.truncate(); f.write(sys.argv[2]); f.flush(); "
         "print('held', flush=True); time.sleep(600)", str(path), json.dumps(record)],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


OLDER_RUN = {"run_id": "older-run-1", "pid": 1, "host": "h", "started_at": "2026-12-01T00:00:00Z",
             "dagster_home": "/nowhere", "state": "running"}


@pytest.mark.parametrize("published", [True, False])
def test_a_writer_of_the_older_code_still_running_stops_this_one(versions, tmp_path, published):
    """During an upgrade a run of the older code may still write its plain root, locking the
    older layout's ``<root>/.publish/lock`` (flock, a JSON record), not ``<root>.publish/lock``:
    the new writer is refused, naming that run, and changes nothing, whether the root holds a
    published warehouse or only the older run's lock and staging (its first publish); once the
    older run has ended, the root is adopted. The older writer is a separate process."""
    if published:
        legacy = _older_layout(versions, tmp_path)
    else:
        legacy = tmp_path / "legacy"
        (legacy / ".publish" / "staging" / "older-run-1" / "macro_indicators").mkdir(parents=True)
    old_lock = legacy / ".publish" / "lock"
    old_lock.touch()
    holder = _hold_older_lock(old_lock, OLDER_RUN)
    try:
        before = _visible_files(legacy) | {str(p): "" for p in legacy.rglob("*")}
        with pytest.raises(lock.WarehouseBusy, match=r"older-run-1 .* older version of this pipeline"):
            lock.acquire(legacy, "adopter")
        assert lock.held_by(legacy) is None
        publish_refused = pytest.raises(lock.WarehouseBusy)
        with publish_refused:
            publish_here(legacy, {"country_groups": versions[1]["country_groups"]}, "run-new")
        assert not legacy.is_symlink() and _visible_files(legacy) | {str(p): "" for p in legacy.rglob("*")} == before
    finally:
        holder.kill()
        holder.wait()
    killed = lock.acquire(legacy, "adopter")  # the older run died holding its lock: its record says so
    try:
        assert [r["run_id"] for r in killed] == ["older-run-1"]
        notes = Warehouse(legacy).recover()
        assert any("brought" in n for n in notes) == published
    finally:
        lock.release(legacy, "adopter")


def test_a_snapshot_stops_a_writer_of_the_older_code(versions, tmp_path):
    """The reverse upgrade case: a `dagster dev` still running the older code writes into a
    root that is now the link to a snapshot. The older code's first write was its store's lock,
    ``<root>/.publish/lock`` (``mkdir(parents=True, exist_ok=True)`` then open); each snapshot
    holds a plain file ``.publish``, so that fails at once with "File exists" and the snapshot is
    untouched. (Run once against the older code itself, commit 168c17f^'s ``write_table``: it
    failed so; without the file it rewrote the snapshot into its own layout.)"""
    root = tmp_path / "warehouse"
    publish_here(root, {"country_groups": versions[1]["country_groups"]}, "run-one")
    before = _visible_files(root)
    with pytest.raises(FileExistsError):
        (root / ".publish" / "lock").parent.mkdir(parents=True, exist_ok=True)
    assert "restart `dagster dev`" in (root / ".publish").read_text()
    assert str(Warehouse(root).meta) in (root / ".publish").read_text()
    assert _visible_files(root) == before and Warehouse(root).tables(Warehouse(root).current()) == ["country_groups"]


def _older_code_takes(root: Path) -> dict:
    """What the older code's ``lock.acquire`` (commit 168c17f^) does first, in a process of its
    own: ``<root>/.publish/lock`` made (``mkdir(parents=True, exist_ok=True)``) and flocked
    without waiting; busy -> the holder it would name, read from that file."""
    import json
    import subprocess
    import sys

    code = ("import fcntl, json, pathlib, sys; p = pathlib.Path(sys.argv[1]) / '.publish' / 'lock'; "
            "p.parent.mkdir(parents=True, exist_ok=True); f = open(p, 'a+')\n"
            "try:\n    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB); busy = False\n"
            "except BlockingIOError:\n    busy = True\n"
            "f.seek(0); text = f.read(); print(json.dumps({'busy': busy, 'record': json.loads(text or '{}')}))")
    done = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


@pytest.mark.parametrize("fresh", ["absent", "empty"])
def test_a_writer_of_the_older_code_is_stopped_by_a_run_on_a_fresh_root(tmp_path, fresh):
    """Review (stop 27): on a root with no older lock yet (a new warehouse, or an empty directory
    made for it), a run of the older code took its lock freely while a new run held the
    warehouse; the new run's first publish swapped the older run's staging away and the older run
    still said success. Now the new run holds the older lock too, and writes its own record in
    it, so the older code is refused naming the run that holds the warehouse (not a dead one),
    and afterwards finds no run to mark killed. The older lock stays (review, stop 27: removed at
    release, an older process that had opened it locked a deleted file and wrote beside the next
    new run)."""
    root = tmp_path / "warehouse"
    if fresh == "empty":
        root.mkdir()
    lock.acquire(root, "new-run")
    try:
        seen = _older_code_takes(root)
        assert seen["busy"] and seen["record"]["run_id"] == "new-run"
    finally:
        lock.release(root, "new-run")
    assert [p.relative_to(root).as_posix() for p in root.rglob("*")] == [".publish", ".publish/lock"]
    seen = _older_code_takes(root)
    assert not seen["busy"] and seen["record"].get("state") != "running"


def test_a_new_and_an_older_run_both_killed_are_both_returned(tmp_path):
    """Review (stop 27): a new run killed on a fresh root, then an older run killed holding its
    own lock: the next run returned only the first, and the older run stayed STARTED in its
    Dagster instance (its lock went with the plain root at the next publish)."""
    import subprocess
    import sys

    root = tmp_path / "warehouse"
    first = subprocess.Popen([sys.executable, "-c", "import sys, time; from pipeline.warehouse import lock; "
                              f"lock.acquire({str(root)!r}, 'new-run-g1'); print('held', flush=True); time.sleep(600)"],
                             cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    assert first.stdout.readline().strip() == "held"
    first.kill()
    first.wait()
    older = _hold_older_lock(root / ".publish" / "lock", OLDER_RUN)
    older.kill()
    older.wait()
    killed = lock.acquire(root, "new-run-g3")
    lock.release(root, "new-run-g3")
    assert [r["run_id"] for r in killed] == ["new-run-g1", "older-run-1"]


def test_an_older_run_that_opened_the_lock_before_a_release_still_stops_the_next(tmp_path):
    """Review (stop 27): release removed the older lock it had made; an older process that had
    opened the file just before (the older code opens, then flocks) then locked a deleted file,
    and the next new run took the warehouse beside it. The file stays, so that run is refused."""
    import subprocess
    import sys

    root = tmp_path / "warehouse"
    lock.acquire(root, "new-run-a")
    older = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'a+'); print('opened', flush=True); "
         "sys.stdin.readline(); fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB); print('held', flush=True); "
         "time.sleep(600)", str(root / ".publish" / "lock")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert older.stdout.readline().strip() == "opened"
        lock.release(root, "new-run-a")  # a run that published nothing
        older.stdin.write("go\n")
        older.stdin.flush()
        assert older.stdout.readline().strip() == "held"
        with pytest.raises(lock.WarehouseBusy, match="older version of this pipeline"):
            lock.acquire(root, "new-run-b")
    finally:
        older.kill()
        older.wait()
