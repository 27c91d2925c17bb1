"""The contract gate: conform types, run the rules, report; raise before anything is published.

The rules run in Great Expectations (:func:`run_expectations`) on small frames and in DuckDB
(:func:`pipeline.contracts.sql.run_sql`, the same rules compiled to SQL) on large ones: GX on
pandas took 35-55 s on WIOD's 6.5 million rows; DuckDB scans every rule at once
(figures against GX in ``benchmarks/bench_contract_gate.py`` and the README). ``TRADE_CONTRACT_ENGINE`` = ``auto``
(default: DuckDB from :data:`DUCKDB_FROM_ROWS` rows), ``gx`` or ``duckdb`` forces one.
"""
from __future__ import annotations

import os

import pandas as pd

from pipeline.contracts.conform import conform
from pipeline.contracts.expectations import compile_rules, run_expectations
from pipeline.contracts.odcs import Contract
from pipeline.contracts.origin import ORIGIN_FILE, split_origin
from pipeline.contracts.report import ContractReport, ContractViolation

ENGINES = ("auto", "gx", "duckdb")
DUCKDB_FROM_ROWS = 100_000  # small tables stay with GX, the reference implementation


def parse_engine(value: str) -> str:
    """``value`` of TRADE_CONTRACT_ENGINE, checked: one of :data:`ENGINES`."""
    engine = (value or "auto").strip().lower()
    if engine not in ENGINES:
        raise ValueError(f"TRADE_CONTRACT_ENGINE={value!r} is not one of {', '.join(ENGINES)}: "
                         "auto (DuckDB on large tables, GX on small), gx or duckdb")
    return engine


def engine_for(rows: int, setting: str | None = None) -> str:
    """``gx`` or ``duckdb`` for a frame of ``rows`` rows under ``setting`` (default: the
    TRADE_CONTRACT_ENGINE variable, read when a frame is checked, never at import)."""
    engine = parse_engine(os.environ.get("TRADE_CONTRACT_ENGINE", "auto") if setting is None else setting)
    if engine == "auto":
        return "duckdb" if rows >= DUCKDB_FROM_ROWS else "gx"
    return engine


def check_frame(
    frame: pd.DataFrame, contract: Contract, source: str, engine: str | None = None
) -> tuple[pd.DataFrame, ContractReport]:
    """Conform ``frame`` to ``contract`` and evaluate every rule.

    Returns the conformed frame and the report; the caller decides what a failure does.
    ``engine`` (``auto``, ``gx``, ``duckdb``; default TRADE_CONTRACT_ENGINE) picks who runs the
    rules (:func:`engine_for`). When columns are missing the rules are not run (they would all fail for that reason).
    Origin columns (:mod:`pipeline.contracts.origin`) are split off first: they say which file
    and row each failing row came from and are never part of the conformed frame.
    """
    frame, origin = split_origin(frame)
    conformed, findings = conform(frame, contract, origin)
    rules = compile_rules(contract)
    report = ContractReport(
        table=contract.name,
        contract_version=contract.version,
        source=source,
        rows=len(frame),
        evaluated=["types"] + [f"{r.expectation}({r.column or 'table'})" for r in rules],
        findings=list(findings),
        inputs=[] if origin is None or ORIGIN_FILE not in origin
        else [str(f) for f in origin[ORIGIN_FILE].astype("category").cat.categories],
    )
    if not any(f.expectation == "column_exists" for f in findings):
        report.engine = engine_for(len(conformed), engine)
        if report.engine == "duckdb":
            from pipeline.contracts.sql import run_sql

            report.findings += run_sql(conformed, contract, rules, origin)
        else:
            report.findings += run_expectations(conformed, contract, rules, origin)
    return conformed, report


def enforce(frame: pd.DataFrame, contract: Contract, source: str) -> pd.DataFrame:
    """Return the conformed frame, or raise :class:`ContractViolation` naming every failure."""
    conformed, report = check_frame(frame, contract, source)
    if not report.passed:
        raise ContractViolation(report)
    return conformed.reset_index(drop=True)
