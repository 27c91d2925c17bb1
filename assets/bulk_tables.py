"""Raw and core assets for the canonical tables fed by bulk files (and, where an API serves
the table, by its live raw asset: :mod:`assets.live_sources`).

For each table: ``raw_files__<table>`` records which files the manifest matched (path, size,
sha256, modified time, licence) without publishing them; ``core__<table>`` reads exactly those
bytes (or re-reads the landed API answers), maps them to canonical columns, passes the
contract gate and is published.

Modes (``TRADE_SOURCES``): in live mode a table with an API comes from the API only; a table
without one (WIOD, gravity panels) comes from TRADE_BULK_DIR when it is set and is otherwise
an error naming TRADE_BULK_DIR (`make run` leaves such branches out: :mod:`assets.selection`).
In bulk mode the API assets fetch nothing.
"""
from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pandas as pd

from assets.contract_gate import gate, gate_report, output_metadata, published_asset
from assets.live_sources import API_ONLY_TABLES, LIVE_RAW_ASSETS
from assets.resources import BulkFilesResource, SourceModeResource
from pipeline.contracts import load_contract
from pipeline.contracts.origin import tag_origin
from pipeline.contracts.staged import check_staged
from pipeline.sources.base import Provenance, RawInput, SourceError
from pipeline.sources.files import read_file_input
from pipeline.sources.live import OECD_KEYS, fetch_frame, merge_update, replay_client
from pipeline.transform import canonical
from pipeline.transform.staging import missing_cells, stage_inputs, staging_folder
from pipeline.warehouse import read_table

BULK_TABLES: dict[str, Callable[[list[pd.DataFrame]], pd.DataFrame]] = {
    "bilateral_goods_trade": canonical.finalize_bilateral_goods_trade,
    # HS/Atlas product rows: the same canonical columns and code mapping as the totals (issue 17).
    "bilateral_product_trade": canonical.finalize_bilateral_goods_trade,
    "macro_indicators": canonical.finalize_macro_indicators,
    "gravity_panel": canonical.finalize_gravity_panel,
    "input_output": canonical.finalize_input_output,
    "services_restrictiveness": canonical.finalize_services_restrictiveness,  # live: raw_oecd__stri
}
API_TABLES: dict[str, Callable[[list[pd.DataFrame]], pd.DataFrame]] = {  # served by an API only
    "services_trade": canonical.finalize_services_trade,
    "value_added_trade": canonical.finalize_value_added_trade,
}
assert set(API_TABLES) == set(API_ONLY_TABLES)


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
    def raw(bulk_files: BulkFilesResource, sources: SourceModeResource) -> dg.Output:
        if sources.resolved() == "live":
            if table in LIVE_RAW_ASSETS:
                return dg.Output([], metadata={"mode": "live", "note": f"{table} comes from "
                                               f"{LIVE_RAW_ASSETS[table]} in live mode"})
            if not bulk_files.bulk_dir:
                raise dg.Failure(description=f"{table} has no live API source and TRADE_BULK_DIR is not "
                                 "set: set it to a directory of bulk files (e.g. ../shared/datasets) "
                                 "for this table; `make run` leaves it out until then")
        source = bulk_files.source()
        if absent := source.absent(table):
            raise dg.Failure(description=absent_message(table, absent, source))
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
                "datasets_disabled": ", ".join(source.disabled) or "none",
            },
        )

    return raw


def absent_message(table: str, absent: list[dict], source) -> str:
    """Which declared datasets have no file, and the two ways on."""
    ids = ",".join(e["id"] for e in absent)
    listed = "; ".join(f"{e['id']} (pattern {e['pattern']})" for e in absent)
    return (f"{table}: the manifest {source.manifest} declares {len(absent)} dataset(s) with no file under "
            f"TRADE_BULK_DIR={source.root}: {listed}. Restore the file(s), or run without them with "
            f"TRADE_DISABLED_DATASETS={','.join(filter(None, (*source.disabled, ids)))} (their rows then leave the "
            f"published table: allow that with TRADE_ACCEPT_COVERAGE_DROP={table}). Nothing was published.")


def _publish(key: str, table: str, finalize: Callable[[list[pd.DataFrame]], pd.DataFrame],
             sources: SourceModeResource, raws: list[list[dict]]):
    """Read every input of one refresh, finalize, pass the gate, publish (a generator of
    Dagster events). An incremental API answer is laid over the published table."""
    items = [RawInput(Provenance(**r["provenance"]), r["spec"]) for raw in raws for r in raw]
    if not items:
        hint = (f"{table} comes only from the {LIVE_RAW_ASSETS[table]} API; TRADE_SOURCES resolves to bulk"
                if table in API_ONLY_TABLES else "neither bulk files nor an API answer")
        raise dg.Failure(description=f"no input for {table}: {hint}")
    updates = [i.spec["updated_after"] for i in items if i.spec.get("updated_after")]
    if table in STAGED_TABLES and not updates:
        yield from _publish_staged(key, table, sources, items)
        return
    try:
        frames = [_api_rows(table, i, _read(i, sources)) for i in items]
    except SourceError as exc:
        raise dg.Failure(description=str(exc)) from exc
    missing = missing_values(items, frames)
    # Each row tagged with its file and row: a contract failure names where the bad row is.
    frame = finalize([tag_origin(f, i.provenance.location) for i, f in zip(items, frames, strict=True)])
    source = ", ".join(sorted({i.provenance.dataset_id for i in items}))
    if updates:
        published = read_table(sources.warehouse_dir, table, load_contract(table).arrow_schema())
        revised = len(frame)
        frame = merge_update(published, frame, OECD_KEYS[table])
        source += f" (incremental: {revised:,} observations revised after {updates[0]} laid over the published table)"
    notes = {"missing_values": dg.MetadataValue.json(missing)} if missing else {}
    frame = yield from gate(key, frame, table, source, notes)
    provenance = [i.provenance.as_dict() for i in items]
    retrieved = max(p["retrieved_at"] for p in provenance)
    yield dg.Output(frame, metadata={**output_metadata(frame, source, provenance, retrieved), **notes})


# Tables ingested one input at a time, staged as Parquet and gated out of core (issue 17): never
# whole in pandas. Their row-wise finishing step (the per-frame part of their BULK_TABLES entry).
STAGED_TABLES: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
    "bilateral_product_trade": canonical.bilateral_codes,
}


def _publish_staged(key: str, table: str, sources: SourceModeResource, items: list[RawInput]):
    """:func:`_publish` for a table of :data:`STAGED_TABLES`: each input read, finished and
    conformed alone and staged as Parquet (:func:`pipeline.transform.staging.stage_inputs`), the
    contract run over the staged files (:func:`pipeline.contracts.staged.check_staged`), the staged
    table handed to the IO manager, which writes it one partition at a time. Same check result,
    failure message, published files and metadata as the pandas path. The staged files live in a
    temporary folder named after this process (:func:`pipeline.transform.staging.staging_folder`:
    the next ingest removes the folder of a killed run, D2), removed by the IO manager after it wrote or refused the table (issue 17 D1),
    or here when the step fails before its output."""
    contract = load_contract(table)
    source = ", ".join(sorted({i.provenance.dataset_id for i in items}))
    folder = staging_folder(table)  # trade-staged-<table>-<pid>-...; dead processes' folders removed first
    try:
        try:
            staged = stage_inputs(items, lambda i: _api_rows(table, i, _read(i, sources)), STAGED_TABLES[table],
                                  contract, folder)
        except SourceError as exc:
            raise dg.Failure(description=str(exc)) from exc
        staged.remove_after_write = folder
        notes = {"missing_values": dg.MetadataValue.json(staged.missing)} if staged.missing else {}
        yield from gate_report(key, check_staged(staged, contract, source), source, notes)
        provenance = [i.provenance.as_dict() for i in items]
        retrieved = max(p["retrieved_at"] for p in provenance)
        # The IO manager removes the folder once it wrote the table or refused it: when it raises,
        # Dagster never resumes this generator past the yield.
        yield dg.Output(staged, metadata={**output_metadata(staged, source, provenance, retrieved), **notes})
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def missing_values(items: list[RawInput], frames: list[pd.DataFrame]) -> dict[str, dict]:
    """Per input with any: how many cells of each canonical column held no value, and the
    tokens that meant so (a file's manifest ``missing_values``; an API's null). Reported with the
    check and the materialization, never dropped silently (macro_indicators keeps no row
    without a value: these counts are the rows left out)."""
    return {i.provenance.location: cells for i, f in zip(items, frames, strict=True)
            if (cells := missing_cells(i, f)) is not None}


def _core_asset(table: str, finalize: Callable[[list[pd.DataFrame]], pd.DataFrame]) -> dg.AssetsDefinition:
    key = f"core__{table}"
    contract = load_contract(table)
    description = f"{contract.description}\n\nContract: `data_contracts/{table}.yaml`."
    live = {"live": dg.AssetIn(key=LIVE_RAW_ASSETS[table])} if table in LIVE_RAW_ASSETS else {}
    if table in API_ONLY_TABLES:
        @published_asset(table, "core", ins=live, description=description)
        def core_from_api(sources: SourceModeResource, live: list[dict]):
            yield from _publish(key, table, finalize, sources, [live])
        return core_from_api

    ins = {"raw": dg.AssetIn(key=f"raw_files__{table}")}
    if not live:
        @published_asset(table, "core", ins=ins, description=description)
        def core(sources: SourceModeResource, raw: list[dict]):
            yield from _publish(key, table, finalize, sources, [raw])
        return core

    @published_asset(table, "core", ins={**ins, **live}, description=description)
    def core_with_api(sources: SourceModeResource, raw: list[dict], live: list[dict]):
        yield from _publish(key, table, finalize, sources, [raw, live])

    return core_with_api


def _api_rows(table: str, item: RawInput, frame: pd.DataFrame) -> pd.DataFrame:
    """One Comtrade answer feeds two tables: its TOTAL rows the totals, its HS rows the products.
    Bulk files are split by the manifest (each entry names its table), so they pass whole."""
    if item.spec.get("kind") != "api" or table not in PRODUCT_SPLIT:
        return frame
    total = frame["product_code"] == "TOTAL"
    return frame[total if PRODUCT_SPLIT[table] else ~total].reset_index(drop=True)


PRODUCT_SPLIT = {"bilateral_goods_trade": True, "bilateral_product_trade": False}  # table -> keeps TOTAL rows


def _read(item: RawInput, sources: SourceModeResource) -> pd.DataFrame:
    """A bulk file, or the landed answers of a live refresh re-read without the network."""
    if item.spec.get("kind") == "api":
        return fetch_frame(item.spec, replay_client(item.spec, sources.landing_root))
    return read_file_input(item)


def bulk_table_assets() -> list[dg.AssetsDefinition]:
    out = []
    for table, finalize in BULK_TABLES.items():
        out += [_raw_asset(table), _core_asset(table, finalize)]
    return out + [_core_asset(table, finalize) for table, finalize in API_TABLES.items()]
