"""All-or-nothing publishing (issue 14, part 2) and one writer at a time (part 3), on the real
Comtrade/DTA panel, WDI extract and country groups: plain readers through the published
symlinks, a kill at many points of a publish that changes two tables and adds a third, a
second writer refused, and a warehouse of plain directories (older layout, or a dereferenced
copy) brought under snapshots unchanged."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow.dataset as ds
import pytest

from pipeline.contracts import load_contract
from pipeline.warehouse import Warehouse, lock, read_catalog, read_table
from pipeline.warehouse.catalog import catalog_entry
from tests.conftest import REPO_ROOT
from tests.env import digests

# A publish as a run does it (lock, recover, stage each table with its catalog entry, commit),
# with os.link/rename/replace/symlink and pyarrow's write_table counted: with KILL=n the
# process SIGKILLs itself before its n-th counted call (a pyarrow write leaves half a file
# first), with KILL=-n just after it. Prints the number of counted calls.
PUBLISHER = textwrap.dedent('''
    import os, signal, sys
    from pathlib import Path
    import pandas as pd
    import pyarrow.parquet as pq
    from pipeline.contracts import load_contract
    from pipeline.warehouse import Warehouse, lock
    from pipeline.warehouse.catalog import catalog_entry

    root, pickle, kill = sys.argv[1], sys.argv[2], int(sys.argv[3])
    frames = pd.read_pickle(pickle)
    calls = {"n": 0}

    def counted(real, name):
        def call(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == kill:
                if name == "write_table":
                    args[1].write(b"PAR1" + b"\\0" * 4096)
                    args[1].flush()
                os.kill(os.getpid(), signal.SIGKILL)
            out = real(*args, **kwargs)
            if calls["n"] == -kill:
                os.kill(os.getpid(), signal.SIGKILL)
            return out
        return call

    for name in ("link", "rename", "replace", "symlink"):
        setattr(os, name, counted(getattr(os, name), name))
    pq.write_table = counted(pq.write_table, "write_table")
    run = sys.argv[4]
    lock.acquire(root, run)
    warehouse = Warehouse(root)
    warehouse.recover()
    for table, frame in frames.items():
        contract = load_contract(table)
        published = warehouse.stage_table(run, frame, table, contract.arrow_schema(), contract.partition_column,
                                          {"source": "test"})
        warehouse.stage_entry(run, catalog_entry(published, contract, Path(root), "2026-12-01T00:00:00+00:00", "test"))
    warehouse.commit(run)
    lock.release(root, run)
    print(calls["n"])
''')


def publish(root: Path, frames: dict, tmp: Path, kill: int = 0, run: str = "run") -> subprocess.CompletedProcess:
    pickle = tmp / f"frames-{len(frames)}.pkl"
    if not pickle.exists():
        pd.to_pickle(frames, pickle)
    return subprocess.run([sys.executable, "-c", PUBLISHER, str(root), str(pickle), str(kill), run],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)


def state(root: Path) -> dict:
    """What a reader sees: the Parquet digests, and the catalog checked against the tables."""
    catalog = read_catalog(root)["tables"]
    visible = sorted(p.name for p in root.iterdir() if p.is_dir() and p.name not in ("landing", "_raw")
                     and not p.name.startswith("."))
    assert sorted(catalog) == visible, "the catalog lists other tables than the warehouse holds"
    for name, entry in catalog.items():
        assert ds.dataset(root / entry["path"], partitioning="hive").count_rows() == entry["row_count"], name
    return digests(root)


@pytest.fixture(scope="module")
def published(tmp_path_factory, versions):
    """Version 1 published; version 2 published on a copy (the reference of a whole publish)."""
    tmp = tmp_path_factory.mktemp("publish")
    old = tmp / "old"
    assert publish(old, versions[0], tmp).returncode == 0
    new = tmp / "new"
    shutil.copytree(old, new, symlinks=True)
    done = publish(new, versions[1], tmp)
    assert done.returncode == 0, done.stderr
    return tmp, old, new, int(done.stdout.split()[-1])


def test_plain_readers_read_through_the_switch(published, versions):
    """pandas, pyarrow, DuckDB and Polars read `warehouse/<table>` as before (README example)."""
    _, _, new, _ = published
    truth = versions[1]["bilateral_goods_trade"]
    by_pandas = pd.read_parquet(new / "bilateral_goods_trade")
    by_duck = duckdb.sql(f"select count(*), sum(value_usd) from read_parquet('{new}/bilateral_goods_trade/**/*.parquet', "
                         "hive_partitioning=true)").fetchall()[0]
    by_polars = pl.scan_parquet(f"{new}/bilateral_goods_trade/**/*.parquet", hive_partitioning=True).select(
        pl.len(), pl.col("value_usd").sum()).collect().row(0)
    assert len(by_pandas) == by_duck[0] == by_polars[0] == len(truth) == 316317
    assert by_duck[1] == pytest.approx(truth["value_usd"].sum()) == by_polars[1]
    assert ds.dataset(new / "macro_indicators", partitioning="hive").count_rows() == len(versions[1]["macro_indicators"])
    groups = read_table(new, "country_groups", load_contract("country_groups").arrow_schema())
    assert len(groups) == len(versions[1]["country_groups"])
    assert json.loads((new / "catalog.json").read_text())["tables"].keys() == set(versions[1])


def test_unchanged_partitions_are_the_published_files(published):
    """Only bilateral 2016 and macro 2000 changed: every other file is the same file (inode)."""
    tmp, old, new, _ = published
    before, after = state(old), state(new)
    # Named after their data: a changed file has a new name, an unchanged one keeps its name.
    gone, added = sorted(set(before) - set(after)), sorted(set(after) - set(before))
    assert [str(Path(k).parent) for k in gone] == ["bilateral_goods_trade/year=2016", "macro_indicators/year=2000"]
    assert [str(Path(k).parent) for k in added] == ["bilateral_goods_trade/year=2016", "country_groups",
                                                   "macro_indicators/year=2000"]
    assert all(before[k] == after[k] for k in set(before) & set(after))
    warehouse = Warehouse(new)
    [previous] = [p for p in warehouse.snapshots.iterdir() if p != warehouse.current()]  # version 1, kept
    for relative in [k for k in after if "year=2008" in k or "year=2001" in k]:
        assert (new / relative).stat().st_ino == (previous / relative).stat().st_ino, relative
    assert not (new / gone[0]).exists() and (previous / gone[0]).is_file()


def test_a_kill_at_any_point_leaves_the_old_or_the_new_warehouse(published, versions):
    """SIGKILL before the 1st, 2nd, ... counted file operation of the publish and just after the
    last: every time a reader sees version 1 or version 2 entirely, with a catalog that agrees;
    the next writer finds the killed run, clears what it left and sees the same warehouse."""
    tmp, old, new, calls = published
    before, after = state(old), state(new)
    points = sorted({1, 2, 5, calls // 4, calls // 2, (3 * calls) // 4, calls - 2, calls - 1, calls, -calls})
    seen = {}
    for point in points:
        root = tmp / f"killed{point}"
        shutil.copytree(old, root, symlinks=True)
        proc = publish(root, versions[1], tmp, kill=point, run=f"run-killed-{point}")
        assert proc.returncode == -9, proc.stderr[-2000:]
        now = state(root)
        assert now in (before, after), f"kill at {point}: a mix of old and new files is visible"
        seen[point] = "new" if now == after else "old"
        assert [r["run_id"] for r in lock.acquire(root, "next")] == [f"run-killed-{point}"]  # it never finished
        Warehouse(root).recover()
        lock.release(root, "next")
        assert state(root) == now
        assert not list(Warehouse(root).staging.glob("*"))
        assert len(list(Warehouse(root).snapshots.iterdir())) <= 2
        assert root.is_symlink() and not list(root.parent.glob(f".{root.name}.*"))
    assert seen[-calls] == "new" and seen[1] == "old" and seen[calls] == "old", seen


def test_a_second_writer_is_refused_naming_the_first(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f'''
        import sys, time
        from pipeline.warehouse import lock
        lock.acquire({str(tmp_path)!r}, "run-first")
        print("held", flush=True)
        time.sleep(60)
    ''')], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(lock.WarehouseBusy) as caught:
            lock.acquire(tmp_path, "run-second")
        assert f"being written by run run-first (pid {holder.pid}" in str(caught.value)
        assert "wait for that run to finish" in str(caught.value)
    finally:
        holder.kill()
        holder.wait()
    assert [r["run_id"] for r in lock.acquire(tmp_path, "run-second")] == ["run-first"]  # killed holding it
    lock.release(tmp_path, "run-second")
    assert lock.acquire(tmp_path, "run-third") == []  # released cleanly: nothing to recover
    lock.release(tmp_path, "run-third")


def test_a_plain_copy_of_the_warehouse_is_adopted_unchanged(published, tmp_path):
    """`cp -r` (or shutil.copytree) dereferences the symlinks: the next writer makes the copy a
    snapshot again, every visible byte the same."""
    _, _, new, _ = published
    copy = tmp_path / "copy"
    shutil.copytree(new, copy)  # the root's link followed: a plain directory
    before = state(copy)
    lock.acquire(copy, "adopter")
    notes = Warehouse(copy).recover()
    lock.release(copy, "adopter")
    assert any("brought 4 plain table directories and files under snapshot" in n for n in notes), notes
    assert state(copy) == before and copy.is_symlink()
    assert os.path.realpath(copy / "catalog.json").startswith(str(Warehouse(copy).snapshots))


def test_briefs_are_dropped_by_a_publish_that_restages_their_tables(published, versions, tmp_path):
    """Issue 19 review: a brief quotes the cells of its snapshot. A later run that restages a
    table without briefs drops them (they would cite figures the table no longer holds); a run
    that restages no table (raw provenance only) keeps them."""
    _, old, _, _ = published
    root = tmp_path / "w"
    shutil.copytree(old, root, symlinks=True)
    warehouse = Warehouse(root)
    lock.acquire(root, "b")
    (warehouse.stage_dir("b") / "briefs").mkdir(parents=True)
    (warehouse.stage_dir("b") / "briefs" / "BGD.json").write_text("{}")
    warehouse.commit("b")
    lock.release(root, "b")
    assert (root / "briefs" / "BGD.json").is_file()
    lock.acquire(root, "raw")
    warehouse.stage_raw("raw", "raw_files__macro_indicators", "[]")
    warehouse.commit("raw")
    lock.release(root, "raw")
    assert (root / "briefs" / "BGD.json").is_file() and (root / "_raw" / "raw_files__macro_indicators.json").is_file()
    lock.acquire(root, "t")
    contract = load_contract("macro_indicators")
    warehouse.stage_table("t", versions[1]["macro_indicators"], "macro_indicators", contract.arrow_schema(),
                          contract.partition_column, {"source": "test"})
    warehouse.commit("t")
    lock.release(root, "t")
    assert not (root / "briefs").exists() and read_table(root, "macro_indicators").shape[0] > 0


def test_the_snapshot_readers_are_on_survives_a_clock_set_back(versions, tmp_path):
    """Snapshot ids begin with the publish time. Version 1 published while the clock was a year
    ahead (its id renamed so, as that clock would have named it), version 2 after the clock was
    set back: version 1 is the snapshot readers in flight are on, and is kept (it used to be
    removed: only ids before the new one counted as older); a third publish removes it."""
    from tests.warehouse.conftest import publish_here

    root = tmp_path / "warehouse"
    publish_here(root, {"macro_indicators": versions[0]["macro_indicators"]}, "run-one")
    warehouse = Warehouse(root)
    ahead = warehouse.snapshots / ("29" + warehouse.current().name[2:])
    os.rename(warehouse.current(), ahead)
    root.unlink()
    root.symlink_to(f"{warehouse.meta.name}/snapshots/{ahead.name}")
    publish_here(root, {"macro_indicators": versions[1]["macro_indicators"]}, "run-two")
    assert warehouse.current().name < ahead.name and ahead.is_dir()
    macro = read_table(ahead, "macro_indicators", load_contract("macro_indicators").arrow_schema())
    assert macro["value"].sum() == pytest.approx(versions[0]["macro_indicators"]["value"].sum())
    second = warehouse.current()
    publish_here(root, {"macro_indicators": versions[0]["macro_indicators"]}, "run-three")
    assert not ahead.exists() and second.is_dir()
    assert sorted(p.name for p in warehouse.snapshots.iterdir()) == sorted([second.name, warehouse.current().name])
