"""Contracts as Dagster blocking checks, evaluated before the IO manager publishes anything.

Each core/out asset declares one blocking check, ``contract``, built from its ODCS contract.
The asset computes its frame, then ``yield from gate(...)``: the check result is yielded
first; on failure the step raises :class:`dagster.Failure` before any ``Output``, so nothing
is written and downstream assets do not run. The previous good Parquet files stay untouched.
"""
from __future__ import annotations

from collections.abc import Generator
from typing import Any

import dagster as dg
import pandas as pd

from assets.execution import step_tags
from pipeline.contracts import Contract, ContractReport, check_frame, load_contract


def contract_check_spec(table: str, asset_key: str) -> dg.AssetCheckSpec:
    contract = load_contract(table)
    return dg.AssetCheckSpec(
        name="contract",
        asset=asset_key,
        blocking=True,
        description=f"Data contract {contract.id} v{contract.version}: types, required "
        f"columns, key uniqueness and quality rules (data_contracts/{table}.yaml), run with "
        "Great Expectations.",
    )


def column_schema(contract: Contract) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=c.name,
                type=c.physical_type,
                description=c.description + (f" [{c.unit}]" if c.unit else ""),
                constraints=dg.TableColumnConstraints(nullable=not c.required, unique=c.unique),
            )
            for c in contract.columns
        ]
    )


def table_metadata(table: str) -> dict[str, Any]:
    """Static asset metadata from the contract: column schema, contract id and version."""
    contract = load_contract(table)
    return {
        "dagster/column_schema": column_schema(contract),
        "contract": f"{contract.id} v{contract.version}",
        "primary_key": ", ".join(contract.primary_key),
    }


def gate(
    asset_key: str, frame: pd.DataFrame, table: str, source: str, notes: dict[str, Any] | None = None
) -> Generator[dg.AssetCheckResult, None, pd.DataFrame]:
    """Yield the contract check result (with ``notes`` in its metadata, e.g. the missing values
    of the inputs); raise ``dg.Failure`` if it failed, else return the frame."""
    contract = load_contract(table)
    if frame.empty:
        # Nothing to compute from this input (e.g. a live refresh without product detail): an
        # empty table with the contract's columns, not a frame without columns.
        frame = frame.reindex(columns=contract.column_names)
    conformed, report = check_frame(frame, contract, source)
    yield from gate_report(asset_key, report, source, notes)
    return conformed.reset_index(drop=True)


def gate_report(asset_key: str, report: ContractReport, source: str, notes: dict[str, Any] | None = None
                ) -> Generator[dg.AssetCheckResult, None, None]:
    """Yield the check result of ``report`` (from :func:`gate`, or from the staged ingest's
    :func:`pipeline.contracts.staged.check_staged`); raise ``dg.Failure`` if it failed."""
    findings = [
        {
            "expectation": f.expectation,
            "column": f.column,
            "failing_rows": f.failing_rows,
            "files": f.files,
            "sample": f.sample[:5],
            "first_rows": f.rows[:3],
            "fix": f.fix,
        }
        for f in report.findings
    ]
    metadata = {
        "rows": report.rows,
        "rules_evaluated": len(report.evaluated),
        "rules_failed": len(report.findings),
        "rules_engine": report.engine,
        "source": source,
        **(notes or {}),
    }
    if findings:
        metadata["failures"] = dg.MetadataValue.json(findings)
        metadata["summary"] = dg.MetadataValue.md(
            pd.DataFrame(findings)[["expectation", "column", "failing_rows", "fix"]].to_markdown(index=False)
        )
    yield dg.AssetCheckResult(
        asset_key=asset_key,
        check_name="contract",
        passed=report.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=metadata,
    )
    if not report.passed:
        raise dg.Failure(description=report.message(), metadata={"failures": dg.MetadataValue.json(findings)})


def output_metadata(frame: pd.DataFrame, source: str, provenance: list[dict] | None = None,
                    retrieved_at: str | None = None) -> dict[str, Any]:
    """What every published asset shows in the UI: row count, preview, source and provenance."""
    meta: dict[str, Any] = {
        "dagster/row_count": len(frame),
        "preview": dg.MetadataValue.md(frame.head(20).to_markdown(index=False)),
        "source": source,
    }
    if provenance is not None:
        meta["provenance"] = dg.MetadataValue.json(provenance)
    if retrieved_at:
        meta["retrieved_at"] = retrieved_at
    return meta


def published_asset(table: str, layer: str, **kwargs: Any):
    """``@dg.asset`` for a table published to the warehouse behind its blocking contract check;
    the asset is named by the contract's ``physicalName`` (``<layer>__...``)."""
    name = load_contract(table).physical_name
    if not name.startswith(f"{layer}__"):
        raise ValueError(f"contract {table}: physicalName {name!r} is not a {layer}__ asset")
    return dg.asset(
        name=name,
        group_name=layer,
        io_manager_key="warehouse_io_manager",
        check_specs=[contract_check_spec(table, name)],
        metadata=table_metadata(table),
        kinds={"pandas", "parquet"},
        op_tags=step_tags(name),  # heavy steps run one at a time under the step executors
        **kwargs,
    )


def published_multi_asset(name: str, tables: dict[str, str], layer: str, **kwargs: Any):
    """``@dg.multi_asset`` publishing several tables from one computation, each behind its own
    blocking contract check and named by its contract's ``physicalName``; ``tables`` maps each
    table to its description. Subsettable: the body yields the selected outputs only."""
    names = {table: load_contract(table).physical_name for table in tables}
    if bad := [t for t, n in names.items() if not n.startswith(f"{layer}__")]:
        raise ValueError(f"contracts {bad}: physicalName is not a {layer}__ asset")
    outs = {names[t]: dg.AssetOut(description=description, group_name=layer, io_manager_key="warehouse_io_manager",
                                  is_required=False,  # a subset yields only the selected tables
                                  metadata=table_metadata(t), kinds={"pandas", "parquet"})
            for t, description in tables.items()}
    return dg.multi_asset(name=name, outs=outs, can_subset=True, op_tags=step_tags(name),
                          check_specs=[contract_check_spec(t, names[t]) for t in tables], **kwargs)
