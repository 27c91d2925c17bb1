"""IO managers: published tables go to the Parquet warehouse, raw provenance to JSON beside it."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd

from pipeline import code_version
from pipeline.contracts import contract_for_asset, load_contract
from pipeline.sources.base import utc_now
from pipeline.warehouse import read_table, update_catalog, write_table
from pipeline.warehouse.catalog import catalog_entry

LAYER_PREFIXES = ("core__", "out__")


def table_name(asset_key: dg.AssetKey) -> str:
    """The published table of an asset: the contract whose ``physicalName`` is the asset
    (``core__bilateral_goods_trade`` -> ``bilateral_goods_trade``; ``out__services_restrictiveness``
    -> ``services_restrictiveness_profile``)."""
    name = asset_key.path[-1]
    if not name.startswith(LAYER_PREFIXES):
        raise ValueError(f"asset {name} is not a published table (expected core__ or out__ prefix)")
    return contract_for_asset(name).name


class ParquetWarehouseIOManager(dg.ConfigurableIOManager):
    """Writes each core/out asset as Hive-partitioned Parquet under ``root``.

    The table's contract gives the Arrow schema and partition column; the asset's output
    metadata ``source`` and ``provenance`` are stamped into the files and ``catalog.json``.
    """

    root: str

    def handle_output(self, context: dg.OutputContext, obj: pd.DataFrame) -> None:
        name = table_name(context.asset_key)
        contract = load_contract(name)
        meta = context.definition_metadata or {}
        extra = _plain_metadata(context)
        materialized_at = utc_now()
        published = write_table(
            obj,
            self.root,
            name,
            contract.arrow_schema(),
            contract.partition_column,
            {
                "contract_id": contract.id,
                "contract_version": contract.version,
                "source": extra.get("source", meta.get("source", "")),
                "provenance": extra.get("provenance", []),
                "retrieved_at": extra.get("retrieved_at", materialized_at),
                "materialized_at": materialized_at,
                "code_version": code_version(),
            },
        )
        update_catalog(
            self.root,
            catalog_entry(published, contract, Path(self.root), materialized_at,
                          str(extra.get("source", ""))),
        )
        context.add_output_metadata(
            {"path": dg.MetadataValue.path(str(published.path)), "files": len(published.files)}
        )

    def load_input(self, context: dg.InputContext) -> pd.DataFrame | None:
        """The published table; for an input marked ``optional`` (``OPTIONAL_INPUT``), None when
        the table was never published (a branch the settings cannot feed was left out of the run)."""
        name = table_name(context.asset_key)
        if (context.definition_metadata or {}).get("optional") and not (Path(self.root) / name).exists():
            context.log.info(f"optional input {name} is not published under {self.root}: going without it")
            return None
        return read_table(self.root, name, load_contract(name).arrow_schema())


OPTIONAL_INPUT = {"optional": True}  # AssetIn metadata: load None when the table is not published


def _plain_metadata(context: dg.OutputContext) -> dict[str, Any]:
    """Values the asset attached to its Output, unwrapped from Dagster metadata types."""
    out = {}
    for key, value in (context.output_metadata or {}).items():
        out[key] = getattr(value, "value", value)
        if key == "provenance" and isinstance(out[key], str):
            out[key] = json.loads(out[key])
    return out


class RawProvenanceIOManager(dg.ConfigurableIOManager):
    """Stores what a raw asset discovered (provenance and manifest entry) as JSON.

    Files live in ``<root>/_raw/``: the leading underscore keeps them out of Parquet readers'
    way. The JSON is swapped in atomically like every other file in the warehouse.
    """

    root: str

    def _path(self, key: dg.AssetKey) -> Path:
        return Path(self.root) / "_raw" / f"{key.path[-1]}.json"

    def handle_output(self, context: dg.OutputContext, obj: list[dict[str, Any]]) -> None:
        path = self._path(context.asset_key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(obj, indent=2, default=str))
        os.replace(tmp, path)

    def load_input(self, context: dg.InputContext) -> list[dict[str, Any]]:
        path = self._path(context.asset_key)
        if not path.exists():
            raise dg.Failure(f"raw inputs {path} missing: materialize {context.asset_key.to_user_string()} first")
        return json.loads(path.read_text())
