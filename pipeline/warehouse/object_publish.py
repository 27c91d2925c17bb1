"""All-or-nothing publishing on object storage: snapshot prefixes, and one pointer object as the switch.

Object stores have no rename and no symlink, but a PUT of one object is atomic: a reader gets
the old object or the new one, never part of either. So (layout: :mod:`pipeline.warehouse.objects`):

- a run writes each table it produces straight into a snapshot prefix of its own,
  ``<prefix>.publish/snapshots/<run id>/``, that no reader is pointed at;
- when every step has passed, :meth:`ObjectWarehouse.commit` completes that prefix: tables the
  run did not produce, ``_raw/`` and ``landing/`` are copied from the current snapshot server-side
  (S3 CopyObject: no byte goes through this process; the briefs follow the rule of the local
  warehouse), the run's raw provenance is laid over ``_raw/``, ``catalog.json`` is written;
- then the switch: ``<prefix>/CURRENT`` is PUT, last, naming the new snapshot, conditional on the
  ETag it had when the run took the warehouse lock (``If-Match``; ``If-None-Match: *`` when
  nothing was published then; recorded by :func:`pipeline.warehouse.object_lock.acquire`), so not
  even a writer whose lock was broken wrongly (removed by hand, or taken over from a live run
  marked failed) can publish over a snapshot published since it took the warehouse: every table
  it read or staged came from the snapshot it saw then. When the other writer published nothing
  (it recovered, removing this run's staging, then failed), the commit still refuses: it checks
  the lock object is still the one the run created (:func:`pipeline.warehouse.object_lock.still_held`)
  before the switch and when it finds no staging (:class:`LockBroken`).

A reader resolves ``CURRENT`` once and reads every table under that one snapshot
(:func:`pipeline.warehouse.objects.resolve`; README "The warehouse on object storage" for
pandas, pyarrow and DuckDB). Before the PUT nothing a reader can reach has changed; after it the
whole run is visible. A run killed at any point leaves at most a snapshot prefix that no pointer
names, which the next writer removes (:meth:`ObjectWarehouse.recover`); a failed run removes its
own. The snapshot CURRENT named just before (``previous_snapshot`` in the current snapshot's
catalog, so it goes with the pointer whatever a kill interrupts) is never removed, for readers
in flight; older ones are removed by the next publish or recovery. Snapshot ids are the run ids (unique), so a
snapshot's prefix is fixed from the run's first staged table.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pandas as pd
import pyarrow as pa

from pipeline.warehouse import object_lock
from pipeline.warehouse.catalog import CATALOG_FILE
from pipeline.warehouse.objects import POINTER, as_path, etag_of, url
from pipeline.warehouse.parquet import PublishedTable, write_files

CARRIED = ("landing", "_raw")
BRIEFS_DIR = "briefs"
RAW_STAGE = ".raw"
ENTRIES = ".entries"
PREVIOUS = "previous"


class PointerMoved(RuntimeError):
    """``CURRENT`` changed since the run took the warehouse (another writer, while this run's lock was broken)."""


class LockBroken(RuntimeError):
    """The run's warehouse lock was broken while it ran (removed by hand, or taken over from a
    run thought dead): what it staged may have been removed by the other writer's recovery."""


class ObjectWarehouse:
    """The published warehouse under an object-store URL (module docstring); the same methods as
    :class:`pipeline.warehouse.publish.Warehouse`, which returns this class for such a root."""

    def __init__(self, root: Any):
        self.root = as_path(root)
        self.meta = as_path(f"{url(self.root)}.publish")
        self.snapshots = self.meta / "snapshots"
        self.staging = self.snapshots
        self.pointer = self.root / POINTER
        self.fs = self.root.fs

    # -- reading ---------------------------------------------------------------------------
    def _pointer(self) -> tuple[str | None, str | None]:
        """The snapshot URL ``CURRENT`` names and the pointer's ETag; (None, None) before the first publish."""
        try:
            info = self.fs.info(self.pointer.path)
            text = self.fs.cat_file(self.pointer.path).decode().strip()
        except FileNotFoundError:
            return None, None
        return text or None, etag_of(info)

    def current(self):
        """The published snapshot (a UPath), or None before the first publish."""
        target, _ = self._pointer()
        if target is None:
            return None
        snapshot = as_path(target)
        return snapshot if snapshot.parent.path.rstrip("/") == self.snapshots.path.rstrip("/") else None

    def visible(self):
        return self.current()

    def check_root(self) -> None:
        """Nothing to refuse: the root prefix holds only ``CURRENT`` (other objects under it are
        never touched nor read)."""

    def stage_dir(self, run_id: str):
        return self.snapshots / run_id

    def is_staged(self, run_id: str | None, name: str) -> bool:
        return bool(run_id) and self.fs.isdir((self.stage_dir(run_id) / name).path)

    def location(self, name: str, run_id: str | None = None):
        """Where table ``name`` is read by run ``run_id``: its staged version, else the current
        snapshot (resolved now), else the root (where nothing is)."""
        if self.is_staged(run_id, name):
            return self.stage_dir(run_id)
        return self.current() or self.root

    def catalog(self) -> dict[str, Any]:
        seen = self.current()
        if seen is None:
            return {"tables": {}}
        try:
            return json.loads((seen / CATALOG_FILE).read_text())
        except FileNotFoundError:
            return {"tables": {}}

    def _dirs(self, folder) -> list[str]:
        try:
            listing = self.fs.ls(folder.path, detail=True)
        except FileNotFoundError:
            return []
        return sorted(e["name"].rstrip("/").rsplit("/", 1)[-1] for e in listing if e["type"] == "directory")

    def tables(self, snapshot) -> list[str]:
        if snapshot is None:
            return []
        return [n for n in self._dirs(snapshot) if not n.startswith(".") and n not in CARRIED]

    # -- a run's staging -------------------------------------------------------------------
    def stage_table(self, run_id: str, frame: pd.DataFrame, name: str, schema: pa.Schema,
                    partition_column: str | None, metadata: dict[str, Any]) -> PublishedTable:
        seen = self.current()
        previous = seen / name if seen is not None and self.fs.isdir((seen / name).path) else None
        base = self.stage_dir(run_id) / name
        written = write_files(frame, base, schema, partition_column, metadata, previous)
        # Where the table is once the run publishes: its snapshot (the id is the run's), never
        # the root prefix, which holds nothing but CURRENT.
        return PublishedTable(name, base, len(frame), tuple(written), partition_column)

    def stage_entry(self, run_id: str, entry: dict[str, Any]) -> None:
        (self.stage_dir(run_id) / ENTRIES / f"{entry['name']}.json").write_text(json.dumps(entry, indent=2))

    def stage_raw(self, run_id: str, name: str, text: str):
        path = self.stage_dir(run_id) / RAW_STAGE / f"{name}.json"
        path.write_text(text)
        return path

    def raw_path(self, name: str, run_id: str | None = None):
        if run_id:
            staged = self.stage_dir(run_id) / RAW_STAGE / f"{name}.json"
            if staged.is_file():
                return staged
        return (self.current() or self.root) / "_raw" / f"{name}.json"

    def left_staged(self, run_id: str) -> bool:
        """True when run ``run_id`` staged something that was not published."""
        current = self.current()
        return self.fs.isdir(self.stage_dir(run_id).path) and (current is None or current.name != run_id)

    def published_by(self, run_id: str) -> bool:
        current = self.current()
        return current is not None and current.name == run_id

    def discard(self, run_id: str) -> None:
        """Remove run ``run_id``'s snapshot prefix, unless it is published (then it is the snapshot)."""
        if self.published_by(run_id):
            return
        stage = self.stage_dir(run_id)
        if self.fs.isdir(stage.path):
            self.fs.rm(stage.path, recursive=True)

    # -- the switch ------------------------------------------------------------------------
    def commit(self, run_id: str) -> str | None:
        """Publish every table run ``run_id`` staged, together (module docstring); the snapshot
        id, or None when the run staged nothing. The caller holds the warehouse lock."""
        stage = self.stage_dir(run_id)
        held, etag = object_lock.pointer_at_take(self.root, run_id)
        if not held:
            raise RuntimeError(f"run {run_id} does not hold the warehouse {url(self.root)} in this process: "
                               "take it (pipeline.warehouse.lock.acquire) before staging, then commit")
        target, now = self._pointer()
        # Published meanwhile: the PUT below would fail too (after copying for nothing); checked
        # before looking for the staging, which the other writer's recovery may have removed.
        if now != etag:
            raise self._moved(run_id, target)
        if not self.fs.isdir(stage.path):
            self._check_held(run_id)  # staged nothing, or its staging removed by another writer's recovery
            return None
        seen = self.current()
        staged = set(self.tables(stage))
        carried = [n for n in self.tables(seen) if n not in staged and not (n == BRIEFS_DIR and staged)]
        carried += [n for n in CARRIED if seen is not None and self.fs.isdir((seen / n).path)]
        for name in carried:
            self._copy_tree(seen / name, stage / name)
        raw = stage / RAW_STAGE
        if self.fs.isdir(raw.path):  # the run's raw provenance over the carried _raw/
            for key in self.fs.find(raw.path):
                self.fs.copy(key, f"{(stage / '_raw').path}/{key.rsplit('/', 1)[-1]}")
            self.fs.rm(raw.path, recursive=True)
        self._write_catalog(stage, run_id, seen.name if seen is not None else None)
        if seen is not None:  # for the code before ``previous_snapshot`` (this code reads the catalog first)
            (self.meta / PREVIOUS).write_text(seen.name + "\n")
        self._check_held(run_id)  # a broken lock, though the other writer published nothing
        self._switch(url(stage), etag)  # the switch
        self._collect({run_id, seen.name if seen is not None else run_id})
        return run_id

    def _copy_tree(self, source, target) -> None:
        """Every object under ``source`` copied server-side under ``target``."""
        for key in self.fs.find(source.path):
            self.fs.copy(key, target.path + key[len(source.path):])

    def _write_catalog(self, stage, run_id: str, previous: str | None) -> None:
        """The catalog with the run's entries, and ``previous_snapshot``: the snapshot CURRENT
        names until this one's switch, kept for readers in flight (:meth:`kept`). In the
        snapshot itself, so it always goes with what CURRENT names (a separate object written
        before or after the PUT would be wrong after a kill between the two)."""
        catalog = self.catalog()
        entries = stage / ENTRIES
        if self.fs.isdir(entries.path):
            for key in sorted(self.fs.find(entries.path)):
                entry = json.loads(self.fs.cat_file(key))
                catalog.setdefault("tables", {})[entry["name"]] = entry
            self.fs.rm(entries.path, recursive=True)
        catalog.update(snapshot=run_id, run_id=run_id, previous_snapshot=previous,
                       published_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
        held = set(self.tables(stage))
        catalog["tables"] = {k: catalog["tables"][k] for k in sorted(catalog.get("tables", {})) if k in held}
        (stage / CATALOG_FILE).write_text(json.dumps(catalog, indent=2) + "\n")

    def _switch(self, target: str, etag: str | None) -> None:
        """PUT ``CURRENT`` = ``target``, conditional on the pointer being as the commit found it.
        A failed condition when ``CURRENT`` names ``target`` is this PUT's own retry (botocore
        resends a PUT whose response was lost after the store applied it): the switch is done."""
        if not hasattr(self.fs, "call_s3"):  # gs:// (untested): a plain PUT, the lock alone keeps writers apart
            self.fs.pipe_file(self.pointer.path, (target + "\n").encode())
            return
        bucket, key, _ = self.fs.split_path(self.pointer.path)
        condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        try:
            self.fs.call_s3("put_object", Bucket=bucket, Key=key, Body=(target + "\n").encode(), **condition)
        except (OSError, FileExistsError) as exc:
            if "condition" in str(exc).lower() or isinstance(exc, FileExistsError):
                now = self._pointer()[0]
                if now == target:
                    return
                raise self._moved(target.rsplit("/", 1)[-1], now) from exc
            raise

    def _check_held(self, run_id: str) -> None:
        """Raise :class:`LockBroken` unless the lock object is still the one run ``run_id`` created."""
        if not object_lock.still_held(self.root, run_id):
            raise LockBroken(
                f"the lock of run {run_id} on {url(self.root)} was broken while it ran (removed by hand with "
                "`python -m pipeline.warehouse.object_lock unlock`, or taken over from a run thought dead); another "
                "writer may have removed or replaced what it staged, so nothing of this run was published and "
                f"{url(self.pointer)} is unchanged; run again")

    def _moved(self, run_id: str, now: str | None) -> PointerMoved:
        return PointerMoved(
            f"{url(self.pointer)} changed since run {run_id} took the warehouse (it names {now or 'nothing'} now): "
            "another writer published while this run's lock was broken (removed by hand, or taken over from a run "
            "thought dead). Nothing of this run was published, so the other run's snapshot stays; run again on it")

    def kept(self) -> set[str]:
        """The snapshots that are never removed: the one ``CURRENT`` names and the one it named
        just before (readers in flight), from the current catalog's ``previous_snapshot``; also
        the one in ``<prefix>.publish/previous`` (all a store of the code before has)."""
        current = self.current()
        keep = {current.name} if current is not None else set()
        if current is not None and (before := self.catalog().get("previous_snapshot")):
            keep.add(before)
        try:
            keep.add((self.meta / PREVIOUS).read_text().strip())
        except FileNotFoundError:
            pass
        return keep

    def _collect(self, keep: set[str]) -> None:
        """Remove snapshots but ``keep`` (the new one and the one it replaced) and :meth:`kept`."""
        keep = keep | self.kept()
        for name in self._dirs(self.snapshots):
            if name not in keep:
                self.fs.rm((self.snapshots / name).path, recursive=True)

    # -- after a crash ---------------------------------------------------------------------
    def recover(self) -> list[str]:
        """Remove the snapshot prefixes of runs that never switched (killed, or failed without
        cleaning up). The caller holds the lock, so none belongs to a live writer."""
        keep = self.kept()
        notes = []
        for name in self._dirs(self.snapshots):
            if name not in keep:
                self.fs.rm((self.snapshots / name).path, recursive=True)
                notes.append(f"removed the staged tables of run {name}, which never finished")
        return notes
