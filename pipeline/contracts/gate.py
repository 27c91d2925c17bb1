"""The contract gate: conform types, run the GX rules, report; raise before anything is published."""
from __future__ import annotations

import pandas as pd

from pipeline.contracts.conform import conform
from pipeline.contracts.expectations import compile_rules, run_expectations
from pipeline.contracts.odcs import Contract
from pipeline.contracts.origin import ORIGIN_FILE, split_origin
from pipeline.contracts.report import ContractReport, ContractViolation


def check_frame(
    frame: pd.DataFrame, contract: Contract, source: str
) -> tuple[pd.DataFrame, ContractReport]:
    """Conform ``frame`` to ``contract`` and evaluate every rule.

    Returns the conformed frame and the report; the caller decides what a failure does.
    When columns are missing the GX rules are not run (they would all fail for that reason).
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
        report.findings += run_expectations(conformed, contract, rules, origin)
    return conformed, report


def enforce(frame: pd.DataFrame, contract: Contract, source: str) -> pd.DataFrame:
    """Return the conformed frame, or raise :class:`ContractViolation` naming every failure."""
    conformed, report = check_frame(frame, contract, source)
    if not report.passed:
        raise ContractViolation(report)
    return conformed.reset_index(drop=True)
