"""The file-system moves of a publish: where the snapshot store lives, and the atomic switch.

The warehouse root ``<dir>/<name>`` is itself a symlink to one snapshot directory of the store
``<dir>/<name>.publish/`` (:mod:`pipeline.warehouse.publish` says why). Replacing a symlink
with :func:`os.replace` is atomic on POSIX; replacing a *directory* (a warehouse of an older
layout, or a copy) with a symlink is done with Linux's ``renameat2(RENAME_EXCHANGE)``, which
swaps the two names in one step, so no reader ever finds the root missing. Where that call is
not available (another kernel or libc: macOS, the BSDs) the directory is renamed aside first: a
reader in that instant gets "file not found", never a mix, and a writer killed between the two
renames leaves no root until the next writer's recovery puts it back (``Warehouse.recover``).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import shutil
import uuid
from pathlib import Path

STORE_SUFFIX = ".publish"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def store_dir(root: Path | str) -> Path:
    """The snapshot store of warehouse ``root``: its sibling ``<name>.publish`` (the parent
    resolved, the root itself not: it is the switched link)."""
    absolute = Path(os.path.abspath(root))
    return Path(os.path.realpath(absolute.parent)) / f"{absolute.name}{STORE_SUFFIX}"


def link_path(root: Path | str) -> Path:
    """``root`` with its parent resolved: the path of the switched link itself."""
    return store_dir(root).parent / Path(os.path.abspath(root)).name


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temporary_name(link: Path) -> Path:
    return link.with_name(f".{link.name}.{os.getpid()}.{uuid.uuid4().hex[:6]}.link")


def symlink(target: str, link: Path) -> None:
    """Point ``link`` (absent, or a symlink) at ``target`` atomically."""
    tmp = temporary_name(link)
    os.symlink(target, tmp)
    os.replace(tmp, link)


def _exchange(a: Path, b: Path) -> bool:
    """Swap the names ``a`` and ``b`` in one step; False where the system cannot."""
    libc_name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(libc_name, use_errno=True) if libc_name else None
    if libc is None or not hasattr(libc, "renameat2"):
        return False
    done = libc.renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if done == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, f"cannot switch {b} to the new snapshot: {os.strerror(code)}", str(b))


def switch_root(target: str, root: Path, retired: Path) -> None:
    """Make ``root`` a symlink to ``target`` (relative to root's parent) atomically; a plain
    directory that was there is moved to ``retired`` (in the store) and removed."""
    if root.is_symlink() or not root.exists():
        symlink(target, root)
        return
    tmp = temporary_name(root)
    os.symlink(target, tmp)
    if _exchange(tmp, root):
        os.rename(tmp, retired)  # tmp now names the old directory
    else:
        os.rename(root, retired)
        os.replace(tmp, root)
    shutil.rmtree(retired, ignore_errors=True)


def link_or_copy(source: str, target: str) -> None:
    """Hard-link ``source`` at ``target``; copy it where the store lies on another file system
    than the warehouse it adopts (a root that is a mount point)."""
    source = os.path.realpath(source)  # os.link of a symlink links the link (Linux), not its file
    try:
        os.link(source, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        shutil.copy2(source, target)


def link_tree(source: Path, target: Path) -> None:
    """``target`` as a copy of directory ``source`` made of hard links (no byte is copied)."""
    shutil.copytree(source, target, copy_function=link_or_copy)
