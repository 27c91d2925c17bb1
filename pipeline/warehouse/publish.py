"""All-or-nothing publishing: a run stages its tables, and one atomic switch publishes them all.

Layout (chosen by measurement against Delta Lake and Iceberg: ``benchmarks/bench_publish.py``)::

    <root>/catalog.json  -> .publish/current/catalog.json     symlinks: what every reader opens
    <root>/<table>       -> .publish/current/<table>
    <root>/.publish/current -> snapshots/<id>                  THE switch (one symlink)
    <root>/.publish/snapshots/<id>/<table>/year=<y>/part-0.parquet, catalog.json
    <root>/.publish/staging/<run id>/<table>/...               a run's tables, not yet visible

A run writes each table it produces into its staging directory (:meth:`Warehouse.stage_table`);
downstream steps of the same run read the staged version. When every step of the run has
passed, :meth:`Warehouse.commit` completes the staging directory into a snapshot (tables the run
did not produce are hard-linked from the current snapshot, so their bytes and inodes stay the
same), writes its ``catalog.json``, renames it into ``snapshots/`` and replaces the ``current``
symlink with :func:`os.replace`, atomic on POSIX: readers see the old snapshot or the new one,
never a mix, and the catalog always describes the tables beside it. A failed run discards its
staging directory; a killed one leaves it behind, invisible, and the next writer removes it
(:meth:`Warehouse.recover`). ``pd.read_parquet("warehouse/<table>")``, pyarrow, DuckDB and
Polars globs read through the symlinks with nothing more than before. The previous snapshot is
kept (readers in flight), older ones are removed. A reader wanting one consistent snapshot
across several tables resolves ``.publish/current`` once (:func:`pipeline.warehouse.read_table`
resolves each table's path once). A directory of the snapshot that is no table (``briefs/``, the
country briefs of :mod:`pipeline.briefs.publish`) rides the same switch: staged by the run that
writes it, hard-linked into a next snapshot that restages no table, dropped by one that restages
tables without it (its figures would no longer equal their cells), never in the catalog.
"""
from __future__ import annotations

import json
import os
import shutil
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from pipeline.warehouse import lock
from pipeline.warehouse.catalog import CATALOG_FILE
from pipeline.warehouse.parquet import PublishedTable, write_files

PUBLISH_DIR = ".publish"
KEEP_BEHIND = {"landing", "_raw", PUBLISH_DIR}
BRIEFS_DIR = "briefs"  # pipeline/briefs/publish.py: country briefs, no table
RAW_STAGE = ".raw"  # a run's raw provenance in its staging (hidden: no table)  # never tables: API answers, raw provenance, this


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _symlink(target: str, link: Path) -> None:
    """Point ``link`` at ``target`` atomically (a temporary link renamed over it)."""
    tmp = link.with_name(f".{link.name}.{os.getpid()}.{uuid.uuid4().hex[:6]}.link")
    os.symlink(target, tmp)
    os.replace(tmp, link)


def _link_tree(source: Path, target: Path) -> None:
    """``target`` as a copy of directory ``source`` made of hard links (no byte is copied)."""
    shutil.copytree(source, target, copy_function=os.link)


class Warehouse:
    """The published warehouse under ``root`` (module docstring)."""

    def __init__(self, root: Path | str):
        self.root = Path(root)
        self.meta = self.root / PUBLISH_DIR
        self.snapshots = self.meta / "snapshots"
        self.staging = self.meta / "staging"
        self.current_link = self.meta / "current"

    # -- reading ---------------------------------------------------------------------------
    def current(self) -> Path | None:
        """The published snapshot's directory, or None before the first publish."""
        if self.current_link.is_symlink() and self.current_link.is_dir():
            return Path(os.path.realpath(self.current_link))
        return None

    def stage_dir(self, run_id: str) -> Path:
        return self.staging / run_id

    def is_staged(self, run_id: str | None, name: str) -> bool:
        return bool(run_id) and (self.stage_dir(run_id) / name).is_dir()

    def location(self, name: str, run_id: str | None = None) -> Path:
        """Where table ``name`` is read by run ``run_id``: its staged version, else the published."""
        return self.stage_dir(run_id) if self.is_staged(run_id, name) else self.root

    def catalog(self) -> dict[str, Any]:
        current = self.current()
        path = current / CATALOG_FILE if current else self.root / CATALOG_FILE
        return json.loads(path.read_text()) if path.is_file() else {"tables": {}}

    def tables(self, snapshot: Path | None) -> list[str]:
        if snapshot is None:
            return []
        return sorted(p.name for p in snapshot.iterdir() if p.is_dir() and not p.name.startswith("."))

    # -- a run's staging -------------------------------------------------------------------
    def stage_table(self, run_id: str, frame: pd.DataFrame, name: str, schema: pa.Schema,
                    partition_column: str | None, metadata: dict[str, Any]) -> PublishedTable:
        """Write table ``name`` of run ``run_id`` where no reader looks (module docstring)."""
        current = self.current()
        previous = current / name if current and (current / name).is_dir() else None
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

    def _publish_raw(self, snapshot: Path) -> None:
        """Move the run's staged raw provenance into ``_raw/`` (after the switch: each file
        replaced atomically)."""
        folder = snapshot / RAW_STAGE
        if not folder.is_dir():
            return
        target = self.root / "_raw"
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted(folder.glob("*.json")):
            os.replace(path, target / path.name)
        shutil.rmtree(folder, ignore_errors=True)

    def discard(self, run_id: str) -> None:
        shutil.rmtree(self.stage_dir(run_id), ignore_errors=True)

    # -- the switch ------------------------------------------------------------------------
    def commit(self, run_id: str) -> str | None:
        """Publish every table run ``run_id`` staged, together; return the snapshot id (None when
        the run staged nothing). The caller holds the warehouse lock."""
        stage = self.stage_dir(run_id)
        if not stage.is_dir():
            return None
        current = self.current()
        staged = set(self.tables(stage))
        for name in self.tables(current):
            # Briefs quote the tables of their snapshot: a run that restages tables without
            # briefs drops them rather than publish briefs that no longer equal their cells.
            if name not in staged and not (name == BRIEFS_DIR and staged):
                _link_tree(current / name, stage / name)
        catalog = self.catalog()
        entries = stage / ".entries"
        for path in sorted(entries.glob("*.json")) if entries.is_dir() else []:
            entry = json.loads(path.read_text())
            catalog.setdefault("tables", {})[entry["name"]] = entry
        shutil.rmtree(entries, ignore_errors=True)
        snapshot_id = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S%fZ}-{run_id[:8]}"
        catalog.update(snapshot=snapshot_id, run_id=run_id,
                       published_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
        catalog["tables"] = {k: catalog["tables"][k] for k in sorted(catalog.get("tables", {}))
                             if (stage / k).is_dir()}
        with open(stage / CATALOG_FILE, "w") as handle:
            handle.write(json.dumps(catalog, indent=2) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self.snapshots.mkdir(parents=True, exist_ok=True)
        os.rename(stage, self.snapshots / snapshot_id)
        _fsync_dir(self.snapshots)
        for name in [*self.tables(self.snapshots / snapshot_id), CATALOG_FILE]:
            link = self.root / name
            if not link.is_symlink():
                _symlink(f"{PUBLISH_DIR}/current/{name}", link)
        _symlink(f"snapshots/{snapshot_id}", self.current_link)  # the switch
        _fsync_dir(self.meta)
        self._publish_raw(self.snapshots / snapshot_id)
        self._collect(keep=snapshot_id)
        return snapshot_id

    def _collect(self, keep: str) -> None:
        """Remove snapshots but ``keep`` and the newest one before it (readers in flight)."""
        ids = sorted(p.name for p in self.snapshots.iterdir()) if self.snapshots.is_dir() else []
        older = [i for i in ids if i < keep]
        for snapshot in ids:
            if snapshot != keep and snapshot != (older[-1] if older else None):
                shutil.rmtree(self.snapshots / snapshot, ignore_errors=True)

    # -- after a crash ---------------------------------------------------------------------
    def recover(self) -> list[str]:
        """Clear what killed writers left (staging, unfinished snapshots, temporary links) and
        bring a warehouse of plain directories (an older layout, or a dereferenced copy) under
        snapshots. The caller holds the lock, so nothing here belongs to a live writer.
        Returns what was done, for the run's log."""
        notes = []
        if self.staging.is_dir():
            for leftover in sorted(self.staging.iterdir()):
                shutil.rmtree(leftover, ignore_errors=True)
                notes.append(f"removed the staged tables of run {leftover.name}, which never finished")
        for tmp in list(self.root.glob(".*.link")) + list(self.meta.glob(".*.link")):
            tmp.unlink(missing_ok=True)
        if self._plain_entries():
            notes.append(self._adopt())
        current = self.current()
        if current is not None:
            self._collect(keep=current.name)
            for link in self.root.iterdir():
                if link.is_symlink() and not link.exists() and link.name != CATALOG_FILE:
                    link.unlink()  # a table a killed commit linked but never published
        return notes

    def _plain_entries(self) -> list[Path]:
        return [p for p in self.root.iterdir() if not p.is_symlink() and p.name not in KEEP_BEHIND
                and not p.name.startswith(".")
                and (p.name == CATALOG_FILE or (p.is_dir() and any(p.rglob("*.parquet"))))]

    def _adopt(self) -> str:
        """Make the plain table directories and catalog.json under root the current snapshot."""
        plain = self._plain_entries()
        if self.current_link.exists() and not self.current_link.is_symlink():
            shutil.rmtree(self.current_link)  # a copy of the warehouse made the switch a directory
        snapshot_id = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S%fZ}-adopted"
        target = self.snapshots / snapshot_id
        target.mkdir(parents=True)
        for entry in plain:
            if entry.is_dir():
                _link_tree(entry, target / entry.name)
            else:
                os.link(entry, target / entry.name)
        _symlink(f"snapshots/{snapshot_id}", self.current_link)
        for entry in plain:  # a directory cannot be renamed over: moved aside, then linked
            if entry.is_dir():
                aside = self.meta / f"adopted-{uuid.uuid4().hex[:8]}"
                os.rename(entry, aside)
                _symlink(f"{PUBLISH_DIR}/current/{entry.name}", entry)
                shutil.rmtree(aside)
            else:
                _symlink(f"{PUBLISH_DIR}/current/{entry.name}", entry)
        self._collect(keep=snapshot_id)
        return f"brought {len(plain)} plain table directories and files under snapshot {snapshot_id}"


def write_table(frame: pd.DataFrame, root: Path | str, name: str, schema: pa.Schema,
                partition_column: str | None, metadata: dict[str, Any]) -> PublishedTable:
    """Publish one table on its own, as a run of one table: lock, recover, stage, commit."""
    run_id = f"direct-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    warehouse = Warehouse(root)
    lock.acquire(root, run_id)
    try:
        warehouse.recover()
        published = warehouse.stage_table(run_id, frame, name, schema, partition_column, metadata)
        warehouse.commit(run_id)
        return published
    finally:
        warehouse.discard(run_id)
        lock.release(root, run_id)
