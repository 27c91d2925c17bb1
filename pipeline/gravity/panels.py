"""Load one canonical gravity panel from bulk files or from a published warehouse."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.sources.files import DEFAULT_MANIFEST, FilesSource
from pipeline.transform.canonical import finalize_gravity_panel
from pipeline.warehouse import read_table


def load_gravity_panel(panel_id: str, bulk_dir: Path | str | None = None,
                       warehouse: Path | str | None = None,
                       manifest: Path | str = DEFAULT_MANIFEST) -> pd.DataFrame:
    """The canonical ``gravity_panel`` rows of ``panel_id`` (a manifest dataset id).

    Read from the published warehouse when ``warehouse`` is given (what ``make run``
    wrote), else straight from the bulk files through the manifest (no contract gate: use
    the warehouse for checked data).
    """
    if warehouse is not None:
        panel = read_table(warehouse, "gravity_panel")
        panel = panel[panel["panel_id"] == panel_id]
        if panel.empty:
            raise ValueError(f"panel {panel_id!r} is not in {warehouse}/gravity_panel; "
                             "run `make run` with that dataset in TRADE_BULK_DIR first")
        return panel.reset_index(drop=True)
    if bulk_dir is None:
        raise ValueError("give a bulk directory (--bulk-dir, e.g. ../shared/datasets) or a "
                         "warehouse (--warehouse)")
    source = FilesSource(bulk_dir, manifest)
    inputs = [item for item in source.discover("gravity_panel")
              if item.provenance.dataset_id == panel_id]
    if not inputs:
        known = sorted({e["id"] for e in source.entries if e["table"] == "gravity_panel"})
        raise ValueError(f"no file of gravity panel {panel_id!r} under {bulk_dir}; "
                         f"panels the manifest knows: {known}")
    return finalize_gravity_panel([source.read(item) for item in inputs])
