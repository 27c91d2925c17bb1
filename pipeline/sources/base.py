"""What every source (bulk files now, HTTP APIs next) hands to the pipeline.

A source *discovers* the inputs it holds for a canonical table, each with its provenance, and
*reads* one input into a frame whose columns are the canonical table's (before the contract
gate). Raw assets record the discovered inputs; core assets read them and pass the frames
through the contract gate.
"""
from __future__ import annotations

import csv
import hashlib
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

import pandas as pd


class SourceError(RuntimeError):
    """A source could not deliver: missing directory, unreadable file, wrong header."""


@dataclass(frozen=True)
class Provenance:
    """Where one input came from, precisely enough to tell whether it changed."""

    source: str
    dataset_id: str
    table: str
    location: str
    size_bytes: int
    sha256: str
    modified_at: str
    retrieved_at: str
    licence: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RawInput:
    """One discovered input: its provenance and the manifest entry that says how to read it."""

    provenance: Provenance
    spec: dict[str, Any] = field(hash=False, compare=False)


class Source(Protocol):
    name: str

    def discover(self, table: str) -> list[RawInput]: ...

    def read(self, item: RawInput) -> pd.DataFrame: ...


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def file_provenance(path: Path, source: str, dataset_id: str, table: str, licence: str) -> Provenance:
    stat = path.stat()
    return Provenance(
        source=source,
        dataset_id=dataset_id,
        table=table,
        location=str(path),
        size_bytes=stat.st_size,
        sha256=sha256_of(path),
        modified_at=datetime.fromtimestamp(stat.st_mtime, timezone.utc).isoformat(timespec="seconds"),
        retrieved_at=utc_now(),
        licence=licence,
    )


def require_columns(path: Path, spec: dict[str, Any], header, required=None) -> None:
    """Refuse a file whose header lacks a column the manifest entry requires, naming the file,
    the dataset, the missing columns and the header (checked before any row is read)."""
    required = spec.get("required_columns", []) if required is None else required
    missing = [c for c in required if c not in header]
    if missing:
        raise SourceError(
            f"{path} (dataset {spec['id']}) lacks column(s) {missing}; header is {list(header)}. "
            "Use the original file, or map its columns in the manifest"
        )


_COMPRESSED = (".gz", ".bz2", ".xz", ".zip", ".zst", ".tar")


def refuse_cut_record(path: Path, spec: dict[str, Any], fields: int) -> None:
    """Refuse a plain CSV that ends mid-record: no final newline, or a last line with fewer
    fields than the header. (A cut compressed file fails its checksum when it is read.)"""
    if path.suffix.lower() in _COMPRESSED or path.stat().st_size == 0:
        return
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - (1 << 16)))
        tail = handle.read()
    fix = ("Re-download the file (or copy it again): a cut file would publish a part of the data as if "
           "it were all of it")
    if not tail.endswith(b"\n"):
        raise SourceError(f"{path} (dataset {spec['id']}) does not end with a newline: its last record "
                          f"({tail[-60:].decode(errors='replace')!r}) may be cut. {fix}; if the file is "
                          "complete, add the final newline")
    last = tail.rstrip(b"\r\n").rsplit(b"\n", 1)[-1].decode(spec.get("encoding", "utf-8"), errors="replace")
    found = len(next(csv.reader([last], delimiter=spec.get("delimiter", ",")), []))
    if found < fields:
        raise SourceError(f"{path} (dataset {spec['id']}) ends mid-record: its last line has {found} of the "
                          f"header's {fields} fields ({last[:80]!r}). {fix}")
