"""The outcome of checking one frame against its contract, worded for the person who fixes it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Finding:
    """One failed expectation: which rule, which column, how many rows, a sample, the way out."""

    expectation: str
    column: str | None
    failing_rows: int
    total_rows: int
    sample: list[Any]
    fix: str
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def files(self) -> list[str]:
        """The input files holding the failing rows shown (``rows``), in order of appearance."""
        return list(dict.fromkeys(r["file"] for r in self.rows if r.get("file")))

    def describe(self) -> str:
        where = f"column {self.column}" if self.column else "table"
        sample = f"; sample: {self.sample[:5]}" if self.sample else ""
        rows = f"; first rows: {[_located(r) for r in self.rows[:3]]}" if self.rows else ""
        return (
            f"{self.expectation} failed on {where}: {self.failing_rows} of {self.total_rows} "
            f"rows{sample}{rows}. Fix: {self.fix}"
        )


TEXT_FILES = (".csv", ".tsv", ".txt")  # a header line, then one line per record


def _located(row: dict[str, Any]) -> str:
    """``{key...} in <file> line <n + 1> (data row <n>)``: the row's key values, then where it was
    read. ``row`` counts data records (1 = the first after the header, :mod:`origin`); an editor
    shows a text file's header as line 1, so the record is on line ``row + 1`` (unless a quoted
    field spans lines: the data row is exact). Other sources (API answers) say "record <n>"."""
    values = {k: v for k, v in row.items() if k not in ("file", "row")}
    if not row.get("file"):
        return str(values)
    name = str(row["file"]).lower().removesuffix(".gz")
    if isinstance(row.get("row"), int) and name.endswith(TEXT_FILES):
        return f"{values} in {row['file']} line {row['row'] + 1} (data row {row['row']})"
    return f"{values} in {row['file']} record {row['row']}"


@dataclass
class ContractReport:
    """All rules evaluated for one table: ``findings`` holds the failures."""

    table: str
    contract_version: str
    source: str
    rows: int
    evaluated: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)  # every input file; named only when no row says where
    engine: str = "gx"  # who ran the rules: "gx" (Great Expectations) or "duckdb" (the same rules as SQL)

    @property
    def passed(self) -> bool:
        return not self.findings

    def message(self) -> str:
        if self.passed:
            return f"{self.table}: {len(self.evaluated)} contract rules passed on {self.rows} rows"
        lines = [
            f"{self.table} (contract v{self.contract_version}) rejected the data from "
            f"{self.source}: {len(self.findings)} rule(s) failed; nothing was published."
        ]
        lines += [f"  - {f.describe()}" for f in self.findings]
        if self.inputs and any(not f.files for f in self.findings):
            lines.append(f"  inputs of the table: {', '.join(self.inputs)}")
        return "\n".join(lines)


class ContractViolation(ValueError):
    """Raised when data breaks its contract; carries the full report."""

    def __init__(self, report: ContractReport):
        super().__init__(report.message())
        self.report = report
