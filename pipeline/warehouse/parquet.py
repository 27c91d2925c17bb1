"""Write a table to the warehouse so that readers never see a partial file.

Layout: ``<root>/<table>/year=<y>/part-0.parquet`` for tables with a partition column,
``<root>/<table>/data.parquet`` otherwise. Every file is written to a hidden temporary name in
its final directory (``.part-0.parquet.<pid>.tmp``: pyarrow, pandas and DuckDB globs skip it),
flushed to disk, then renamed over the target with :func:`os.replace`, which is atomic on
POSIX. Partitions that the new table no longer has are removed only after every new file is in
place. The contract's Arrow schema is enforced on write; key-value metadata records the
contract, source, provenance, retrieval time and code version.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

METADATA_PREFIX = "trade_exposure."


@dataclass(frozen=True)
class PublishedTable:
    name: str
    path: Path
    row_count: int
    files: tuple[Path, ...]
    partition_column: str | None


def data_fingerprint(table: pa.Table) -> str:
    """sha256 of the table's data and schema, ignoring key-value metadata (timestamps)."""
    plain = table.replace_schema_metadata(None)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, plain.schema) as writer:
        writer.write_table(plain)
    return hashlib.sha256(sink.getvalue()).hexdigest()


def _unchanged(target: Path, fingerprint: str) -> bool:
    if not target.exists():
        return False
    try:
        return file_metadata(target).get("data_sha256") == fingerprint
    except (OSError, pa.ArrowInvalid):
        return False


def _atomic_write(table: pa.Table, target: Path) -> None:
    """Write ``table`` to ``target`` via a hidden temp file and a rename.

    A file whose data (``data_sha256``) is unchanged is left as it is, byte for byte: a
    refresh that brings nothing new rewrites nothing, and the published files of a good run
    stay identical when a later run republishes the same data.
    """
    fingerprint = data_fingerprint(table)
    if _unchanged(target, fingerprint):
        return
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), f"{METADATA_PREFIX}data_sha256".encode(): fingerprint.encode()}
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb") as handle:
            pq.write_table(table, handle, compression="zstd")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _to_arrow(frame: pd.DataFrame, schema: pa.Schema, metadata: dict[str, Any]) -> pa.Table:
    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    kv = {f"{METADATA_PREFIX}{k}": v if isinstance(v, str) else json.dumps(v) for k, v in metadata.items()}
    return table.replace_schema_metadata({**(table.schema.metadata or {}), **kv})


def write_table(
    frame: pd.DataFrame,
    root: Path | str,
    name: str,
    schema: pa.Schema,
    partition_column: str | None,
    metadata: dict[str, Any],
) -> PublishedTable:
    """Publish ``frame`` as table ``name`` under ``root`` (see the module docstring)."""
    base = Path(root) / name
    for leftover in base.rglob(".*.tmp"):  # from a writer killed midway; never visible to readers
        leftover.unlink()
    written: list[Path] = []
    if partition_column is None:
        target = base / "data.parquet"
        _atomic_write(_to_arrow(frame, schema, metadata), target)
        written.append(target)
    else:
        value_schema = pa.schema([f for f in schema if f.name != partition_column])
        for value, part in frame.groupby(partition_column, sort=True):
            target = base / f"{partition_column}={value}" / "part-0.parquet"
            data = part.drop(columns=[partition_column])
            _atomic_write(_to_arrow(data, value_schema, metadata), target)
            written.append(target)
        keep = {p.parent for p in written}
        for stale in base.glob(f"{partition_column}=*"):
            if stale not in keep:
                shutil.rmtree(stale)
    return PublishedTable(name, base, len(frame), tuple(written), partition_column)


def read_table(root: Path | str, name: str, schema: pa.Schema | None = None) -> pd.DataFrame:
    """Read a published table back, the partition column typed as the files' metadata says.

    Plain ``pd.read_parquet`` works too but returns the partition column as a category.
    """
    path = Path(root) / name
    if not path.exists():
        raise FileNotFoundError(f"table {name} is not published under {root}: run `make run` first")
    partitioning: Any = "hive"
    parts = sorted(p.name.split("=", 1)[0] for p in path.glob("*=*") if p.is_dir())
    if parts:
        part_type = schema.field(parts[0]).type if schema is not None else pa.int32()
        partitioning = ds.partitioning(pa.schema([(parts[0], part_type)]), flavor="hive")
    dataset = ds.dataset(path, format="parquet", partitioning=partitioning)
    return dataset.to_table().to_pandas()


def file_metadata(path: Path) -> dict[str, str]:
    raw = pq.read_schema(path).metadata or {}
    return {
        k.decode()[len(METADATA_PREFIX):]: v.decode()
        for k, v in raw.items()
        if k.decode().startswith(METADATA_PREFIX)
    }
