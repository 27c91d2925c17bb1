"""Set environment variables for the span of a block (the graph reads its settings through
``dg.EnvVar`` when a run starts); fingerprint a published warehouse."""
from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path


def digests(root: Path) -> dict[str, str]:
    """sha256 of every Parquet file a reader of ``root`` sees (through the published symlinks;
    hidden staging and snapshots left out): equal before and after = nothing published."""
    visible = sorted(p for p in Path(root).iterdir() if not p.name.startswith(".")) if Path(root).is_dir() else []
    files = [f for p in visible for f in ([p] if p.is_file() else sorted(p.rglob("*"))) if f.is_file()
             and f.suffix == ".parquet" and not any(
                 part.startswith(".") for part in f.relative_to(root).parts)]
    return {str(f.relative_to(root)): hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


@contextlib.contextmanager
def environment(**values: str):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
