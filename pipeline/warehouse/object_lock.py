"""One writer at a time on object storage: a lock object created by a conditional PUT.

``<prefix>.publish/lock`` is written with ``If-None-Match: *`` (S3's conditional write, which
moto's server honours too): of two writers, exactly one creates it; the other gets 412
Precondition Failed, reads the record (run id, process id, host, start time, Dagster instance)
and is refused with it in the message (:class:`pipeline.warehouse.lock.WarehouseBusy`). The
holder removes the object when its run ends, with ``If-Match`` on the ETag it created, so it
never deletes a lock another writer took meanwhile. When the lock is taken, the ETag ``CURRENT``
has is recorded with it (:func:`pointer_at_take`): the run's switch is conditional on it
(:mod:`pipeline.warehouse.object_publish`), so a run whose lock was broken while it ran cannot
publish over a snapshot published since.

A killed run cannot remove its lock (no kernel releases an object). The next writer finds it and
decides whether it is stale:

- held by a process of this host that no longer exists: stale; it is removed (``If-Match`` on
  the ETag read, so two writers breaking it at once cannot both win) and taken, and the killed
  run's record is returned (the caller marks that run failed and clears what it left);
- held from another host (a killed pod or container): the holder cannot be probed from here.
  ``stale`` (a callback) is asked: the IO manager answers from the Dagster instance (the run is
  no longer running there: failed, cancelled, or marked failed by run monitoring); otherwise
  the writer is refused naming the run, and the message says how to remove the lock once that
  run is known to be dead (``python -m pipeline.warehouse.object_lock unlock <url>``).
"""
from __future__ import annotations

import json
import os
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pipeline.sources.base import utc_now
from pipeline.warehouse.objects import POINTER, as_path, etag_of, url

LOCK_OBJECT = "lock"


def lock_object(root: Any):
    root = as_path(root)
    return as_path(f"{url(root)}.publish") / LOCK_OBJECT


@dataclass
class _Held:
    etag: str
    run_id: str
    count: int
    pointer: str | None = None  # CURRENT's ETag once the lock was taken (None: no publish yet)


_HELD: dict[str, _Held] = {}
_GUARD = threading.Lock()


def _key(root: Any) -> str:
    return url(as_path(root)).rstrip("/")


def _read(path) -> tuple[dict[str, Any], str | None]:
    """The lock's record and ETag; ``({}, None)`` when there is none."""
    try:
        info = path.fs.info(path.path)
        text = path.fs.cat_file(path.path).decode()
    except FileNotFoundError:
        return {}, None
    try:
        record = json.loads(text or "{}")
    except ValueError:
        record = {}
    return (record if isinstance(record, dict) else {}), etag_of(info)


def _pointer_etag(root: Any) -> str | None:
    """The ETag ``CURRENT`` has now; None before the first publish."""
    pointer = as_path(root) / POINTER
    try:
        return etag_of(pointer.fs.info(pointer.path))
    except FileNotFoundError:
        return None


def holder(root: Any) -> dict[str, Any]:
    return _read(lock_object(root))[0]


def _alive_here(record: dict[str, Any]) -> bool | None:
    """True/False for a holder on this host (its process exists or not); None for another host."""
    if record.get("host") != socket.gethostname():
        return None
    try:
        os.kill(int(record.get("pid", -1)), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError, TypeError):
        return True
    return True


def _delete(path, etag: str) -> bool:
    """Remove the lock object if it still has ``etag``; False when someone else's is there now."""
    if not hasattr(path.fs, "call_s3"):  # gs:// (untested): read, compare, delete
        if _read(path)[1] not in (etag, None):
            return False
        path.fs.rm(path.path)
        return True
    bucket, key, _ = path.fs.split_path(path.path)
    try:
        path.fs.call_s3("delete_object", Bucket=bucket, Key=key, IfMatch=etag)
    except FileNotFoundError:
        return True
    except OSError as exc:
        if "pre-condition" in str(exc).lower() or "precondition" in str(exc).lower():
            return False
        raise
    return True


def acquire(root: Any, run_id: str, dagster_home: str | None = None,
            stale: Callable[[dict[str, Any]], bool] | None = None) -> dict[str, Any] | None:
    """Take the warehouse at ``root`` for ``run_id`` or raise ``WarehouseBusy`` naming the holder.
    Returns the record of a killed holder whose lock was broken (module docstring), else None."""
    from pipeline.warehouse.lock import WarehouseBusy

    path = lock_object(root)
    with _GUARD:
        held = _HELD.get(_key(root))
        if held is not None:
            if held.run_id != run_id:
                raise WarehouseBusy(url(as_path(root)), holder(root))
            held.count += 1
            return None
        record = {"run_id": run_id, "pid": os.getpid(), "host": socket.gethostname(), "started_at": utc_now(),
                  "dagster_home": dagster_home, "state": "running"}
        killed = None
        for _attempt in range(2):
            try:
                path.fs.pipe_file(path.path, json.dumps(record).encode(), mode="create")
                break
            except FileExistsError:
                previous, etag = _read(path)
                here = _alive_here(previous)
                dead = here is False or (here is None and stale is not None and bool(previous) and stale(previous))
                if not dead or etag is None or killed is not None or not _delete(path, etag):
                    raise WarehouseBusy(url(as_path(root)), previous, remote_lock=url(path)) from None
                killed = previous
        etag = _read(path)[1]
        mine = _read(path)[0]
        if mine.get("run_id") != run_id:  # pragma: no cover - a store without conditional writes
            raise WarehouseBusy(url(as_path(root)), mine, remote_lock=url(path))
        # What the run sees from now on: its commit's switch is conditional on this ETag, so a
        # writer whose lock is broken later cannot publish over a snapshot published meanwhile.
        _HELD[_key(root)] = _Held(etag, run_id, 1, _pointer_etag(root))
        return killed


def release(root: Any, run_id: str) -> None:
    """Give the warehouse back: the run's last release removes the lock object (if still its own)."""
    with _GUARD:
        held = _HELD.get(_key(root))
        if held is None or held.run_id != run_id:
            return
        held.count -= 1
        if held.count:
            return
        del _HELD[_key(root)]
        _delete(lock_object(root), held.etag)


def last_hold(root: Any, run_id: str) -> bool:
    held = _HELD.get(_key(root))
    return held is not None and held.run_id == run_id and held.count == 1


def pointer_at_take(root: Any, run_id: str) -> tuple[bool, str | None]:
    """``(held, etag)``: whether run ``run_id`` holds ``root`` in this process, and the ETag
    ``CURRENT`` had when it took the lock (None: nothing was published then)."""
    held = _HELD.get(_key(root))
    if held is None or held.run_id != run_id:
        return False, None
    return True, held.pointer


def still_held(root: Any, run_id: str) -> bool:
    """Whether the lock object of ``root`` is still the one run ``run_id`` created in this process
    (HEAD: the same ETag); False once it was broken (removed by ``unlock``, or taken over by a
    writer that thought the run dead), whether or not that writer published since."""
    held = _HELD.get(_key(root))
    if held is None or held.run_id != run_id:
        return False
    path = lock_object(root)
    try:
        return etag_of(path.fs.info(path.path)) == held.etag
    except FileNotFoundError:
        return False


def held_by(root: Any) -> str | None:
    held = _HELD.get(_key(root))
    return held.run_id if held else None


def main(argv: list[str]) -> int:
    """``python -m pipeline.warehouse.object_lock unlock s3://bucket/prefix``: remove the lock of
    a run known to be dead (a killed pod); prints the record it removed."""
    if len(argv) != 2 or argv[0] != "unlock":
        print("usage: python -m pipeline.warehouse.object_lock unlock s3://bucket/prefix", file=sys.stderr)
        return 2
    path = lock_object(argv[1])
    record, etag = _read(path)
    if etag is None:
        print(f"{url(path)}: no lock")
        return 0
    if _alive_here(record):
        print(f"run {record.get('run_id')} (pid {record.get('pid')}) is still running on this host: not removed",
              file=sys.stderr)
        return 1
    _delete(path, etag)
    print(f"removed the lock of run {record.get('run_id')} (pid {record.get('pid')} on {record.get('host')}, "
          f"started {record.get('started_at')})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
