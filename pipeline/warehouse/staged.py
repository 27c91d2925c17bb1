"""A table staged as Parquet before its contract gate: one file per input, never whole in pandas.

Why (issue 17): a BACI release is about 10 million rows a year; the pandas path held every input of
``bilateral_product_trade`` concatenated in one frame (about 9 GB resident for 4.5 million rows
through the whole run). A staged table is the conformed rows of each input written as one Parquet
file (``<folder>/<nnnnn>.parquet``, in input order, with the origin columns of
:mod:`pipeline.contracts.origin`), so that

- the contract's rules run over the files in DuckDB, out of core
  (:func:`pipeline.contracts.staged.check_staged`), the first failing rows in input order as the
  pandas path found them (file names sort in input order; rows keep their order in a file);
- the warehouse writes one partition at a time (:meth:`StagedTable.arrow_partitions`): the rows of
  one year from every input, in input order, as the same Arrow table the pandas path built from its
  frame (same values, types, single chunk, pandas metadata), hence the same files and names;
- its coverage (:func:`staged_coverage`) is one DuckDB query.
"""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.contracts.origin import ORIGIN_COLUMNS


@dataclass
class StagedTable:
    """Conformed rows of table ``name`` staged in ``files`` (one per input, in input order).

    ``template`` is a frame of no rows with the conformed frame's columns and dtypes: the pandas
    metadata of the published files derives from it as it did from the whole frame."""

    name: str
    files: list[Path]
    rows: int
    template: pd.DataFrame
    missing: dict[str, dict] = field(default_factory=dict)  # per input: cells without a value
    findings: list = field(default_factory=list)  # per input: its conform findings (types, columns)
    columns_seen: list[str] = field(default_factory=list)  # columns of the inputs, in order of appearance
    absent: list[str] = field(default_factory=list)  # contract columns that no input has
    inputs: list[str] = field(default_factory=list)  # the inputs that gave rows
    # A folder the consumer removes once it wrote the table or failed to (the asset's staging
    # folder: the IO manager removes it in a finally, issue 17 D1); None: the caller's own folder.
    remove_after_write: Path | None = None

    def remove_folder(self) -> None:
        """Remove :attr:`remove_after_write` (and every staged file in it), if set."""
        if self.remove_after_write is not None:
            shutil.rmtree(self.remove_after_write, ignore_errors=True)

    def __len__(self) -> int:
        return self.rows

    @property
    def columns(self) -> list[str]:
        return list(self.template.columns)

    def head(self, n: int = 20) -> pd.DataFrame:
        """The first ``n`` rows (input order), typed as the conformed frame."""
        parts, left = [], n
        for path in self.files:
            if left <= 0:
                break
            batch = next(pq.ParquetFile(path).iter_batches(batch_size=left, columns=self.columns), None)
            if batch is not None and batch.num_rows:
                parts.append(pa.Table.from_batches([batch]).slice(0, left))
                left -= min(batch.num_rows, left)
        if not parts:
            return self.template.copy()
        frame = pa.concat_tables(parts).to_pandas()
        return frame.astype(self.template.dtypes.to_dict())

    def to_pandas(self, origin: bool = False) -> pd.DataFrame:
        """Every row in pandas (only for tables small enough: the GX engine's input)."""
        wanted = self.columns + (list(ORIGIN_COLUMNS) if origin else [])
        tables = [pq.read_table(p, columns=wanted) for p in self.files]
        frame = pa.concat_tables(tables).to_pandas() if tables else self.template.copy()
        return frame.astype(self.template.dtypes.to_dict())

    def partition_values(self, column: str) -> list:
        values: set = set()
        for path in self.files:
            values |= set(pc.unique(pq.read_table(path, columns=[column])[column]).to_pylist())
        return sorted(v for v in values if v is not None)

    def arrow_partitions(self, schema: pa.Schema, column: str | None,
                         metadata: dict[bytes, bytes]) -> Iterator[tuple[Any, pa.Table]]:
        """``(value, table)`` per value of ``column`` in ascending order (one ``(None, table)``
        without a partition column): the rows of that value from every input in input order,
        without the partition column, typed by ``schema`` (the contract's, partition column
        removed), in one chunk, with ``metadata`` (pandas metadata and the warehouse's keys)."""
        names = [f.name for f in schema]
        values = self.partition_values(column) if column else [None]
        for value in values:
            filters = [(column, "=", value)] if column else None
            parts = [pq.read_table(p, columns=names, filters=filters) for p in self.files]
            table = pa.concat_tables(parts).combine_chunks() if parts else schema.empty_table()
            arrays = [table[n].cast(f.type) for n, f in zip(names, schema, strict=True)]
            yield value, pa.Table.from_arrays(arrays, schema=schema.with_metadata(metadata))


def staging_schema(schema: pa.Schema) -> pa.Schema:
    """``schema`` with every field nullable: a staged input is written before its gate, and a
    required column with a missing value must reach the gate, not fail the Parquet writer."""
    return pa.schema([f.with_nullable(True) for f in schema])


def staged_coverage(staged: StagedTable, cols: dict[str, str | None]) -> dict[str, Any]:
    """:func:`pipeline.warehouse.coverage.table_coverage` of a staged table, in one DuckDB scan
    (``value_total`` summed by DuckDB's ``fsum``: equal to pandas' sum to rounding)."""
    from pipeline.contracts.sql import session
    from pipeline.contracts.sql_rules import literal, quote

    by = f"coalesce(CAST({quote(cols['by'])} AS VARCHAR), '<NA>')" if cols["by"] else "'all'"
    measures = ["count(*)"]
    if cols["entity"]:
        measures.append(f"count(DISTINCT {quote(cols['entity'])})")
    if cols["year"]:
        y = quote(cols["year"])
        measures += [f"count(DISTINCT {y})", f"min({y})", f"max({y})"]
    if cols["value"]:
        measures.append(f"coalesce(fsum({quote(cols['value'])}), 0.0)")
    sources: dict[str, Any] = {}
    if staged.files:
        files = ", ".join(literal(str(p)) for p in staged.files)
        with session("1GB") as con:
            rows = con.execute(f"SELECT {by} AS s, {', '.join(measures)} FROM read_parquet([{files}]) "
                               "GROUP BY s").fetchall()
        for row in sorted(rows, key=lambda r: r[0]):
            values, entry = list(row[1:]), {}
            entry["rows"] = int(values.pop(0))
            if cols["entity"]:
                entry["entities"] = int(values.pop(0))
            if cols["year"]:
                n, first, last = values.pop(0), values.pop(0), values.pop(0)
                entry.update(years=int(n), first_year=None if first is None else int(first),
                             last_year=None if last is None else int(last))
            if cols["value"]:
                entry["value_total"] = float(values.pop(0))
            sources[str(row[0])] = entry
    return {"rows": int(staged.rows), "columns": cols, "sources": sources}


def pandas_metadata(template: pd.DataFrame, schema: pa.Schema) -> dict[bytes, bytes]:
    """The schema metadata ``pa.Table.from_pandas`` gives a frame of ``template``'s dtypes under
    ``schema`` (its ``pandas`` key: dtypes, no index), what a file written from the whole frame held."""
    meta = pa.Table.from_pandas(template[[f.name for f in schema]], schema=schema, preserve_index=False).schema.metadata
    return dict(meta or {})
