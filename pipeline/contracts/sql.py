"""Run a contract's rules in DuckDB: over a frame (as Arrow, zero copy) or over Parquet files.

Why: Great Expectations on pandas copies blocks and checks string nulls in Python; on the 6.5
million WIOD rows of ``input_output`` that took 35-55 s, and BACI is ~10 million rows a year.
DuckDB evaluates every column-map rule in one parallel scan (``count(*) FILTER (WHERE ...)``
per rule), a uniqueness rule as one ``GROUP BY ... HAVING count(*) > 1``, and fetches the
first five failing rows of a failed rule only. The rules are those of
:func:`pipeline.contracts.expectations.compile_rules` (the ODCS contract stays the one source),
translated by :mod:`pipeline.contracts.sql_rules`; a rule without a SQL form runs in GX.
Findings are the :class:`~pipeline.contracts.report.Finding` objects GX's path returns:
the same counts, the same sample values and the same first rows (in row order).
"""
from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.contracts.expectations import Rule, run_expectations
from pipeline.contracts.odcs import Contract
from pipeline.contracts.origin import ORIGIN_COLUMNS, ORIGIN_FILE, ORIGIN_ROW, json_safe, sample_rows
from pipeline.contracts.report import Finding
from pipeline.contracts.sql_rules import SqlRule, compile_rule, literal, quote

POS = "_gate_pos"  # the row's position (0-based) in the checked input: orders the samples
SAMPLE = 5  # GX's partial_unexpected_count in run_expectations


SPILL_PREFIX = "trade-duckdb-"  # of the temporary directory a connection spills into


def connect(memory_limit: str = "2GB", threads: int = 2, temp_directory: str | Path | None = None):
    """A DuckDB connection with bounded memory (GUIDE §6): it spills past ``memory_limit``.

    Spilled data goes to ``temp_directory``, by default a fresh directory under the system's
    temporary folder that is removed when the connection is garbage-collected (DuckDB's own
    default, ``.tmp`` in the working directory, would be left in whatever folder a run starts
    from). :func:`session` removes it as soon as the block ends."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET threads = {int(threads)}")
    con.execute("SET preserve_insertion_order = false")
    if temp_directory is None:
        temp_directory = tempfile.mkdtemp(prefix=SPILL_PREFIX)
        weakref.finalize(con, shutil.rmtree, temp_directory, True)
    con.execute(f"SET temp_directory = {literal(str(temp_directory))}")
    return con


@contextmanager
def session(memory_limit: str = "2GB", threads: int = 2) -> Iterator[Any]:
    """A :func:`connect` connection for one ``with`` block: closed, and its spill directory
    removed, when the block ends."""
    with tempfile.TemporaryDirectory(prefix=SPILL_PREFIX) as spill:
        con = connect(memory_limit, threads, spill)
        try:
            yield con
        finally:
            con.close()


def _sample_key(contract: Contract, columns: Sequence[str]) -> list[str]:
    key = contract.primary_key or contract.column_names[:4]
    if "source" in columns and "source" not in key:
        key = [*key, "source"]
    return [k for k in key if k in columns]


def _failing(con, rel: str, rules: list[SqlRule]) -> dict[int, int]:
    """Failing-row count per rule index: one scan for every map and count rule."""
    counts: dict[int, int] = {}
    scanned = [(i, r) for i, r in enumerate(rules) if r.kind in ("map", "count")]
    if scanned:
        exprs = [f"count(*) FILTER (WHERE {r.predicate})" if r.kind == "map" else "count(*)"
                 for _, r in scanned]
        row = con.execute(f"SELECT {', '.join(exprs)} FROM {rel}").fetchall()[0]
        for (i, r), n in zip(scanned, row, strict=True):
            if r.kind == "map":
                counts[i] = int(n)
            else:
                failed = con.execute(f"SELECT {r.predicate} FROM {rel}").fetchall()[0][0]
                counts[i] = max(int(n), 1) if failed else 0  # an empty table fails "rows > 0" too
    for i, r in enumerate(rules):
        if r.kind == "unique":
            cols = ", ".join(map(quote, r.columns))
            # A 64-bit hash of the key groups far faster than six strings; equal keys hash equal,
            # so no repeated hash means no duplicate, and a repeated one is counted exactly.
            repeated = con.execute(
                f"SELECT count(*) FROM (SELECT hash({cols}) AS h FROM {rel} WHERE {r.predicate} "
                f"GROUP BY h HAVING count(*) > 1)").fetchall()[0][0]
            counts[i] = 0 if not repeated else int(con.execute(
                f"SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM {rel} "
                f"WHERE {r.predicate} GROUP BY {cols} HAVING count(*) > 1)").fetchall()[0][0])
    return counts


def _failing_where(rel: str, rule: SqlRule) -> str:
    if rule.kind == "map":
        return rule.predicate
    keys = ", ".join(map(quote, rule.columns))
    return (f"{rule.predicate} AND ({keys}) IN (SELECT ({keys}) FROM {rel} WHERE {rule.predicate} "
            f"GROUP BY {keys} HAVING count(*) > 1)")


def _first_failing(con, rel: str, rule: SqlRule, order: Sequence[str]) -> list[dict[str, Any]]:
    """The first :data:`SAMPLE` failing rows by ``order``. Found with an aggregate FILTER, then
    fetched by position: DuckDB 2.0 prunes Parquet row groups on their min/max statistics for
    ``isnan`` in a WHERE clause and returns no NaN row (the FILTER of the counts is exact)."""
    key = "{" + ", ".join(f"'k{i}': {quote(c)}" for i, c in enumerate(order)) + "}"
    firsts = con.execute(f"SELECT min({key}, {SAMPLE}) FILTER (WHERE {_failing_where(rel, rule)}) "
                         f"FROM {rel}").fetchall()[0][0] or []
    if not firsts:
        return []
    at = " OR ".join("(" + " AND ".join(f"{quote(c)} = {literal(f[f'k{i}'])}" for i, c in enumerate(order)) + ")"
                     for f in firsts)
    cur = con.execute(f"SELECT * FROM {rel} WHERE {at} ORDER BY {', '.join(map(quote, order))}")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _sample_values(rule: SqlRule, records: list[dict[str, Any]]) -> list[Any]:
    if rule.kind == "count":
        return []
    if len(rule.columns) > 1:
        return json_safe([{c: r[c] for c in rule.columns} for r in records])
    return json_safe([r[rule.columns[0]] for r in records])


def _run(con, rel: str, compiled: list[SqlRule], total: int, located, order: Sequence[str]) -> list[Finding]:
    """Findings of the failed rules, first rows by ``order``; ``located(rule, records)`` gives
    each one's rows."""
    counts = _failing(con, rel, compiled)
    findings = []
    for i, rule in enumerate(compiled):
        if not counts[i]:
            continue
        records = _first_failing(con, rel, rule, order) if rule.kind != "count" else []
        findings.append(Finding(
            expectation=rule.rule.expectation, column=rule.rule.column,
            failing_rows=total if rule.kind == "count" else counts[i], total_rows=total,
            sample=_sample_values(rule, records), fix=rule.rule.fix, rows=located(rule, records),
        ))
    return findings


def frame_kinds(frame: pd.DataFrame) -> dict[str, str]:
    """Each column's kind for :func:`compile_rule`: ``text``, ``number``, ``bool`` or ``other``."""
    def kind(dtype) -> str:
        if pd.api.types.is_bool_dtype(dtype):
            return "bool"
        if pd.api.types.is_numeric_dtype(dtype):
            return "number"
        return "text" if pd.api.types.is_string_dtype(dtype) else "other"
    return {c: kind(frame[c].dtype) for c in frame.columns}


def _duckdb_kind(type_name: str) -> str:
    if type_name == "BOOLEAN":
        return "bool"
    if type_name == "VARCHAR":
        return "text"
    numeric = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
               "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE")
    return "number" if type_name in numeric or type_name.startswith("DECIMAL") else "other"


def _split(rules: list[Rule], floating: set[str], kinds: dict[str, str]) -> tuple[list[SqlRule], list[Rule]]:
    compiled, left = [], []
    for rule in rules:
        sql_rule = compile_rule(rule, floating, kinds)
        (compiled if sql_rule is not None else left).append(sql_rule or rule)
    return compiled, left


def run_sql(frame: pd.DataFrame, contract: Contract, rules: list[Rule],
            origin: pd.DataFrame | None = None, con=None) -> list[Finding]:
    """The failed rules of ``frame`` (a conformed frame), as :func:`run_expectations` reports
    them. Rules without a SQL form run in GX on ``frame`` (their findings come last)."""
    import pyarrow as pa

    floating = {c for c in frame.columns if pd.api.types.is_float_dtype(frame[c])}
    compiled, left = _split(rules, floating, frame_kinds(frame))
    con = con or connect()
    table = pa.Table.from_pandas(frame, preserve_index=False).append_column(
        POS, pa.array(np.arange(len(frame), dtype=np.int64)))
    con.register("gate_input", table)
    key = _sample_key(contract, list(frame.columns))

    def located(rule: SqlRule, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sample_rows(frame, list(frame.index[[r[POS] for r in records]]), key, origin)

    try:
        findings = _run(con, "gate_input", compiled, len(frame), located, (POS,))
    finally:
        con.unregister("gate_input")
    if left:
        findings += run_expectations(frame, contract, left, origin)
    return findings


def run_sql_parquet(paths: Sequence[str | Path], contract: Contract, rules: list[Rule],
                    con=None) -> tuple[list[Finding], list[Rule]]:
    """The failed rules over Parquet files, scanned out of core, and the rules not compiled
    (the caller decides: a whole-table GX fallback is what this path exists to avoid).
    A failing row's ``file`` and ``row`` are its origin columns when the files carry them,
    else the Parquet file and its row number (1 = the first row)."""
    con = con or connect()
    files = ", ".join(literal(str(p)) for p in paths)
    scan = f"read_parquet([{files}], filename = true, file_row_number = true)"
    types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {scan})").fetchall())
    names = list(types)
    floating = {c for c, t in types.items() if t in ("DOUBLE", "FLOAT")}
    compiled, left = _split(rules, floating, {c: _duckdb_kind(t) for c, t in types.items()})
    key = _sample_key(contract, names)
    tagged = all(c in names for c in ORIGIN_COLUMNS)

    def located(rule: SqlRule, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return json_safe([{**{k: r[k] for k in key},
                           "file": r[ORIGIN_FILE] if tagged else r["filename"],
                           "row": r[ORIGIN_ROW] if tagged else r["file_row_number"] + 1}
                          for r in records])

    total = con.execute(f"SELECT count(*) FROM {scan}").fetchall()[0][0]
    # DuckDB 2.0 prunes Parquet row groups on min/max statistics that leave NaN out, so a
    # WHERE on isnan() over Parquet finds no NaN row (and NOT isnan() keeps them all); without
    # these two optimizers the filter is applied to the rows as read.
    saved = con.execute("SELECT current_setting('disabled_optimizers')").fetchall()[0][0]
    con.execute("SET disabled_optimizers = 'filter_pushdown,statistics_propagation'")
    try:
        return _run(con, scan, compiled, int(total), located, ("filename", "file_row_number")), left
    finally:
        con.execute(f"SET disabled_optimizers = {literal(saved or '')}")
