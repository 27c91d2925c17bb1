"""The contract gate over a staged table (:mod:`pipeline.warehouse.staged`): the report
:func:`pipeline.contracts.gate.check_frame` gives on the concatenated frame, from the staged files.

- Types: each input was conformed on its own (:mod:`pipeline.transform.staging`); the findings of a
  rule are merged in input order (counts summed, the first five sample values and rows kept), what
  one conform of the concatenation reports.
- Rules: DuckDB over the staged Parquet files (:func:`pipeline.contracts.sql.run_sql_parquet`,
  out of core; first failing rows ordered by file, then row: input order), from
  :data:`~pipeline.contracts.gate.DUCKDB_FROM_ROWS` rows under ``TRADE_CONTRACT_ENGINE=auto``.
  Below that (or under ``gx``) Great Expectations validates the rows in pandas, as it did: a small
  table, or the user's explicit choice.
"""
from __future__ import annotations

from pipeline.contracts.expectations import compile_rules, run_expectations
from pipeline.contracts.gate import engine_for
from pipeline.contracts.odcs import Contract
from pipeline.contracts.origin import ORIGIN_COLUMNS
from pipeline.contracts.report import ContractReport, Finding
from pipeline.warehouse.staged import StagedTable

SAMPLE = 5


def merged_findings(per_input: list[list[Finding]], contract: Contract, total: int) -> list[Finding]:
    """The conform findings of every input as one conform of their concatenation reports them:
    unexpected columns first (every row), then each column's type failures in contract order."""
    order = {c: i for i, c in enumerate(contract.column_names)}
    groups: dict[tuple[str, str | None], list[Finding]] = {}
    for findings in per_input:
        for f in findings:
            groups.setdefault((f.expectation, f.column), []).append(f)
    extra = [f for (e, _), fs in groups.items() if e == "no_unexpected_columns" for f in fs]
    out = []
    if extra:
        names = list(dict.fromkeys(n.strip() for f in extra for n in str(f.column).split(",")))
        out.append(Finding("no_unexpected_columns", ", ".join(names), total, total, [], extra[0].fix))
    typed = sorted(((k, fs) for k, fs in groups.items() if k[0] != "no_unexpected_columns"),
                   key=lambda kv: order.get(kv[0][1], len(order)))
    for (expectation, column), fs in typed:
        out.append(Finding(expectation, column, sum(f.failing_rows for f in fs), total,
                           [s for f in fs for s in f.sample][:SAMPLE], fs[0].fix,
                           [r for f in fs for r in f.rows][:SAMPLE]))
    return out


def check_staged(staged: StagedTable, contract: Contract, source: str, engine: str | None = None) -> ContractReport:
    """Every rule of ``contract`` on ``staged`` (module docstring); the caller decides what a
    failure does. A rule without a SQL form stops with the rule named: running it in GX would
    need the whole table in pandas, which this path exists to avoid."""
    rules = compile_rules(contract)
    report = ContractReport(
        table=contract.name, contract_version=contract.version, source=source, rows=staged.rows,
        evaluated=["types"] + [f"{r.expectation}({r.column or 'table'})" for r in rules],
        findings=merged_findings(staged.findings, contract, staged.rows), inputs=list(staged.inputs))
    if staged.absent:
        present = staged.columns_seen + [c.name for c in contract.columns
                                         if not c.required and c.name not in staged.columns_seen]
        report.findings = [Finding("column_exists", ", ".join(staged.absent), staged.rows, staged.rows,
                                   [f"columns present: {present}"],
                                   "add the missing columns or map them in the source manifest")]
        return report
    report.engine = engine_for(staged.rows, engine)
    if report.engine == "gx":
        frame = staged.to_pandas(origin=True)
        origin = frame[list(ORIGIN_COLUMNS)]
        report.findings += run_expectations(frame.drop(columns=list(ORIGIN_COLUMNS)), contract, rules, origin)
        return report
    from pipeline.contracts.sql import run_sql_parquet

    findings, left = run_sql_parquet(staged.files, contract, rules)
    if left:
        raise ValueError(f"contract {contract.name}: rules {[r.expectation for r in left]} have no SQL form; "
                         "the staged ingest cannot run them out of core (pipeline/contracts/sql_rules.py)")
    report.findings += findings
    return report
