"""Set environment variables for the span of a block (the graph reads its settings through
``dg.EnvVar`` when a run starts); fingerprint a published warehouse."""
from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path


def digests(root: Path) -> dict[str, str]:
    """sha256 of every Parquet file under ``root``: equal before and after = nothing published."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*.parquet"))}


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
