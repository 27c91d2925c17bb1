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
