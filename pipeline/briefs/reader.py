"""Read one country's rows of the published warehouse, never a whole table.

A brief is built from one consistent view of the warehouse: the published snapshot resolved
once (the root, a link to it), or, inside a run, the tables that run staged laid over it
(:meth:`pipeline.warehouse.Warehouse.location`). Rows are read with a pyarrow dataset filter on
the country column, so the 10-million-row tables are scanned, not loaded.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds

from pipeline.contracts import load_contract
from pipeline.contracts.odcs import ContractError
from pipeline.warehouse.catalog import CATALOG_FILE
from pipeline.warehouse.objects import arrow_source, as_path, url
from pipeline.warehouse.parquet import file_metadata
from pipeline.warehouse.publish import Warehouse


class WarehouseNotPublished(RuntimeError):
    """The warehouse has no published snapshot yet: nothing to build a brief from."""


class WarehouseView:
    """The tables a brief reads: those staged by ``run_id`` (if any), else the published ones."""

    def __init__(self, root: Path | str, run_id: str | None = None):
        self.root = as_path(root)  # a directory, or an object-store prefix (a UPath)
        self.warehouse = Warehouse(self.root)
        self.run_id = run_id
        self.snapshot = self.warehouse.visible()  # a plain copy too, before a writer adopts it
        staged = self.warehouse.stage_dir(run_id) if run_id else None
        self.staged = staged if staged is not None and staged.is_dir() else None
        if self.snapshot is None and self.staged is None:
            raise WarehouseNotPublished(
                f"the warehouse {self.root} (TRADE_WAREHOUSE_DIR) has not been published yet: there are no "
                "tables to build a brief from. Run `make run` (e.g. TRADE_BULK_DIR=../shared/datasets make run) "
                "first, or point TRADE_WAREHOUSE_DIR at a published warehouse")
        self._catalog = self._read_catalog()

    def _read_catalog(self) -> dict[str, Any]:
        catalog = {"tables": {}}
        if self.snapshot is not None and (self.snapshot / CATALOG_FILE).is_file():
            catalog = json.loads((self.snapshot / CATALOG_FILE).read_text())
        if self.staged is not None:  # entries of the run's own tables, not merged until its commit
            for path in sorted((self.staged / ".entries").glob("*.json")):
                entry = json.loads(path.read_text())
                catalog.setdefault("tables", {})[entry["name"]] = entry
        return catalog

    # -- where -----------------------------------------------------------------------------
    def table_dir(self, name: str) -> Path | None:
        """The directory of table ``name`` in this view, or None when it is not published."""
        for base in (self.staged, self.snapshot):
            if base is not None and (base / name).is_dir():
                return base / name
        return None

    def has(self, name: str) -> bool:
        return self.table_dir(name) is not None

    def entry(self, name: str) -> dict[str, Any]:
        return self._catalog.get("tables", {}).get(name, {})

    @property
    def snapshot_id(self) -> str:
        """The published snapshot read; inside a run, the snapshot that run's switch will publish."""
        if self.staged is not None:
            return f"of run {self.run_id} (published with it)"
        return str(self._catalog.get("snapshot") or self.snapshot.name)

    @property
    def published_at(self) -> str:
        return "" if self.staged is not None else str(self._catalog.get("published_at") or "")

    # -- rows ------------------------------------------------------------------------------
    def dataset(self, name: str) -> ds.Dataset | None:
        path = self.table_dir(name)
        if path is None:
            return None
        return _dataset(url(path))

    def rows(self, name: str, where: dict[str, Any], columns: list[str] | None = None) -> pd.DataFrame:
        """Rows of table ``name`` whose columns equal ``where`` (a value, or a list of values);
        an empty frame (the contract's columns) when the table is not published."""
        data = self.dataset(name)
        if data is None:
            return pd.DataFrame(columns=columns or contract(name).column_names)
        expression = None
        for column, value in where.items():
            term = ds.field(column).isin(list(value)) if isinstance(value, (list, tuple, set)) \
                else ds.field(column) == value
            expression = term if expression is None else expression & term
        table = data.to_table(filter=expression, columns=columns)
        return table.to_pandas()

    def distinct(self, name: str, column: str, where: dict[str, Any] | None = None) -> list:
        """Distinct values of ``column`` (e.g. the economies a table covers)."""
        data = self.dataset(name)
        if data is None:
            return []
        frame = self.rows(name, where or {}, [column])
        return sorted(frame[column].dropna().unique().tolist())

    def retrieved_at(self, name: str) -> str:
        """When the table's source data were retrieved (Parquet key-value metadata)."""
        path = self.table_dir(name)
        files = sorted(path.rglob("*.parquet")) if path is not None else []
        return file_metadata(files[0]).get("retrieved_at", "") if files else ""

    def table_code_version(self, name: str) -> str:
        path = self.table_dir(name)
        files = sorted(path.rglob("*.parquet")) if path is not None else []
        return file_metadata(files[0]).get("code_version", "") if files else ""


@lru_cache(maxsize=64)
def _dataset(path: str) -> ds.Dataset:
    """A dataset of a table directory, its Hive partition typed by the contract (int32 year)."""
    root = as_path(path)
    parts = sorted({p.name.split("=", 1)[0] for p in root.iterdir() if "=" in p.name and p.is_dir()})
    partitioning: Any = None
    if parts:
        try:
            schema = contract(root.name).arrow_schema()
        except ContractError:
            schema = None
        part_type = schema.field(parts[0]).type if schema is not None else pa.int32()
        partitioning = ds.partitioning(pa.schema([(parts[0], part_type)]), flavor="hive")
    where, filesystem = arrow_source(root)
    return ds.dataset(where, format="parquet", partitioning=partitioning, filesystem=filesystem)


@lru_cache(maxsize=None)
def contract(name: str):
    """The contract of table ``name`` (parsed once per process)."""
    return load_contract(name)
