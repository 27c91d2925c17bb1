"""Product flows of one year partition of ``bilateral_product_trade``, computed by DuckDB over its
Parquet files (issue 17: the product table is never loaded whole into pandas).

The flows are those of :func:`pipeline.metrics.product_flows.product_flows`, the authoritative
definition, one classification at a time: exporter -> importer flows from the export rows
(mirror flows: a country's imports of k are its partners' exports of k to it), the ``import``
rows only for exporter-importer-product keys the export side lacks, flows of a country with
itself and zero flows dropped, and flows touching a code that is no economy dropped
(aggregates always; reporting categories such as areas n.e.s. ``UNS``, bunkers ``BUN`` or Atlas
``ANS`` unless ``keep_unallocated``; :mod:`pipeline.reference.codes`). Only what a metric needs
leaves DuckDB: the flows of one year, or each exporter's exports by product (countries x
products, small beside the flows).
"""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from pipeline.contracts.sql_rules import literal
from pipeline.metrics.product_flows import PRODUCT_FLOW_COLUMNS, product_classifications_present
from pipeline.reference.codes import country_codes


def scan(files: Sequence[str]) -> str:
    """``read_parquet`` of one partition's files (the partition column is not in them)."""
    if not files:
        raise ValueError("no Parquet files to read: the partition is empty")
    return f"read_parquet([{', '.join(literal(str(f)) for f in files)}])"


def classifications_in(con, files: Sequence[str]) -> list[str]:
    """Product classifications in the files, finest first; undeclared ones raise
    (:func:`~pipeline.metrics.product_flows.product_classifications_present`)."""
    names = [r[0] for r in con.execute(f"SELECT DISTINCT product_classification FROM {scan(files)}").fetchall()]
    return product_classifications_present(pd.DataFrame({"product_classification": names}))


def not_in(column: str, codes: Sequence[str]) -> str:
    # A hash anti-join against the list, not a literal IN chain (pipeline/contracts/sql_rules.py).
    return f"{column} NOT IN (SELECT unnest([{', '.join(literal(c) for c in codes)}]))"


def excluded_codes(keep_unallocated: bool) -> list[str]:
    """Codes whose flows are dropped: aggregates, and the reporting categories that are no
    economy unless ``keep_unallocated`` (as ``is_aggregate`` / ``is_economy`` in pandas)."""
    codes = country_codes()
    return sorted(codes.aggregates) if keep_unallocated else sorted({*codes.aggregates, *codes.not_economies})


def flows_sql(files: Sequence[str], classification: str, keep_unallocated: bool = False) -> str:
    """The query of one classification's flows in ``files``: ``exporter_iso3, importer_iso3,
    product_code, value_usd`` (summed per key, zero flows removed)."""
    excluded = excluded_codes(keep_unallocated)
    return f"""
        WITH rows AS (
            SELECT reporter_iso3, partner_iso3, flow, product_code, value_usd FROM {scan(files)}
            WHERE product_classification = {literal(classification)}),
        exports AS (
            SELECT reporter_iso3 AS exporter_iso3, partner_iso3 AS importer_iso3, product_code, value_usd
            FROM rows WHERE flow = 'export'),
        imports AS (
            SELECT partner_iso3 AS exporter_iso3, reporter_iso3 AS importer_iso3, product_code, value_usd
            FROM rows WHERE flow = 'import'),
        flows AS (
            SELECT * FROM exports
            UNION ALL
            SELECT i.* FROM imports i ANTI JOIN exports e USING (exporter_iso3, importer_iso3, product_code))
        SELECT exporter_iso3, importer_iso3, product_code, sum(value_usd) AS value_usd FROM flows
        WHERE value_usd > 0 AND NOT isnan(value_usd) AND exporter_iso3 <> importer_iso3
          AND {not_in("exporter_iso3", excluded)} AND {not_in("importer_iso3", excluded)}
        GROUP BY exporter_iso3, importer_iso3, product_code"""


def _frame(con, query: str, year: int, columns: list[str]) -> pd.DataFrame:
    frame = con.execute(query).df()
    for col in frame.columns:
        if col != "value_usd":
            frame[col] = frame[col].astype(str)
    frame["year"] = int(year)
    return frame[columns]


def year_flows(con, files: Sequence[str], year: int, classification: str,
               keep_unallocated: bool = False) -> pd.DataFrame:
    """One year's flows of one classification as
    :data:`~pipeline.metrics.product_flows.PRODUCT_FLOW_COLUMNS`, sorted by key (the frame
    ``product_flows`` returns for that year; for a year small enough to hold in pandas)."""
    query = (f"SELECT * FROM ({flows_sql(files, classification, keep_unallocated)}) "
             "ORDER BY exporter_iso3, importer_iso3, product_code")
    return _frame(con, query, year, PRODUCT_FLOW_COLUMNS)


def year_exports_by_product(con, files: Sequence[str], year: int, classification: str,
                            keep_unallocated: bool = False) -> pd.DataFrame:
    """Each exporter's exports of each product to all partners in one year:
    ``iso3, year, product_code, value_usd`` (as
    :func:`~pipeline.metrics.product_flows.exports_by_product` of that year's flows), aggregated
    in DuckDB so that only countries x products reach pandas."""
    query = (f"SELECT exporter_iso3 AS iso3, product_code, sum(value_usd) AS value_usd "
             f"FROM ({flows_sql(files, classification, keep_unallocated)}) "
             "GROUP BY exporter_iso3, product_code ORDER BY iso3, product_code")
    return _frame(con, query, year, ["iso3", "year", "product_code", "value_usd"])


def year_pair_flows(con, files: Sequence[str], year: int, classification: str,
                    keep_unallocated: bool = False) -> pd.DataFrame:
    """One year's flows of one classification summed over products: ``exporter_iso3,
    importer_iso3, year, value_usd`` (exporter x importer, what coverage and partner reach need;
    the pairs are those of the product flows, each with a positive value)."""
    query = (f"SELECT exporter_iso3, importer_iso3, sum(value_usd) AS value_usd "
             f"FROM ({flows_sql(files, classification, keep_unallocated)}) "
             "GROUP BY exporter_iso3, importer_iso3 ORDER BY exporter_iso3, importer_iso3")
    return _frame(con, query, year, ["exporter_iso3", "importer_iso3", "year", "value_usd"])


def year_exporter_sources(con, files: Sequence[str], year: int, classification: str) -> pd.DataFrame:
    """``iso3, year, source``: the dataset(s) of each exporter's rows of one classification
    (the exporter of an ``import`` row is its partner), ``a; b`` for several, sorted."""
    query = f"""
        SELECT iso3, string_agg(source, '; ' ORDER BY source) AS source FROM (
            SELECT DISTINCT CASE WHEN flow = 'export' THEN reporter_iso3 ELSE partner_iso3 END AS iso3,
                   CAST(source AS VARCHAR) AS source
            FROM {scan(files)} WHERE product_classification = {literal(classification)})
        GROUP BY iso3 ORDER BY iso3"""
    return _frame(con, query, year, ["iso3", "year", "source"])


def year_export_reporters(con, files: Sequence[str], year: int, classification: str) -> pd.DataFrame:
    """``iso3, year`` of every reporter of export rows of one classification."""
    query = (f"SELECT DISTINCT reporter_iso3 AS iso3 FROM {scan(files)} "
             f"WHERE product_classification = {literal(classification)} AND flow = 'export' ORDER BY iso3")
    return _frame(con, query, year, ["iso3", "year"])


def year_source_pair_rows(con, files: Sequence[str], year: int, wanted: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """The rows of the ``(source, classification)`` pairs in ``wanted`` summed over products per
    reporter, partner and flow, as rows of ``bilateral_goods_trade`` (``product_code`` TOTAL):
    what :func:`pipeline.metrics.goods_sources.selected_flows` reads of a product source (it
    sums a source's rows per pair itself, so the totals it gives are unchanged)."""
    columns = ["reporter_iso3", "partner_iso3", "year", "flow", "product_classification", "product_code",
               "value_usd", "source"]
    if not wanted:
        return pd.DataFrame(columns=columns)
    pairs = " OR ".join(f"(source = {literal(s)} AND product_classification = {literal(c)})" for s, c in wanted)
    query = f"""
        SELECT reporter_iso3, partner_iso3, flow, product_classification, 'TOTAL' AS product_code,
               sum(value_usd) AS value_usd, source
        FROM {scan(files)} WHERE {pairs}
        GROUP BY reporter_iso3, partner_iso3, flow, product_classification, source
        ORDER BY source, reporter_iso3, partner_iso3, flow"""
    return _frame(con, query, year, columns)


def declared_product_rows(con, products, precedence) -> pd.DataFrame:
    """The product rows of the declared goods-totals sources (``precedence``: the manifest's
    ``goods_totals`` entries whose classification is not TOTAL, Atlas sectors in the shared
    manifest) summed per reporter, partner, year and flow in DuckDB, one year partition of
    ``products`` (a :class:`~pipeline.warehouse.parquet.PartitionedTable`) at a time:
    :func:`year_source_pair_rows` of every year."""
    wanted = [(s.source, s.classification) for s in precedence if s.classification != "TOTAL"]
    frames = [year_source_pair_rows(con, products.files(y), y, wanted) for y in products.values()]
    return pd.concat(frames, ignore_index=True) if frames else year_source_pair_rows(con, [], 0, [])
