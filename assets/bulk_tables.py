"""Raw and core assets for the canonical tables fed by bulk files.

For each table: ``raw_files__<table>`` records which files the manifest matched (path, size,
sha256, modified time, licence) without publishing them; ``core__<table>`` reads exactly those
bytes, maps them to canonical columns, passes the contract gate and is published.
"""
from __future__ import annotations

from collections.abc import Callable

import dagster as dg
import pandas as pd

from assets.contract_gate import gate, output_metadata, published_asset
from assets.resources import BulkFilesResource
from pipeline.contracts import load_contract
from pipeline.sources.base import Provenance, RawInput, SourceError
from pipeline.sources.files import read_file_input
from pipeline.transform import canonical

BULK_TABLES: dict[str, Callable[[list[pd.DataFrame]], pd.DataFrame]] = {
    "bilateral_goods_trade": canonical.finalize_bilateral_goods_trade,
    "macro_indicators": canonical.finalize_macro_indicators,
    "gravity_panel": canonical.finalize_gravity_panel,
    "input_output": canonical.finalize_input_output,
}


RAW_LISTING_SCHEMA = dg.TableSchema(
    columns=[
        dg.TableColumn("dataset_id", "string", "Manifest entry that matched the file."),
        dg.TableColumn("location", "string", "Absolute path of the file."),
        dg.TableColumn("size_bytes", "int64", "File size in bytes."),
        dg.TableColumn("sha256", "string", "Checksum; the core asset re-checks it before reading."),
        dg.TableColumn("modified_at", "string", "File modification time (UTC, ISO 8601)."),
        dg.TableColumn("licence", "string", "Licence of the dataset, from the manifest."),
    ]
)


def _raw_asset(table: str) -> dg.AssetsDefinition:
    @dg.asset(
        name=f"raw_files__{table}",
        group_name="raw",
        io_manager_key="raw_io_manager",
        kinds={"file"},
        description=f"Bulk files under TRADE_BULK_DIR that the manifest maps to `{table}`, with "
        "provenance (path, size, sha256, modified time, licence). Files are not copied.",
    )
    def raw(bulk_files: BulkFilesResource) -> dg.Output:
        source = bulk_files.source()
        items = source.discover(table)
        if not items:
            patterns = [e["pattern"] for e in source.entries if e["table"] == table]
            raise dg.Failure(
                description=f"no file under {source.root} matches the manifest patterns for "
                f"{table} ({patterns}): add the files or a manifest entry (TRADE_MANIFEST)"
            )
        records = [{"provenance": i.provenance.as_dict(), "spec": i.spec} for i in items]
        listing = pd.DataFrame([i.provenance.as_dict() for i in items])[
            ["dataset_id", "location", "size_bytes", "sha256", "modified_at", "licence"]
        ]
        return dg.Output(
            records,
            metadata={
                "dagster/row_count": len(items),
                "dagster/column_schema": RAW_LISTING_SCHEMA,
                "preview": dg.MetadataValue.md(listing.to_markdown(index=False)),
                "bytes": int(listing["size_bytes"].sum()),
                "files_skipped_under_bulk_dir": len(source.skipped()),
            },
        )

    return raw


def _core_asset(table: str, finalize: Callable[[list[pd.DataFrame]], pd.DataFrame]) -> dg.AssetsDefinition:
    key = f"core__{table}"
    contract = load_contract(table)

    @published_asset(
        table,
        "core",
        ins={"raw": dg.AssetIn(key=f"raw_files__{table}")},
        description=f"{contract.description}\n\nContract: `data_contracts/{table}.yaml`.",
    )
    def core(raw: list[dict]):
        items = [RawInput(Provenance(**r["provenance"]), r["spec"]) for r in raw]
        try:
            frames = [read_file_input(i) for i in items]
        except SourceError as exc:
            raise dg.Failure(description=str(exc)) from exc
        source = ", ".join(sorted({i.provenance.dataset_id for i in items}))
        files = ", ".join(i.provenance.location for i in items)
        frame = yield from gate(key, finalize(frames), table, f"{source} ({files})")
        provenance = [i.provenance.as_dict() for i in items]
        retrieved = max(p["retrieved_at"] for p in provenance)
        yield dg.Output(frame, metadata=output_metadata(frame, source, provenance, retrieved))

    return core


def bulk_table_assets() -> list[dg.AssetsDefinition]:
    out = []
    for table, finalize in BULK_TABLES.items():
        out += [_raw_asset(table), _core_asset(table, finalize)]
    return out
