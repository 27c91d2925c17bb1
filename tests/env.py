"""Set environment variables for the span of a block (the graph reads its settings through
``dg.EnvVar`` when a run starts)."""
from __future__ import annotations

import contextlib
import os


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
