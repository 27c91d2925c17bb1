"""The ``files`` source: bulk downloads in a directory, described by a manifest.

The manifest (``manifests/shared_datasets.yaml`` by default) maps file patterns to canonical
tables. Files matching no pattern are listed as skipped, never guessed at. Reading checks the
header against ``required_columns`` first and the checksum against the discovered provenance,
so a file that changed between discovery and reading is reported rather than mixed in.
"""
from __future__ import annotations

import glob as _glob_module
import json
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from pipeline.sources.base import RawInput, SourceError, file_provenance, refuse_cut_record, sha256_of
from pipeline.sources.code_lists import apply_code_lists, claimed_lists, code_list_files
from pipeline.sources.icio import read_oecd_icio
from pipeline.sources.itpde import read_itpd_e
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


def _glob(root: Path, pattern: str) -> list[Path]:
    """``pattern`` under ``root``, following symlinked folders (``**`` of pathlib in Python
    3.11 does not enter them: a release folder linked into TRADE_BULK_DIR would be skipped
    without a word). Hidden files match as with pathlib."""
    return [Path(p) for p in _glob_module.glob(str(root / pattern), recursive=True, include_hidden=True)]


class FilesSource:
    """Bulk files under ``root`` described by ``manifest``."""

    name = "files"

    def __init__(self, root: Path | str, manifest: Path | str = DEFAULT_MANIFEST, disabled: tuple[str, ...] = ()):
        self.root = Path(root)
        if not self.root.is_dir():
            raise SourceError(
                f"TRADE_BULK_DIR={self.root} is not a directory: point it at your bulk "
                "downloads, e.g. TRADE_BULK_DIR=../shared/datasets"
            )
        self.manifest = Path(manifest)
        every = load_manifest(manifest)
        unknown = sorted(set(disabled) - {e["id"] for e in every})
        if unknown:
            raise SourceError(f"TRADE_DISABLED_DATASETS names {unknown}, which {self.manifest} does not declare; "
                              f"its datasets: {[e['id'] for e in every]}")
        self.disabled = tuple(disabled)
        self.entries = [e for e in every if e["id"] not in self.disabled]

    def absent(self, table: str) -> list[dict[str, Any]]:
        """The manifest's datasets for ``table`` (not disabled) that have no file under root.

        An entry with ``optional: true`` is a download the user may add (ITPD-E): its absence is
        not an error; once published, its rows are guarded by the coverage check against the
        last publish like any other source's."""
        return [e for e in self.entries if e["table"] == table and not e.get("optional")
                and not any(p.is_file() for p in _glob(self.root, e["pattern"]))]

    def discover(self, table: str) -> list[RawInput]:
        found = []
        for entry in (e for e in self.entries if e["table"] == table):
            for path in sorted(_glob(self.root, entry["pattern"])):
                if path.is_file():
                    prov = file_provenance(path, self.name, entry["id"], table, entry.get("licence", ""))
                    found.append(RawInput(prov, code_list_files(self._with_companions(entry), path)))
        return found

    def _with_companions(self, entry: dict[str, Any]) -> dict[str, Any]:
        """The entry with the files its ``covariates`` pattern matches (path and sha256), so
        that reading checks the same bytes as were discovered (ITPD-E + the USITC gravity data)."""
        covariates = entry.get("covariates")
        if not covariates:
            return entry
        files = [p for p in sorted(_glob(self.root, covariates["pattern"])) if p.is_file()]
        if not files:
            raise SourceError(
                f"manifest entry {entry['id']}: its covariates pattern {covariates['pattern']!r} "
                f"matches no file under {self.root}; put the covariate files there (for ITPD-E: "
                "the USITC Dynamic Gravity Dataset) or remove `covariates` from the entry")
        listed = [{"location": str(p), "sha256": sha256_of(p)} for p in files]
        return {**entry, "covariates": {**covariates, "files": listed}}

    def skipped(self) -> list[str]:
        """Files under root that no manifest pattern claims (reported, not read)."""
        patterns = [e["pattern"] for e in self.entries]
        patterns += [e["covariates"]["pattern"] for e in self.entries if e.get("covariates")]
        claimed = {p for pattern in patterns for p in _glob(self.root, pattern)}
        claimed |= {p for e in self.entries for p in claimed_lists(e, list(_glob(self.root, e["pattern"])))}
        return sorted(
            str(p.relative_to(self.root))
            for p in _glob(self.root, "**/*")
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
            return map_columns(apply_code_lists(_read_csv(path, spec), spec, path), spec, path)
        if spec["format"] == "json_records":
            return map_columns(_read_json_records(path, spec), spec, path)
        if spec["format"] == "wiod_npz":
            return read_wiod_npz(path, spec)
        if spec["format"] == "itpd_e":
            return read_itpd_e(path, spec)
        if spec["format"] == "oecd_icio":
            return read_oecd_icio(path, spec)
    except (EOFError, zlib.error, OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError) as exc:
        raise SourceError(
            f"{path} (dataset {spec['id']}) is unreadable as {spec['format']}: {exc}. "
            "Re-download the file or fix its entry in the manifest"
        ) from exc
    raise SourceError(f"manifest entry {spec['id']}: unknown format {spec['format']!r}")


_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe", ",": "comma"}


def missing_tokens(spec: dict[str, Any]) -> list[str]:
    """The cell values that mean "no value" in a dataset's files: the manifest entry's
    ``missing_values`` (default: an empty field only). Any other text in a number column, such as
    ``n/a`` or ``..``, stays text and the contract gate names it, its column, file and row."""
    return [str(t) for t in spec.get("missing_values", [""])]


def _read_csv(path: Path, spec: dict[str, Any]) -> pd.DataFrame:
    """Read the mapped columns of one CSV. ``delimiter`` and ``encoding`` of the manifest entry
    (default comma, UTF-8) say how; a file written another way is said to be so. Only the
    entry's :func:`missing_tokens` become missing values (not pandas' long default list)."""
    sep, encoding = spec.get("delimiter", ","), spec.get("encoding", "utf-8")
    try:
        header = pd.read_csv(path, nrows=0, sep=sep, encoding=encoding).columns
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"{path} (dataset {spec['id']}) is not {encoding} text (byte {exc.object[exc.start:exc.start + 1]!r} "
            f"at offset {exc.start} of the header): save it as {encoding}, or set `encoding:` (e.g. latin-1) "
            "in its manifest entry") from None
    refuse_cut_record(path, spec, len(header))
    missing = [c for c in spec.get("required_columns", []) if c not in header]
    if missing:
        raise SourceError(
            f"{path} (dataset {spec['id']}) lacks column(s) {missing}; header is {list(header)}. "
            + _delimiter_hint(header, sep)
            + "Use the original file, or map its columns in the manifest"
        )
    wanted = {v if isinstance(v, str) else v["exp"] for v in spec.get("columns", {}).values()}
    # Codes with leading zeros (HS chapters "01".."09") must be read as text: `dtypes` says so.
    try:
        return pd.read_csv(path, usecols=[c for c in header if c in wanted], low_memory=False,
                           dtype=spec.get("dtypes"), sep=sep, encoding=encoding,
                           keep_default_na=False, na_values=missing_tokens(spec))
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"{path} (dataset {spec['id']}) is not {encoding} text ({exc.reason} at byte offset {exc.start} "
            f"of the data): save it as {encoding}, or set `encoding:` (e.g. latin-1) in its manifest entry"
        ) from None


def _delimiter_hint(header: pd.Index, sep: str) -> str:
    """A sentence when the header reads as one column holding another delimiter."""
    if len(header) != 1:
        return ""
    found = [d for d in _DELIMITERS if d != sep and d in str(header[0])]
    if not found:
        return ""
    other = found[0]
    return (f"The file is delimited by {_DELIMITERS[other]}s ({other!r}), not {_DELIMITERS.get(sep, sep)}s "
            f"({sep!r}) as its manifest entry says: set `delimiter: {other!r}` in the entry, or save the "
            "file comma-separated. ")


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
    value_column = {"bilateral_goods_trade": "value_usd", "bilateral_product_trade": "value_usd",
                    "gravity_panel": "trade_value_usd"}.get(spec["table"])
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
