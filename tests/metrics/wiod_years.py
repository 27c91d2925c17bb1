"""Load real WIOD 2013 years through the same source and canonical path as the pipeline."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from pipeline.sources.files import FilesSource
from pipeline.transform.canonical import finalize_input_output


@lru_cache(maxsize=2)
def wiod_long(datasets: Path, years: tuple[int, ...]) -> pd.DataFrame:
    """Canonical ``input_output`` rows of the given WIOD years (USD, ROU/ROW codes)."""
    source = FilesSource(datasets)
    items = [i for i in source.discover("input_output")
             if any(Path(i.provenance.location).name == f"wiot_{y}.npz" for y in years)]
    assert len(items) == len(years), f"WIOD files for {years} not all found under {datasets}"
    return finalize_input_output([source.read(i) for i in items])
