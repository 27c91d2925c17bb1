"""Read ODCS v3.1 data contracts: the single source of truth for every published table.

A contract (``data_contracts/<table>.yaml``) declares one schema object whose properties carry
``logicalType``, ``physicalType`` (an Arrow type name), ``required``, ``unique``,
``primaryKey``/``primaryKeyPosition``, ``partitioned``, a ``unit`` custom property and
``quality`` rules. From it derive: the Arrow schema the warehouse enforces, the Great
Expectations suite (:mod:`pipeline.contracts.expectations`), the Dagster column schema and the
README's table of outputs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

CONTRACTS_DIR = Path(__file__).resolve().parents[2] / "data_contracts"

_ARROW_TYPES = {
    "string": pa.string(),
    "int16": pa.int16(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "double": pa.float64(),
    "float64": pa.float64(),
    "bool": pa.bool_(),
    "date32": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}


class ContractError(ValueError):
    """A contract file itself is malformed (not the data it describes)."""


@dataclass(frozen=True)
class Column:
    name: str
    logical_type: str
    physical_type: str
    required: bool
    unique: bool
    description: str
    unit: str | None
    primary_key_position: int | None
    partitioned: bool
    quality: tuple[dict[str, Any], ...] = ()

    @property
    def arrow_type(self) -> pa.DataType:
        return _ARROW_TYPES[self.physical_type]


@dataclass(frozen=True)
class Contract:
    id: str
    name: str
    version: str
    description: str
    physical_name: str
    columns: tuple[Column, ...]
    quality: tuple[dict[str, Any], ...] = field(default=())
    path: Path | None = None

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def primary_key(self) -> list[str]:
        keyed = [c for c in self.columns if c.primary_key_position is not None]
        return [c.name for c in sorted(keyed, key=lambda c: c.primary_key_position)]

    @property
    def partition_column(self) -> str | None:
        parts = [c.name for c in self.columns if c.partitioned]
        return parts[0] if parts else None

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"contract {self.name} has no column {name!r}")

    def arrow_schema(self) -> pa.Schema:
        return pa.schema(
            [pa.field(c.name, c.arrow_type, nullable=not c.required) for c in self.columns]
        )


def _column(prop: dict[str, Any], where: str) -> Column:
    missing = [k for k in ("name", "logicalType", "physicalType") if k not in prop]
    if missing:
        raise ContractError(f"{where}: property {prop.get('name', '?')} lacks {missing}")
    if prop["physicalType"] not in _ARROW_TYPES:
        raise ContractError(
            f"{where}: column {prop['name']} has physicalType {prop['physicalType']!r}; "
            f"use one of {sorted(_ARROW_TYPES)}"
        )
    custom = {p["property"]: p["value"] for p in prop.get("customProperties", [])}
    return Column(
        name=prop["name"],
        logical_type=prop["logicalType"],
        physical_type=prop["physicalType"],
        required=bool(prop.get("required", False)),
        unique=bool(prop.get("unique", False)),
        description=str(prop.get("description", "")).strip(),
        unit=custom.get("unit"),
        primary_key_position=prop.get("primaryKeyPosition") if prop.get("primaryKey") else None,
        partitioned=bool(prop.get("partitioned", False)),
        quality=tuple(prop.get("quality", [])),
    )


def parse_contract(doc: dict[str, Any], path: Path | None = None) -> Contract:
    where = str(path or "contract")
    if doc.get("apiVersion") != "v3.1.0" or doc.get("kind") != "DataContract":
        raise ContractError(f"{where}: expected apiVersion v3.1.0 and kind DataContract")
    schema = doc.get("schema") or []
    if len(schema) != 1:
        raise ContractError(f"{where}: expected exactly one schema object, found {len(schema)}")
    obj = schema[0]
    description = doc.get("description", {})
    return Contract(
        id=doc["id"],
        name=obj["name"],
        version=str(doc["version"]),
        description=str(description.get("purpose", "")).strip(),
        physical_name=obj.get("physicalName", obj["name"]),
        columns=tuple(_column(p, where) for p in obj["properties"]),
        quality=tuple(obj.get("quality", [])),
        path=path,
    )


@lru_cache(maxsize=None)
def load_contract(name: str, directory: Path = CONTRACTS_DIR) -> Contract:
    """Load ``data_contracts/<name>.yaml``."""
    path = directory / f"{name}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in directory.glob("*.yaml"))
        raise ContractError(f"no contract {name!r} in {directory}; known: {known}")
    return parse_contract(yaml.safe_load(path.read_text()), path)


def all_contracts(directory: Path = CONTRACTS_DIR) -> list[Contract]:
    return [load_contract(p.stem, directory) for p in sorted(directory.glob("*.yaml"))]


@lru_cache(maxsize=None)
def contract_for_asset(asset_name: str, directory: Path = CONTRACTS_DIR) -> Contract:
    """The contract whose ``physicalName`` is ``asset_name`` (``out__services_restrictiveness`` ->
    ``services_restrictiveness_profile``): the asset a contract describes is named in the contract."""
    matches = [c for c in all_contracts(directory) if c.physical_name == asset_name]
    if len(matches) != 1:
        raise ContractError(f"{len(matches)} contracts in {directory} have physicalName {asset_name!r}; "
                            "exactly one must describe each published asset")
    return matches[0]
