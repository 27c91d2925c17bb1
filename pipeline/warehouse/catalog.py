"""``catalog.json`` at the warehouse root: every published table, for humans and tools."""
from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any

from pipeline.contracts.odcs import Contract
from pipeline.warehouse.objects import is_remote, resolve
from pipeline.warehouse.parquet import PublishedTable

CATALOG_FILE = "catalog.json"


def read_catalog(root: Path | str) -> dict[str, Any]:
    """The published catalog (on object storage, that of the snapshot ``CURRENT`` names)."""
    path = resolve(root) / CATALOG_FILE if is_remote(root) else Path(root) / CATALOG_FILE
    if not path.exists():
        return {"tables": {}}
    return json.loads(path.read_text())


def catalog_entry(published: PublishedTable, contract: Contract, root: Path, materialized_at: str,
                  source: str, coverage: dict[str, Any] | None = None) -> dict[str, Any]:
    """The catalog's record of one published table; ``coverage`` as measured by
    :func:`pipeline.warehouse.coverage.table_coverage` (the next publish is compared with it)."""
    return {
        "name": published.name,
        "path": published.name if is_remote(published.path) else str(published.path.relative_to(root)),
        "contract_id": contract.id,
        "contract_version": contract.version,
        "description": contract.description,
        "row_count": published.row_count,
        "partitioning": {"flavor": "hive", "column": published.partition_column}
        if published.partition_column else None,
        "primary_key": contract.primary_key,
        "columns": [
            {"name": c.name, "type": c.physical_type, "unit": c.unit, "required": c.required,
             "description": c.description}
            for c in contract.columns
        ],
        "source": source,
        "last_materialization": materialized_at,
        **({"coverage": coverage} if coverage is not None else {}),
    }


def update_catalog(root: Path | str, entry: dict[str, Any]) -> Path:
    """Insert or replace one table's entry in the published catalog, swapped in atomically.

    The catalog of a run's tables is written when the run is published
    (:meth:`pipeline.warehouse.Warehouse.commit`); this edits the published one in place, for a
    table published on its own (:func:`pipeline.warehouse.write_table`). A lock file serialises
    concurrent editors, so no entry is lost to a read-modify-write race.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    target = Path(os.path.realpath(root / CATALOG_FILE))
    with open(root / f".{CATALOG_FILE}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        catalog = read_catalog(root)
        catalog.setdefault("tables", {})[entry["name"]] = entry
        catalog["tables"] = dict(sorted(catalog["tables"].items()))
        tmp = target.with_name(f".{CATALOG_FILE}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(catalog, indent=2) + "\n")
        os.replace(tmp, target)
    return root / CATALOG_FILE
