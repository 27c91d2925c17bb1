"""One writer at a time per warehouse: an exclusive lock that names its holder.

``<root>.publish/lock`` (in the snapshot store beside the root, :mod:`pipeline.warehouse.switch`) is locked with ``flock`` for as long as a run writes to the warehouse,
and holds a JSON record of that run (run id, process id, host, start time, Dagster instance,
state). A second writer is refused at once with that record in the message. The kernel releases
the lock when its process dies, however it dies; the record then still says ``running``, which
is how the next writer knows that the previous run was killed (:func:`acquire` returns it, so the
caller can mark that run failed and clear what it left behind). While the root is not yet a link
to a snapshot, the older layout's lock ``<root>/.publish/lock`` is held too (:func:`_take_legacy`).

Within one process the lock is re-entrant (the warehouse and raw IO managers of one run share it).
"""
from __future__ import annotations

import fcntl
import json
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.sources.base import utc_now
from pipeline.warehouse import object_lock
from pipeline.warehouse.objects import is_remote
from pipeline.warehouse.switch import link_path, store_dir

LOCK_FILE = "lock"  # in the store
LEGACY_STORE = ".publish"  # the store of the layout before (inside the root), with its own lock


def lock_path(root: Path | str) -> Path:
    return store_dir(root) / LOCK_FILE


class WarehouseBusy(RuntimeError):
    """Another run holds the warehouse; the message names it."""

    def __init__(self, root: Path | str, holder: dict[str, Any], older_code: bool = False,
                 remote_lock: str | None = None):
        self.holder = holder
        who = (f"run {holder.get('run_id', '?')} (pid {holder.get('pid', '?')} on {holder.get('host', '?')}, "
               f"started {holder.get('started_at', '?')}, Dagster instance {holder.get('dagster_home') or '?'})")
        if older_code:
            who += (" of an older version of this pipeline (its lock is the older layout's "
                    f"{Path(root) / LEGACY_STORE / LOCK_FILE}; restart `dagster dev` or the daemon on the new code "
                    "once that run has ended)")
        fix = "wait for that run to finish (or stop it), then start this one again; nothing was written."
        if remote_lock:
            fix += (f" If that run is known to be dead (a killed pod or container on another host), remove its "
                    f"lock object {remote_lock} with `python -m pipeline.warehouse.object_lock unlock "
                    f"{root}`; the next run then clears what it left")
        super().__init__(
            f"the warehouse {root} is being written by {who}. Only one run may write a warehouse at a time: {fix}")


@dataclass
class _Held:
    handle: Any
    run_id: str
    count: int
    legacy: Any = None  # the older layout's lock, held too while the root is a plain directory


_HELD: dict[str, _Held] = {}
_GUARD = threading.Lock()


def _key(root: Path) -> str:
    return str(lock_path(root))  # not realpath(root): the root is a link that each publish moves


def holder(root: Path | str) -> dict[str, Any]:
    """The record of the last run that took the lock (``{}`` when none ever did)."""
    if is_remote(root):
        return object_lock.holder(root)
    try:
        return _parse(lock_path(root).read_text())
    except OSError:
        return {}


def _write(handle, record: dict[str, Any]) -> None:
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps(record))
    handle.flush()
    os.fsync(handle.fileno())


def acquire(root: Path | str, run_id: str, dagster_home: str | None = None,
            stale: Callable[[dict[str, Any]], bool] | None = None) -> list[dict[str, Any]]:
    """Take the warehouse for ``run_id`` or raise :class:`WarehouseBusy` naming the holder.

    Returns the records of previous runs that took a lock and never released it (they were
    killed): the warehouse's and, while the root is a plain directory, the older layout's, so
    that the caller marks each failed; empty when none. Re-entrant: a second acquire by the
    same run in this process counts up. On object storage the lock is an object
    (:mod:`pipeline.warehouse.object_lock`); ``stale`` says whether a holder on another host is
    known dead.
    """
    if is_remote(root):
        killed = object_lock.acquire(root, run_id, dagster_home, stale)
        return [killed] if killed else []
    root = Path(root)
    with _GUARD:
        held = _HELD.get(_key(root))
        if held is not None:
            if held.run_id != run_id:
                raise WarehouseBusy(root, holder(root))
            held.count += 1
            return []
        lock_path(root).parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path(root), "a+")  # noqa: SIM115 (held until release)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise WarehouseBusy(root, holder(root)) from None
        handle.seek(0)
        previous = _parse(handle.read())
        record = {"run_id": run_id, "pid": os.getpid(), "host": socket.gethostname(),
                  "started_at": utc_now(), "dagster_home": dagster_home, "state": "running"}
        try:
            legacy, legacy_record = _take_legacy(root, record)
        except BaseException:  # busy, or the older lock cannot be made: nothing is held
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()
            raise
        _write(handle, record)
        _HELD[_key(root)] = _Held(handle, run_id, 1, legacy)
        killed = [r for r in (previous, legacy_record) if r.get("state") == "running"]
        return [r for i, r in enumerate(killed) if r.get("run_id") not in {k.get("run_id") for k in killed[:i]}]


def _take_legacy(root: Path, record: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """While the root is not a link to a snapshot (absent, or a plain directory: a brand-new
    warehouse or the older layout), take the older layout's lock ``<root>/.publish/lock`` too,
    making it if need be, for the whole run, and write this run's ``record`` into it: the older
    code locks only that file (and names its holder from it), and the first publish of this code
    swaps the plain root (with whatever an older run staged in it) away. Returns the handle
    (None when the root is a snapshot link, or holds the guard file ``.publish`` of a snapshot's
    copy) and the older record (a run killed while holding it says ``running``); raises
    :class:`WarehouseBusy` when a run of the older code holds it. The file is never removed (an
    older process may have opened it and be about to lock it: it would lock a deleted file), so
    a run that publishes nothing on a new root leaves ``<root>/.publish/lock`` behind, which
    both versions accept."""
    store = link_path(root) / LEGACY_STORE
    if link_path(root).is_symlink() or (store.exists() and not store.is_dir()):
        return None, {}
    store.mkdir(parents=True, exist_ok=True)
    handle = open(store / LOCK_FILE, "a+")  # noqa: SIM115 (held until release)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        busy = _parse(handle.read())
        handle.close()
        raise WarehouseBusy(root, busy, older_code=True) from None
    handle.seek(0)
    older = _parse(handle.read())
    _write(handle, record)
    return handle, older


def _parse(text: str) -> dict[str, Any]:
    try:
        record = json.loads(text or "{}")
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


def release(root: Path | str, run_id: str) -> None:
    """Give the warehouse back (the last release of this run unlocks it, marked finished)."""
    if is_remote(root):
        return object_lock.release(root, run_id)
    with _GUARD:
        held = _HELD.get(_key(Path(root)))
        if held is None or held.run_id != run_id:
            return
        held.count -= 1
        if held.count:
            return
        record = {**holder(root), "state": "finished", "finished_at": utc_now()}
        if held.legacy is not None:  # first: a run taking the warehouse next must not find it busy
            _write(held.legacy, record)
            fcntl.flock(held.legacy, fcntl.LOCK_UN)
            held.legacy.close()
        _write(held.handle, record)
        fcntl.flock(held.handle, fcntl.LOCK_UN)
        held.handle.close()
        del _HELD[_key(Path(root))]


def last_hold(root: Path | str, run_id: str) -> bool:
    """True when run ``run_id`` holds ``root`` once more only (its next release unlocks it)."""
    if is_remote(root):
        return object_lock.last_hold(root, run_id)
    held = _HELD.get(_key(Path(root)))
    return held is not None and held.run_id == run_id and held.count == 1


def held_by(root: Path | str) -> str | None:
    """The run id holding ``root`` in this process, if any."""
    if is_remote(root):
        return object_lock.held_by(root)
    held = _HELD.get(_key(Path(root)))
    return held.run_id if held else None
