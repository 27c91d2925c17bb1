"""The published warehouse: Hive-partitioned Parquet, published all-or-nothing, a catalog."""
from pipeline.warehouse import lock
from pipeline.warehouse.catalog import read_catalog, update_catalog
from pipeline.warehouse.parquet import PublishedTable, read_table
from pipeline.warehouse.publish import Warehouse, write_table

__all__ = ["PublishedTable", "lock", "Warehouse", "read_catalog", "read_table", "update_catalog", "write_table"]
