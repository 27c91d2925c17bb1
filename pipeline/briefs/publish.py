"""Publishing briefs the way the warehouse publishes tables (issue 14): never half-written.

Inside a run, the briefs are written into the run's staging directory (``briefs/`` beside its
staged tables) from the tables that run staged over the published ones, and the run's one
atomic switch publishes them with its tables; a failed run discards them. Outside a run
(``python -m assets.brief``), :func:`publish_briefs` is a run of its own, as
:func:`pipeline.warehouse.write_table` is for one table: lock, recover, stage the published
briefs (hard links) plus the new ones, switch.
"""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from pipeline.briefs.build import existing_headlines, write_briefs
from pipeline.briefs.reader import WarehouseNotPublished, WarehouseView
from pipeline.warehouse import lock
from pipeline.warehouse.objects import as_path, is_remote
from pipeline.warehouse.publish import BRIEFS_DIR, Warehouse


def stage_briefs(root: Path | str, run_id: str, countries: list[str]) -> tuple[Path, dict[str, dict[str, Any]]]:
    """Write the briefs of ``countries`` into run ``run_id``'s staging directory, from the tables
    as that run sees them; returns the staged directory and the briefs."""
    view = WarehouseView(root, run_id)
    out_dir = Warehouse(root).stage_dir(run_id) / BRIEFS_DIR
    if out_dir.exists():  # a retried step starts again
        remove_tree(out_dir)
    return out_dir, write_briefs(view, countries, out_dir)


def publish_briefs(root: Path | str, countries: list[str]) -> dict[str, dict[str, Any]]:
    """Write the briefs of ``countries`` from the published warehouse and publish them (with the
    briefs already published for other countries) in one switch. Raises
    :class:`WarehouseNotPublished` before the first publish and :class:`lock.WarehouseBusy` while
    a refresh holds the warehouse."""
    root = as_path(root)
    warehouse = Warehouse(root)
    if warehouse.visible() is None:
        WarehouseView(root)  # raises WarehouseNotPublished with the fix
    run_id = f"brief-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    lock.acquire(root, run_id)
    try:
        warehouse.recover()
        view = WarehouseView(root)
        out_dir = warehouse.stage_dir(run_id) / BRIEFS_DIR
        published = view.snapshot / BRIEFS_DIR if view.snapshot else None
        if published is not None and published.is_dir():
            copy_tree(published, out_dir)
        keep = existing_headlines(out_dir)
        briefs = write_briefs(view, countries, out_dir, keep=keep)
        warehouse.commit(run_id)
        return briefs
    finally:
        warehouse.discard(run_id)
        lock.release(root, run_id)


def remove_tree(folder) -> None:
    if is_remote(folder):
        folder.fs.rm(folder.path, recursive=True)
    else:
        shutil.rmtree(folder)


def copy_tree(source, target) -> None:
    """``target`` as a copy of ``source``: hard links, or server-side copies on object storage."""
    if is_remote(source):
        for key in source.fs.find(source.path):
            source.fs.copy(key, target.path + key[len(source.path):])
    else:
        shutil.copytree(source, target, copy_function=os.link)


__all__ = ["BRIEFS_DIR", "WarehouseNotPublished", "publish_briefs", "stage_briefs"]
