"""All-or-nothing publishing: a run stages its tables, and one atomic switch publishes them all.

Layout (chosen by measurement against Delta Lake and Iceberg: ``benchmarks/bench_publish.py``)::

    <dir>/<root>  -> <root>.publish/snapshots/<id>     THE switch: the root itself is one symlink
    <dir>/<root>.publish/snapshots/<id>/<table>/year=<y>/part-<hash>.parquet, catalog.json,
                                         briefs/, _raw/, landing/
    <dir>/<root>.publish/staging/<run id>/<table>/...   a run's tables, not yet visible
    <dir>/<root>.publish/lock                            one writer at a time (:mod:`lock`)

Everything a reader can reach under the root is one snapshot, so a recursive glob over the root
(``read_parquet('<root>/**/*.parquet')`` in DuckDB, ``scan_parquet`` in Polars, a pyarrow
dataset of the root) counts each published table once and nothing staged. Why the root is the
link, measured by ``benchmarks/bench_publish_layout.py`` (two snapshots and a staged run; the
outcome asserted on real data in ``tests/warehouse/test_plain_readers.py``): with the store
inside the root (``<root>/.publish/``, the layout before) DuckDB's root glob counted 3x the rows
(every snapshot and the staging area, not the table symlinks), Polars 5x (all of them); with the
store beside a root of per-table symlinks DuckDB found no file at all (it does not follow
symlinked directories in ``**``); with the root itself the link all readers counted 1x. The
switch stays one ``os.replace`` of a symlink (some 0.1-0.2 ms). Files are named after their data
(``part-<first 16 hex of data_sha256>.parquet``, :mod:`pipeline.warehouse.parquet`): a reader
that listed the files before a switch and opens them after it reads unchanged files (the same
name, a hard link of the same bytes) or fails on a changed one (its name is gone), never a mix.

A run writes each table it produces into its staging directory (:meth:`Warehouse.stage_table`);
downstream steps of the same run read the staged version. When every step of the run has
passed, :meth:`Warehouse.commit` completes the staging directory into a snapshot (tables the run
did not produce, ``_raw/`` and ``landing/`` are hard-linked from the current snapshot, so their
bytes and inodes stay the same; the run's raw provenance replaces its own files in ``_raw/``),
writes its ``catalog.json``, renames it into ``snapshots/`` and replaces the root symlink with
:func:`os.replace`, atomic on POSIX: readers see the old snapshot or the new one, never a mix,
and the catalog always describes the tables beside it. A failed run discards its staging
directory; a killed one leaves it behind, invisible, and the next writer removes it
(:meth:`Warehouse.recover`). The previous snapshot is kept (readers in flight), older ones are
removed. A reader wanting one consistent snapshot across several tables resolves the root once
(``os.path.realpath``; :func:`pipeline.warehouse.read_table` resolves each table once). A root
that is a plain directory (an older layout with ``.publish/`` inside, or a copy made with
``cp -rL``) holding nothing but warehouse entries (:meth:`Warehouse.check_root`) is adopted by the next writer: made a snapshot by hard links and swapped for the
link in one step (:func:`pipeline.warehouse.switch.switch_root`). A directory of the snapshot
that is no table (``briefs/``, the country briefs of :mod:`pipeline.briefs.publish`) rides the
same switch: staged by the run that writes it, hard-linked into a next snapshot that restages
no table, dropped by one that restages tables without it (its figures would no longer equal
their cells), never in the catalog. The live sources' response cache ``landing/`` is written
into the current snapshot while a run goes on and carried into the next: a response landed
between that copy and the switch is fetched again by a later run (a cache, never a table).

On object storage (issue 18) the same shape holds without symlinks: snapshots under a prefix
beside the root's, and the switch a single pointer object (one atomic PUT) naming the current
snapshot prefix, which readers resolve once and glob: ``Warehouse(root)`` of an ``s3://`` URL is
an :class:`pipeline.warehouse.object_publish.ObjectWarehouse` with the same methods.
"""
from __future__ import annotations

import json
import os
import shutil
import uuid
from datetime import datetime, timezone
from pathlib import Path
from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd
import pyarrow as pa

from pipeline.warehouse import lock
from pipeline.warehouse.catalog import CATALOG_FILE
from pipeline.warehouse.objects import is_remote
from pipeline.warehouse.parquet import PublishedTable, write_files
from pipeline.warehouse.switch import fsync_dir, link_or_copy, link_path, link_tree, store_dir, switch_root

T = TypeVar("T")
CARRIED = ("landing", "_raw")  # directories of every snapshot that are no table
BRIEFS_DIR = "briefs"  # pipeline/briefs/publish.py: country briefs, no table
RAW_STAGE = ".raw"
PREVIOUS_FILE = "previous"  # in the store: the snapshot the last switch replaced  # a run's raw provenance in its staging (hidden: no table)


# A plain file where the layout before kept its store (``<root>/.publish/``): a run of the older
# code, still loaded by a `dagster dev` or daemon started before an upgrade, fails at once on it
# ("File exists") instead of writing its store into the published snapshot.
GUARD_TEXT = ("This warehouse is published by a newer version of the pipeline: its snapshots and lock are in "
              "{store}. A run failing on this file runs older code: restart `dagster dev` or the daemon on the "
              "new code.\n")


class WarehouseRootError(RuntimeError):
    """TRADE_WAREHOUSE_DIR cannot become the switched link without damage (:meth:`Warehouse.check_root`)."""


class Warehouse:
    """The published warehouse under ``root`` (module docstring); for an object-store URL
    (``s3://bucket/prefix``), an :class:`pipeline.warehouse.object_publish.ObjectWarehouse`."""

    def __new__(cls, root: Path | str | Any = None):
        if cls is Warehouse and is_remote(root):
            from pipeline.warehouse.object_publish import ObjectWarehouse

            return ObjectWarehouse(root)
        return super().__new__(cls)

    def __init__(self, root: Path | str):
        self.root = Path(root)
        self.link = link_path(root)  # the root, its parent resolved: the switched symlink
        self.meta = store_dir(root)
        self.snapshots = self.meta / "snapshots"
        self.staging = self.meta / "staging"

    # -- reading ---------------------------------------------------------------------------
    def current(self) -> Path | None:
        """The published snapshot's directory, or None before the first publish (a root that
        links elsewhere than into its own store is no snapshot: :meth:`check_root`)."""
        if self.link.is_symlink() and self.link.is_dir():
            target = Path(os.path.realpath(self.link))
            if target.parent == Path(os.path.realpath(self.snapshots)):
                return target
        return None

    def check_root(self) -> None:
        """Refuse, before a writer changes anything, a root it would damage: a symlink of the
        user's to a directory elsewhere (the first publish would replace the link), or a plain
        directory holding entries that are no part of a warehouse (they would be removed with
        the directory when the root becomes the switched link)."""
        if self.link.is_symlink() and self.current() is None and self.link.exists():
            raise WarehouseRootError(
                f"TRADE_WAREHOUSE_DIR={self.root} is a symlink to {os.path.realpath(self.link)}, not to a snapshot "
                f"of {self.meta}: set TRADE_WAREHOUSE_DIR to {os.path.realpath(self.link)} itself (the warehouse root "
                "becomes a link to its published snapshot, so it cannot be a link of its own)")
        if self.link.is_dir() and not self.link.is_symlink():
            if foreign := self.foreign_entries(self.link):
                raise WarehouseRootError(
                    f"TRADE_WAREHOUSE_DIR={self.root} holds {len(foreign)} entr{'ies' if len(foreign) > 1 else 'y'} that "
                    f"are no part of a warehouse: {foreign[:10]}. Move them elsewhere (the first publish makes the "
                    "warehouse root a link to its snapshot, and the plain directory is removed), or choose an empty "
                    "or new TRADE_WAREHOUSE_DIR. Nothing was changed.")

    def foreign_entries(self, root: Path) -> list[str]:
        """Entries of a plain root that a warehouse does not hold: anything but ``catalog.json``,
        the carried directories, briefs, an older layout's ``.publish`` store, leftover temporary
        links, and table directories (directories holding Parquet files)."""
        known = {CATALOG_FILE, BRIEFS_DIR, ".publish", *CARRIED}
        return sorted(p.name for p in root.iterdir() if p.name not in known
                      and not (p.name.startswith(".") and p.name.endswith(".link"))
                      and not (p.is_dir() and any(p.rglob("*.parquet"))))

    def visible(self) -> Path | None:
        """What a reader of the root sees: the current snapshot, or a plain root directory (an
        older layout or a copy, adopted by the next writer)."""
        return self.current() or (self.link if self.link.is_dir() else None)

    def stage_dir(self, run_id: str) -> Path:
        return self.staging / run_id

    def is_staged(self, run_id: str | None, name: str) -> bool:
        return bool(run_id) and (self.stage_dir(run_id) / name).is_dir()

    def location(self, name: str, run_id: str | None = None) -> Path:
        """Where table ``name`` is read by run ``run_id``: its staged version, else the published."""
        return self.stage_dir(run_id) if self.is_staged(run_id, name) else self.root

    def catalog(self) -> dict[str, Any]:
        seen = self.visible()
        path = seen / CATALOG_FILE if seen else None
        return json.loads(path.read_text()) if path is not None and path.is_file() else {"tables": {}}

    def tables(self, snapshot: Path | None) -> list[str]:
        if snapshot is None:
            return []
        return sorted(p.name for p in snapshot.iterdir() if p.is_dir() and not p.name.startswith(".")
                      and p.name not in CARRIED)

    # -- a run's staging -------------------------------------------------------------------
    def stage_table(self, run_id: str, frame: pd.DataFrame, name: str, schema: pa.Schema,
                    partition_column: str | None, metadata: dict[str, Any]) -> PublishedTable:
        """Write table ``name`` of run ``run_id`` where no reader looks (module docstring)."""
        seen = self.visible()
        previous = seen / name if seen and (seen / name).is_dir() else None
        base = self.stage_dir(run_id) / name
        written = write_files(frame, base, schema, partition_column, metadata, previous)
        visible = self.root / name
        return PublishedTable(name, visible, len(frame), tuple(visible / p.relative_to(base) for p in written),
                              partition_column)

    def stage_entry(self, run_id: str, entry: dict[str, Any]) -> None:
        """The catalog entry of a staged table (merged into the catalog at commit)."""
        folder = self.stage_dir(run_id) / ".entries"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{entry['name']}.json").write_text(json.dumps(entry, indent=2))

    def stage_raw(self, run_id: str, name: str, text: str) -> Path:
        """What raw asset ``name`` of run ``run_id`` discovered (provenance JSON), published to
        ``_raw/`` with the run's tables: a failed run leaves the last good run's record."""
        path = self.stage_dir(run_id) / RAW_STAGE / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def raw_path(self, name: str, run_id: str | None = None) -> Path:
        """Raw provenance ``name`` as run ``run_id`` staged it, else as published."""
        staged = self.stage_dir(run_id) / RAW_STAGE / f"{name}.json" if run_id else None
        return staged if staged is not None and staged.is_file() else self.root / "_raw" / f"{name}.json"

    def _merge_raw(self, stage: Path) -> None:
        """The run's staged raw provenance replaces its own files in the snapshot's ``_raw/``."""
        folder = stage / RAW_STAGE
        if not folder.is_dir():
            return
        target = stage / "_raw"
        target.mkdir(exist_ok=True)
        for path in sorted(folder.glob("*.json")):
            os.replace(path, target / path.name)  # a new name entry: the old snapshot's file stays
        shutil.rmtree(folder, ignore_errors=True)

    def discard(self, run_id: str) -> None:
        shutil.rmtree(self.stage_dir(run_id), ignore_errors=True)

    def left_staged(self, run_id: str) -> bool:
        """True when run ``run_id`` staged something that was not published."""
        return self.stage_dir(run_id).exists()

    def published_by(self, run_id: str) -> bool:
        """True when the current snapshot is run ``run_id``'s: its id ends with the run id's first
        8 characters and its catalog names the run (the full id: ``brief-12001-...`` and
        ``brief-12345-...`` share those 8 characters)."""
        current = self.current()
        if current is None or not current.name.endswith(f"-{run_id[:8]}"):
            return False
        try:
            return json.loads((current / CATALOG_FILE).read_text()).get("run_id") == run_id
        except (FileNotFoundError, ValueError):
            return False

    # -- the switch ------------------------------------------------------------------------
    def commit(self, run_id: str) -> str | None:
        """Publish every table run ``run_id`` staged, together; return the snapshot id (None when
        the run staged nothing). The caller holds the warehouse lock."""
        return self._publish(run_id) if self.stage_dir(run_id).is_dir() else None

    def _publish(self, run_id: str, adopt: bool = False) -> str:
        """:meth:`commit`; ``adopt``: the snapshot is what readers see now (a plain root), its
        ``catalog.json`` kept byte for byte."""
        self.check_root()
        stage = self.stage_dir(run_id)
        seen = self.visible()
        staged = set(self.tables(stage))
        for name in self.tables(seen):
            # Briefs quote the tables of their snapshot: a run that restages tables without
            # briefs drops them rather than publish briefs that no longer equal their cells.
            if name not in staged and not (name == BRIEFS_DIR and staged):
                link_tree(seen / name, stage / name)
        for name in CARRIED:
            if seen is not None and (seen / name).is_dir():
                link_tree(seen / name, stage / name)
        self._merge_raw(stage)
        (stage / lock.LEGACY_STORE).write_text(GUARD_TEXT.format(store=self.meta))
        snapshot_id = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S%fZ}-{run_id[:8]}"
        if adopt and seen is not None and (seen / CATALOG_FILE).is_file():
            link_or_copy(str(seen / CATALOG_FILE), str(stage / CATALOG_FILE))
        else:
            self._write_catalog(stage, snapshot_id, run_id)
        self.snapshots.mkdir(parents=True, exist_ok=True)
        previous = self.current()
        if previous is not None:  # kept for readers in flight, by name: not by the clock
            tmp = self.meta / f".{PREVIOUS_FILE}.{os.getpid()}.tmp"
            tmp.write_text(previous.name + "\n")
            os.replace(tmp, self.meta / PREVIOUS_FILE)
        os.rename(stage, self.snapshots / snapshot_id)
        fsync_dir(self.snapshots)
        switch_root(f"{self.meta.name}/snapshots/{snapshot_id}", self.link,
                    self.meta / f"retired-{uuid.uuid4().hex[:8]}")  # the switch
        fsync_dir(self.link.parent)
        self._collect(keep=snapshot_id)
        return snapshot_id

    def _write_catalog(self, stage: Path, snapshot_id: str, run_id: str) -> None:
        """The published catalog with the run's entries merged, only tables the snapshot holds."""
        catalog = self.catalog()
        entries = stage / ".entries"
        for path in sorted(entries.glob("*.json")) if entries.is_dir() else []:
            entry = json.loads(path.read_text())
            catalog.setdefault("tables", {})[entry["name"]] = entry
        shutil.rmtree(entries, ignore_errors=True)
        catalog.update(snapshot=snapshot_id, run_id=run_id,
                       published_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
        catalog["tables"] = {k: catalog["tables"][k] for k in sorted(catalog.get("tables", {}))
                             if (stage / k).is_dir()}
        with open(stage / CATALOG_FILE, "w") as handle:
            handle.write(json.dumps(catalog, indent=2) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def _collect(self, keep: str) -> None:
        """Remove snapshots but ``keep`` and the one published before it (readers in flight):
        the one named in ``<store>/previous`` at the switch, so a clock set back between two
        publishes (snapshot ids begin with the time) never removes the snapshot readers are on;
        without that file (a store of an older version), the newest id before ``keep``."""
        ids = sorted(p.name for p in self.snapshots.iterdir()) if self.snapshots.is_dir() else []
        named = self.meta / PREVIOUS_FILE
        previous = named.read_text().strip() if named.is_file() else None
        if previous not in ids or previous == keep:
            older = [i for i in ids if i < keep]
            previous = older[-1] if older else None
        for snapshot in ids:
            if snapshot not in (keep, previous):
                shutil.rmtree(self.snapshots / snapshot, ignore_errors=True)

    # -- after a crash ---------------------------------------------------------------------
    def recover(self) -> list[str]:
        """Clear what killed writers left (staging, unfinished snapshots, temporary links,
        retired directories) and bring a root that is a plain directory (an older layout, or a
        copy) under snapshots. The caller holds the lock, so nothing here belongs to a live
        writer. Returns what was done, for the run's log."""
        notes = []
        self.check_root()
        if self.staging.is_dir():
            for leftover in sorted(self.staging.iterdir()):
                shutil.rmtree(leftover, ignore_errors=True)
                notes.append(f"removed the staged tables of run {leftover.name}, which never finished")
        for tmp in sorted(self.link.parent.glob(f".{self.link.name}.*.link")):
            if tmp.is_symlink() and tmp.exists() and not self.link.exists() and not self.link.is_symlink():
                os.replace(tmp, self.link)  # killed between moving a plain root aside and the switch
            elif tmp.is_dir() and not tmp.is_symlink():
                shutil.rmtree(tmp, ignore_errors=True)  # a plain root swapped out, not yet removed
            else:
                tmp.unlink(missing_ok=True)
        for retired in self.meta.glob("retired-*") if self.meta.is_dir() else []:
            shutil.rmtree(retired, ignore_errors=True)
        if self._plain_root():  # an older version's run cannot write it: lock.acquire holds its lock too
            notes.append(self._adopt())
        current = self.current()
        if current is not None:
            self._collect(keep=current.name)
        return notes

    def _plain_root(self) -> bool:
        root = self.link
        return (root.is_dir() and not root.is_symlink()
                and ((root / CATALOG_FILE).is_file() or any(any((root / t).rglob("*.parquet"))
                                                           for t in self.tables(root))))

    def _adopt(self) -> str:
        """Make the plain root directory the current snapshot (hard links, one switch)."""
        count = len(self.tables(self.link)) + (self.link / CATALOG_FILE).is_file()
        run_id = f"adopted-{uuid.uuid4().hex[:8]}"
        self.stage_dir(run_id).mkdir(parents=True)
        snapshot_id = self._publish(run_id, adopt=True)
        return f"brought {count} plain table directories and files under snapshot {snapshot_id}"


def publish_alone(root: Path | str, stage: Callable[[Warehouse, str], T]) -> T:
    """A run of one outside Dagster: lock ``root``, recover, ``stage(warehouse, run_id)``, commit
    (one switch, like a run's); returns what ``stage`` returned."""
    run_id = f"direct-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    warehouse = Warehouse(root)
    lock.acquire(root, run_id)
    try:
        warehouse.recover()
        result = stage(warehouse, run_id)
        warehouse.commit(run_id)
        return result
    finally:
        warehouse.discard(run_id)
        lock.release(root, run_id)


def write_table(frame: pd.DataFrame, root: Path | str, name: str, schema: pa.Schema,
                partition_column: str | None, metadata: dict[str, Any],
                entry: Callable[[PublishedTable], dict[str, Any]] | None = None) -> PublishedTable:
    """Publish one table on its own, as a run of one table; ``entry`` gives its catalog entry
    (published in the same switch; without it the catalog keeps the table's previous entry)."""
    def stage(warehouse: Warehouse, run_id: str) -> PublishedTable:
        published = warehouse.stage_table(run_id, frame, name, schema, partition_column, metadata)
        if entry is not None:
            warehouse.stage_entry(run_id, entry(published))
        return published

    return publish_alone(root, stage)
