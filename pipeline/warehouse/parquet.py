"""Parquet files of one table: Hive partitions, the contract's schema, provenance metadata.

Layout of a table directory: ``<table>/year=<y>/part-<h>.parquet`` for tables with a partition
column, ``<table>/part-<h>.parquet`` otherwise, ``<h>`` the first 16 hex digits of the file's
``data_sha256``. A file is named after its data so that a plain reader that listed a table's
files before a publish switched and opens them after it cannot mix two snapshots: an unchanged
file keeps its name (and inode), a changed one gets a new name and the old name is gone from
the new snapshot, so the open fails loudly (older layouts named every file ``part-0.parquet``
or ``data.parquet``; such files are still read, and linked under the new name when unchanged).
The contract's Arrow schema is enforced on write;
key-value metadata records the contract, source, provenance, retrieval time, code version and
``data_sha256``, a digest of the data alone. :func:`write_files` writes a table into a fresh
directory that nobody reads yet (a run's staging area, :mod:`pipeline.warehouse.publish`): a
partition whose data equals the published one is hard-linked to the published file instead
of written again, so the bytes (and the inode) of unchanged files stay the same.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from pipeline.warehouse.objects import arrow_source, as_path, is_remote, resolve, url
from pipeline.warehouse.staged import StagedTable

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
    digest = _Digest()  # the IPC stream hashed as it is written, never held whole (a BACI year: ~1 GB)
    with pa.ipc.new_stream(pa.PythonFile(digest, mode="w"), plain.schema) as writer:
        writer.write_table(plain)
    return digest.sha.hexdigest()


class _Digest(io.RawIOBase):
    """A write-only file object that feeds what is written to a sha256."""

    def __init__(self):
        super().__init__()
        self.sha = hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.sha.update(data)
        return memoryview(data).nbytes


HASH_DIGITS = 16  # of data_sha256 in a file's name: 64 bits, no clash among a table's files
LEGACY_NAMES = ("part-0.parquet", "data.parquet")  # the names before content naming


def file_name(fingerprint: str) -> str:
    return f"part-{fingerprint[:HASH_DIGITS]}.parquet"


def _same_data(previous, fingerprint: str) -> bool:
    if not previous.is_file():
        return False
    try:
        return file_metadata(previous).get("data_sha256") == fingerprint
    except (OSError, pa.ArrowInvalid):
        return False


def _unchanged(previous, fingerprint: str):
    """The published file of ``previous`` (a partition's directory) holding this data, if any."""
    if previous is None:
        return None
    for name in (file_name(fingerprint), *LEGACY_NAMES):
        if _same_data(previous / name, fingerprint):
            return previous / name
    return None


def _write_file(table: pa.Table, folder: Path, previous: Path | None) -> Path:
    """Write ``table`` into ``folder`` (where nobody reads yet) under its content name, or hard-
    link the file of ``previous`` (the published folder) that holds the same data
    (``data_sha256``): a refresh that brings nothing new rewrites nothing, and the published files
    of a good run stay byte-identical. Returns the file's path."""
    fingerprint = data_fingerprint(table)
    target = folder / file_name(fingerprint)
    remote = is_remote(folder)
    if not remote:
        folder.mkdir(parents=True, exist_ok=True)
    if (same := _unchanged(previous, fingerprint)) is not None:
        if remote:  # a server-side copy: no byte goes through this process
            target.fs.copy(same.path, target.path)
        else:
            os.link(same, target)
        return target
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), f"{METADATA_PREFIX}data_sha256".encode(): fingerprint.encode()}
    )
    if remote:  # one object, visible only once whole (a PUT, or a multipart upload completed at close)
        with target.fs.open(target.path, "wb") as handle:
            pq.write_table(table, handle, compression="zstd")
        return target
    with open(target, "wb") as handle:
        pq.write_table(table, handle, compression="zstd")
        handle.flush()
        os.fsync(handle.fileno())
    return target


def _to_arrow(frame: pd.DataFrame, schema: pa.Schema, metadata: dict[str, Any]) -> pa.Table:
    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    kv = {f"{METADATA_PREFIX}{k}": v if isinstance(v, str) else json.dumps(v) for k, v in metadata.items()}
    return table.replace_schema_metadata({**(table.schema.metadata or {}), **kv})


def write_files(frame: pd.DataFrame, base: Path, schema: pa.Schema, partition_column: str | None,
                metadata: dict[str, Any], previous: Path | None = None) -> list[Path]:
    """Write ``frame`` as a table directory ``base`` (which must not exist yet); ``previous``
    is the published directory of the same table, whose unchanged files are linked (copied
    server-side on object storage, where ``base`` is a UPath)."""
    if base.exists():
        raise FileExistsError(f"{base} exists: a table is staged once per run")
    written: list[Path] = []
    if isinstance(frame, StagedTable):  # one partition at a time, never the whole table in memory
        return _write_staged(frame, base, schema, partition_column, metadata, previous)
    if partition_column is None:
        return [_write_file(_to_arrow(frame, schema, metadata), base, previous)]
    value_schema = pa.schema([f for f in schema if f.name != partition_column])
    for value, part in frame.groupby(partition_column, sort=True):
        folder = f"{partition_column}={value}"
        data = part.drop(columns=[partition_column])
        written.append(_write_file(_to_arrow(data, value_schema, metadata), base / folder,
                                   previous and previous / folder))
    if not written:
        if is_remote(base):  # a prefix exists only with an object in it
            (base / EMPTY_MARKER).write_bytes(b"")
        else:
            base.mkdir(parents=True)
    return written


def _write_staged(staged: StagedTable, base: Path, schema: pa.Schema, partition_column: str | None,
                  metadata: dict[str, Any], previous: Path | None) -> list[Path]:
    """:func:`write_files` of a staged table: each partition's rows as the Arrow table
    :func:`_to_arrow` made of the frame's part (same values, types, chunking and metadata), so the
    same file under the same name."""
    value_schema = pa.schema([f for f in schema if f.name != partition_column]) if partition_column else schema
    template = staged.template.drop(columns=[partition_column]) if partition_column else staged.template
    kv = dict(_to_arrow(template, value_schema, metadata).schema.metadata or {})
    written: list[Path] = []
    for value, table in staged.arrow_partitions(value_schema, partition_column, kv):
        if partition_column is None:
            return [_write_file(table, base, previous)]
        folder = f"{partition_column}={value}"
        written.append(_write_file(table, base / folder, previous and previous / folder))
    if not written:
        if is_remote(base):
            (base / EMPTY_MARKER).write_bytes(b"")
        else:
            base.mkdir(parents=True)
    return written


EMPTY_MARKER = "_EMPTY"  # object storage: the one object of a table without rows (no Parquet reader reads it)


def read_table(root: Path | str, name: str, schema: pa.Schema | None = None) -> pd.DataFrame:
    """Read a published table back, the partition column typed as the files' metadata says.

    Plain ``pd.read_parquet`` works too but returns the partition column as a category.
    """
    return table_dataset(root, name, schema).to_table().to_pandas()


def table_dataset(root: Path | str, name: str, schema: pa.Schema | None = None,
                  dictionary_columns: list[str] | None = None) -> ds.Dataset:
    """The published table as an Arrow dataset (nothing read yet), its Hive partition column
    typed as ``schema`` says (int32 without one); ``dictionary_columns`` are read dictionary-
    encoded (codes and labels, no string per row: the label columns of a large long table)."""
    if is_remote(root):  # the pointer CURRENT read once: every file from the same snapshot
        path = resolve(root) / name
        if not path.is_dir():
            raise FileNotFoundError(f"table {name} is not published under {url(as_path(root))}: run `make run` first")
        parts = sorted({p.name.split("=", 1)[0] for p in path.iterdir() if "=" in p.name and p.is_dir()})
    else:
        path = Path(root) / name
        if not path.exists():
            raise FileNotFoundError(f"table {name} is not published under {root}: run `make run` first")
        # Resolved once: every file comes from the same snapshot even if a publish switches meanwhile.
        path = Path(os.path.realpath(path))
        parts = sorted(p.name.split("=", 1)[0] for p in path.glob("*=*") if p.is_dir())
    partitioning: Any = "hive"
    if parts:
        part_type = schema.field(parts[0]).type if schema is not None else pa.int32()
        partitioning = ds.partitioning(pa.schema([(parts[0], part_type)]), flavor="hive")
    file_format = ds.ParquetFileFormat(read_options=ds.ParquetReadOptions(dictionary_columns=dictionary_columns or []))
    where, filesystem = arrow_source(path)
    return ds.dataset(where, format=file_format, partitioning=partitioning, filesystem=filesystem)


@dataclass(frozen=True)
class PartitionedTable:
    """A published table read one partition at a time (an input too large to load whole: the
    long input-output table of an ICIO release is some 13 million rows a year).

    ``dataset`` is bound to one snapshot (:func:`table_dataset`); ``read`` yields
    ``(value, pyarrow.Table)`` per value of ``column`` in ascending order, with the partition
    column and the ``columns`` asked for (all when None)."""

    dataset: ds.Dataset
    column: str
    filesystem: Any = None  # the fsspec filesystem of a table on object storage (None: local files)
    scheme: str = ""

    def values(self) -> list:
        return sorted(ds.get_partition_keys(f.partition_expression)[self.column] for f in self.dataset.get_fragments())

    def files(self, value) -> list[str]:
        """The Parquet files of one partition, for an engine that scans them itself (DuckDB);
        the partition column is in the directory name, not in the files."""
        prefix = f"{self.scheme}://" if self.scheme else ""
        return sorted(prefix + f.path for f in self.dataset.get_fragments(filter=ds.field(self.column) == value))

    def attach(self, con) -> None:
        """Let DuckDB connection ``con`` open :meth:`files` on object storage (an fsspec
        filesystem registered: DuckDB's httpfs is not bundled, README "The warehouse on object
        storage"); nothing to do for local files."""
        if self.filesystem is not None:
            con.register_filesystem(self.filesystem)

    def read(self, columns: list[str] | None = None):
        wanted = None if columns is None else list(dict.fromkeys([self.column, *columns]))
        for value in self.values():
            yield value, self.dataset.to_table(columns=wanted, filter=ds.field(self.column) == value)


def partition_reader(root: Path | str, name: str) -> PartitionedTable:
    """Published table ``name`` under ``root`` one partition at a time, as its contract types it
    (the partition column, the string columns read dictionary-encoded): what an asset input
    marked ``BY_PARTITION`` gets (``assets/io_manager.py``)."""
    from pipeline.contracts.odcs import load_contract

    contract = load_contract(name)
    labels = [c.name for c in contract.columns if c.physical_type == "string"]
    dataset = table_dataset(root, name, contract.arrow_schema(), labels)
    if is_remote(root):
        path = as_path(root)
        return PartitionedTable(dataset, contract.partition_column, path.fs, path.protocol)
    return PartitionedTable(dataset, contract.partition_column)


def file_metadata(path: Path) -> dict[str, str]:
    where, filesystem = arrow_source(path)
    raw = pq.read_schema(where, filesystem=filesystem).metadata or {}
    return {
        k.decode()[len(METADATA_PREFIX):]: v.decode()
        for k, v in raw.items()
        if k.decode().startswith(METADATA_PREFIX)
    }
