"""Ingest a large table one input at a time: read, finish, conform, write as Parquet, forget.

The pandas path (``assets/bulk_tables.py`` ``_publish``) reads every input of a table, concatenates
them, finishes and conforms the whole frame. For ``bilateral_product_trade`` fed by a BACI release
(about 10 million rows a year, one file per year) that frame does not fit: here at most one input
is in pandas at a time (one BACI year), and what leaves it is a
:class:`~pipeline.warehouse.staged.StagedTable`. The steps per input are the pandas path's own,
applied to that input's rows: the reader (:func:`pipeline.sources.files.read_file_input`, checksum,
header, code lists, units), the origin tags, the table's per-row finishing step (ISO3 aliases),
then :func:`pipeline.contracts.conform.conform` (types). Every one of them is row-wise, so the
concatenation of the staged inputs holds the rows the pandas path checked, in its order.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.contracts.conform import conform
from pipeline.contracts.odcs import Contract
from pipeline.contracts.origin import split_origin, tag_origin
from pipeline.sources.base import RawInput
from pipeline.sources.files import missing_tokens
from pipeline.warehouse.staged import StagedTable, staging_schema


# trade-staged-<table>-<pid>-<mkdtemp suffix>: the pid of the process that stages into the folder
STAGING_PREFIX = "trade-staged-"
_STAGING_FOLDER = re.compile(rf"^{STAGING_PREFIX}(?P<table>[^-]+)-(?P<pid>[0-9]+)-[^-]+$")


def staging_folder(table: str) -> Path:
    """A new folder of the temporary directory to stage ``table`` into, named
    ``trade-staged-<table>-<pid>-...`` after this process, after the folders of processes no
    longer alive were removed (:func:`remove_abandoned_folders`)."""
    remove_abandoned_folders()
    return Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{table}-{os.getpid()}-"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def remove_abandoned_folders(directory: str | Path | None = None) -> list[Path]:
    """Remove the staging folders of ``directory`` (the temporary directory, ``TMPDIR``) whose
    process is not alive on this host: a run killed while staging leaves its folder (issue 17),
    the next one removes it. A folder of a live process is never touched (nor one without a pid
    in its name: an older layout, whose owner cannot be known). A pid reused by a new process
    keeps its folder (the safe side). Assumes the temporary directory is this host's own.
    Returns the folders removed."""
    root = Path(directory if directory is not None else tempfile.gettempdir())
    removed = []
    for path in root.glob(f"{STAGING_PREFIX}*"):
        match = _STAGING_FOLDER.match(path.name)
        if match and path.is_dir() and not path.is_symlink() and not _alive(int(match["pid"])):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def missing_cells(item: RawInput, frame: pd.DataFrame) -> dict | None:
    """Cells of each column of one input that hold no value, and the tokens that meant so
    (``assets.bulk_tables.missing_values`` for one input)."""
    counts = {c: int(n) for c, n in frame.isna().sum().items() if n}
    if not counts:
        return None
    tokens = ["null"] if item.spec.get("kind") == "api" else missing_tokens(item.spec)
    return {"tokens": tokens, "cells": counts}


def stage_inputs(items: Sequence[RawInput], read: Callable[[RawInput], pd.DataFrame],
                 finish: Callable[[pd.DataFrame], pd.DataFrame], contract: Contract,
                 folder: Path) -> StagedTable:
    """Every input of ``items`` read by ``read`` (a reader's error propagates: nothing is staged
    past it), finished row-wise by ``finish``, conformed to ``contract`` and written to
    ``folder/<nnnnn>.parquet`` (module docstring). A contract column that an input lacks is empty
    in that input's rows, as the concatenation made it; one that no input has is reported by the
    gate as the pandas path reported it (:attr:`StagedTable.absent`)."""
    folder.mkdir(parents=True, exist_ok=True)
    schema = staging_schema(contract.arrow_schema())
    staged, template = StagedTable(contract.name, [], 0, pd.DataFrame()), None
    absent = set(contract.column_names)
    for number, item in enumerate(items):
        frame = read(item)
        if (cells := missing_cells(item, frame)) is not None:
            staged.missing[item.provenance.location] = cells
        frame, origin = split_origin(finish(tag_origin(frame, item.provenance.location)))
        staged.columns_seen += [c for c in frame.columns if c not in staged.columns_seen]
        lacking = [c for c in contract.column_names if c not in frame.columns]
        absent &= set(lacking)
        conformed, findings = conform(frame.assign(**{c: pd.NA for c in lacking}), contract, origin)
        del frame
        staged.findings.append(findings)
        table = pa.Table.from_pandas(conformed, schema=schema, preserve_index=False)
        for name in origin.columns:
            table = table.append_column(name, pa.array(origin[name], from_pandas=True))
        path = folder / f"{number:05d}.parquet"
        pq.write_table(table, path)
        staged.files.append(path)
        staged.rows += len(conformed)
        if len(conformed):
            staged.inputs.append(item.provenance.location)
        if template is None:  # the conformed dtypes (the same for every input)
            template = conformed.iloc[:0].copy()
        del conformed, origin, table
    staged.template = template if template is not None else conform(
        pd.DataFrame({c: pd.Series(dtype=object) for c in contract.column_names}), contract)[0]
    staged.absent = [c.name for c in contract.columns if c.name in absent and c.required]
    staged.inputs = sorted(set(staged.inputs))
    return staged
