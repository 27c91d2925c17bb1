"""The published warehouse: Hive-partitioned Parquet, atomic writes, a catalog."""
from pipeline.warehouse.catalog import read_catalog, update_catalog
from pipeline.warehouse.parquet import PublishedTable, read_table, write_table

__all__ = ["PublishedTable", "read_catalog", "read_table", "update_catalog", "write_table"]
