"""The ``files`` source: bulk downloads in a directory, described by a manifest.

The manifest (``manifests/shared_datasets.yaml`` by default) maps file patterns to canonical
tables. Files matching no pattern are listed as skipped, never guessed at. Reading checks the
header against ``required_columns`` first and the checksum against the discovered provenance,
so a file that changed between discovery and reading is reported rather than mixed in.
"""
from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from pipeline.sources.base import RawInput, SourceError, file_provenance, sha256_of
from pipeline.sources.wiod import read_wiod_npz

DEFAULT_MANIFEST = Path(__file__).with_name("manifests") / "shared_datasets.yaml"


def load_manifest(path: Path | str = DEFAULT_MANIFEST) -> list[dict[str, Any]]:
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"manifest {path} not found: set TRADE_MANIFEST to an existing YAML file")
    entries = (yaml.safe_load(path.read_text()) or {}).get("datasets")
    if not entries:
        raise SourceError(f"manifest {path} has no `datasets:` list")
    for entry in entries:
        missing = {"id", "pattern", "format", "table"} - set(entry)
        if missing:
            raise SourceError(f"manifest {path}: entry {entry.get('id', '?')} lacks {sorted(missing)}")
    return entries


class FilesSource:
    """Bulk files under ``root`` described by ``manifest``."""

    name = "files"

    def __init__(self, root: Path | str, manifest: Path | str = DEFAULT_MANIFEST):
        self.root = Path(root)
        if not self.root.is_dir():
            raise SourceError(
                f"TRADE_BULK_DIR={self.root} is not a directory: point it at your bulk "
                "downloads, e.g. TRADE_BULK_DIR=../shared/datasets"
            )
        self.entries = load_manifest(manifest)

    def discover(self, table: str) -> list[RawInput]:
        found = []
        for entry in (e for e in self.entries if e["table"] == table):
            for path in sorted(self.root.glob(entry["pattern"])):
                if path.is_file():
                    prov = file_provenance(path, self.name, entry["id"], table, entry.get("licence", ""))
                    found.append(RawInput(prov, entry))
        return found

    def skipped(self) -> list[str]:
        """Files under root that no manifest pattern claims (reported, not read)."""
        claimed = {p for e in self.entries for p in self.root.glob(e["pattern"])}
        return sorted(
            str(p.relative_to(self.root))
            for p in self.root.rglob("*")
            if p.is_file() and p not in claimed
        )

    def read(self, item: RawInput) -> pd.DataFrame:
        return read_file_input(item)

    def caveats(self) -> dict[str, str]:
        """Dataset id -> the ``caveat`` its manifest entry declares (what its own MANIFEST warns)."""
        return {str(e["id"]): str(e["caveat"]) for e in self.entries if e.get("caveat")}


def read_file_input(item: RawInput) -> pd.DataFrame:
    """Read one discovered file into canonical columns (checksum verified first)."""
    path = Path(item.provenance.location)
    if sha256_of(path) != item.provenance.sha256:
        raise SourceError(
            f"{path} changed since it was discovered (sha256 differs): re-run the raw "
            "asset so provenance and data describe the same bytes"
        )
    spec = item.spec
    try:
        if spec["format"] == "csv":
            return map_columns(_read_csv(path, spec), spec, path)
        if spec["format"] == "json_records":
            return map_columns(_read_json_records(path, spec), spec, path)
        if spec["format"] == "wiod_npz":
            return read_wiod_npz(path, spec)
    except (EOFError, zlib.error, OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError) as exc:
        raise SourceError(
            f"{path} (dataset {spec['id']}) is unreadable as {spec['format']}: {exc}. "
            "Re-download the file or fix its entry in the manifest"
        ) from exc
    raise SourceError(f"manifest entry {spec['id']}: unknown format {spec['format']!r}")


def _read_csv(path: Path, spec: dict[str, Any]) -> pd.DataFrame:
    header = pd.read_csv(path, nrows=0).columns
    missing = [c for c in spec.get("required_columns", []) if c not in header]
    if missing:
        raise SourceError(
            f"{path} (dataset {spec['id']}) lacks column(s) {missing}; header is {list(header)}. "
            "Use the original file, or map its columns in the manifest"
        )
    wanted = {v if isinstance(v, str) else v["exp"] for v in spec.get("columns", {}).values()}
    # Codes with leading zeros (HS chapters "01".."09") must be read as text: `dtypes` says so.
    return pd.read_csv(path, usecols=[c for c in header if c in wanted], low_memory=False,
                       dtype=spec.get("dtypes"))


def _read_json_records(path: Path, spec: dict[str, Any]) -> pd.DataFrame:
    """A JSON list of flat records (one per observation), values kept as the file writes them
    (text stays text: the contract converts it, and counts what does not convert)."""
    records = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ValueError(f"expected a JSON list of records (objects), found {type(records).__name__}")
    frame = pd.DataFrame.from_records(records)
    missing = [c for c in spec.get("required_columns", []) if c not in frame.columns]
    if missing:
        raise SourceError(f"{path} (dataset {spec['id']}) lacks field(s) {missing}; records have "
                          f"{list(frame.columns)}. Use the original file, or map its fields in the manifest")
    return frame


def map_columns(frame: pd.DataFrame, spec: dict[str, Any], path: Path) -> pd.DataFrame:
    """Rename to canonical columns, apply constants and the unit multiplier."""
    out = {}
    for target, column in spec.get("columns", {}).items():
        if isinstance(column, dict):
            out[target] = np.exp(pd.to_numeric(frame[column["exp"]], errors="coerce"))
        elif column in frame.columns:
            out[target] = frame[column]
    mapped = pd.DataFrame(out, index=frame.index)
    for target, value in spec.get("constants", {}).items():
        mapped[target] = value
    value_column = {"bilateral_goods_trade": "value_usd", "gravity_panel": "trade_value_usd"}.get(
        spec["table"]
    )
    multiplier = spec.get("unit_multiplier", 1)
    if value_column and multiplier != 1:
        # Converted only where numeric; text stays text so the contract can name it.
        numbers = pd.to_numeric(mapped[value_column], errors="coerce")
        mapped[value_column] = mapped[value_column].where(numbers.isna(), numbers * multiplier)
    for extra in ("output_usd", "expenditure_usd"):
        if extra in mapped and multiplier != 1:
            mapped[extra] = pd.to_numeric(mapped[extra], errors="coerce") * multiplier
    mapped["source"] = spec["id"]
    return mapped
