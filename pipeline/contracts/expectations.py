"""Compile a contract's rules to Great Expectations 1.x and run them on a frame.

Mapping (ODCS v3.1 -> GX):

==========================================================  =====================================
contract                                                    expectation
==========================================================  =====================================
property ``required: true``                                 ``expect_column_values_to_not_be_null``
property ``unique: true``                                   ``expect_column_values_to_be_unique``
``primaryKey`` properties                                   ``expect_compound_columns_to_be_unique``
quality ``library`` ``invalidValues`` + ``validValues``     ``expect_column_values_to_be_in_set``
quality ``library`` ``rowCount`` ``mustBeGreaterThan``      ``expect_table_row_count_to_be_between``
quality ``custom`` ``engine: greatExpectations``            the named expectation with its kwargs
==========================================================  =====================================

``validValues: "@country_codes"`` refers to :func:`pipeline.reference.codes.country_codes`;
``"@stri_sectors"`` and ``"@stri_policy_areas"`` to :mod:`pipeline.reference.stri` (:data:`VALUE_SETS`).
GX is imported inside :func:`run_expectations`: importing it costs seconds, and the Dagster
code location must load fast.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipeline.contracts.odcs import Contract
from pipeline.contracts.origin import json_safe, sample_rows
from pipeline.contracts.report import Finding
from pipeline.reference.codes import country_codes
from pipeline.reference.stri import stri_reference


@dataclass(frozen=True)
class Rule:
    expectation: str
    kwargs: dict[str, Any]
    fix: str

    @property
    def column(self) -> str | None:
        if "column" in self.kwargs:
            return self.kwargs["column"]
        if "column_list" in self.kwargs:
            return ", ".join(self.kwargs["column_list"])
        return None


# Value sets defined by a reference file rather than listed in the contract, with the fix to name.
VALUE_SETS = {
    "@country_codes": (lambda: sorted(country_codes().valid),
                       "map {column} to ISO 3166-1 alpha-3 (aliases in the source manifest) or declare "
                       "the code in pipeline/reference/country_codes.yaml"),
    "@stri_sectors": (lambda: stri_reference().sector_codes,
                      "{column} holds a STRI sector code that pipeline/reference/stri.yaml does not declare: "
                      "correct the source, or add the code there (with its TiSA-style sector under `stri:` "
                      "in services_sectors.yaml); an API code of another form goes in `activity_codes` of "
                      "pipeline/sources/oecd_dataflows.yaml"),
    "@stri_policy_areas": (lambda: list(stri_reference().policy_areas),
                           "{column} holds a MEASURE (CLAS) code that the index does not declare: map it to a "
                           "policy area under `indices: <index>: measures:` in pipeline/reference/stri.yaml, "
                           "or correct the source"),
}


def _value_set(values: Any) -> list[Any]:
    if isinstance(values, str):
        if values not in VALUE_SETS:
            raise ValueError(f"unknown value-set reference {values!r}; known: {sorted(VALUE_SETS)}")
        return VALUE_SETS[values][0]()
    return list(values)


def _fix_for_set(column: str, values: Any) -> str:
    if isinstance(values, str) and values in VALUE_SETS:
        return VALUE_SETS[values][1].format(column=column)
    return f"use only the allowed values for {column}: {list(values)[:10]}"


def _quality_rule(q: dict[str, Any], column: str | None) -> Rule:
    kind = q.get("type", "library")
    if kind == "custom" and q.get("engine") == "greatExpectations":
        impl = q["implementation"]
        kwargs = dict(impl.get("kwargs", {}))
        if column is not None:
            kwargs.setdefault("column", column)
        if "value_set" in kwargs:
            kwargs["value_set"] = _value_set(kwargs["value_set"])
        return Rule(impl["type"], kwargs, q.get("description", f"correct {column} in the source"))
    metric = q.get("metric")
    args = q.get("arguments", {})
    if metric == "invalidValues" and column:
        values = args["validValues"]
        return Rule(
            "expect_column_values_to_be_in_set",
            {"column": column, "value_set": _value_set(values)},
            _fix_for_set(column, values),
        )
    if metric == "nullValues" and column:
        return Rule("expect_column_values_to_not_be_null", {"column": column}, f"fill {column}")
    if metric == "duplicateValues":
        cols = args.get("properties") or [column]
        return Rule(
            "expect_compound_columns_to_be_unique",
            {"column_list": cols},
            "remove the duplicate rows, or stop two input files from covering the same keys",
        )
    if metric == "rowCount":
        low = q.get("mustBeGreaterThan", -1) + 1
        return Rule(
            "expect_table_row_count_to_be_between",
            {"min_value": low},
            "the input held no usable rows: check the file and its manifest pattern",
        )
    raise ValueError(f"unsupported quality rule {q} on {column or 'table'}")


def compile_rules(contract: Contract) -> list[Rule]:
    """Every rule of a contract, in a stable order (columns first, then table rules)."""
    rules: list[Rule] = []
    for col in contract.columns:
        if col.required:
            rules.append(
                Rule(
                    "expect_column_values_to_not_be_null",
                    {"column": col.name},
                    f"fill or drop the rows with no {col.name}, or fix the column mapping",
                )
            )
        if col.unique:
            rules.append(
                Rule("expect_column_values_to_be_unique", {"column": col.name},
                     f"{col.name} must identify one row: remove the duplicates")
            )
        rules += [_quality_rule(q, col.name) for q in col.quality]
    if len(contract.primary_key) == 1:
        rules.append(
            Rule("expect_column_values_to_be_unique", {"column": contract.primary_key[0]},
                 "one row per key: remove the duplicate rows")
        )
    elif contract.primary_key:
        rules.append(
            Rule(
                "expect_compound_columns_to_be_unique",
                {"column_list": contract.primary_key},
                "one row per key: remove duplicate rows, or stop two input files from covering "
                "the same keys",
            )
        )
    rules += [_quality_rule(q, None) for q in contract.quality]
    return rules


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _in_rule_order(expected: list[Any], results: list[Any]) -> list[Any]:
    """GX 1.x returns results grouped by column, not in suite order: pair each expectation with
    the result of its own configuration (same type and kwargs), never by position."""
    pending = list(results)
    ordered = []
    for exp in expected:
        config = exp.configuration
        match = next(r for r in pending if r.expectation_config.type == config.type
                     and all(r.expectation_config.kwargs.get(k) == v for k, v in config.kwargs.items()))
        pending.remove(match)
        ordered.append(match)
    return ordered


def run_expectations(frame: pd.DataFrame, contract: Contract, rules: list[Rule],
                     origin: pd.DataFrame | None = None) -> list[Finding]:
    """Validate ``frame`` with GX 1.x (ephemeral context) and return the failed rules, each with
    its first failing rows (key columns, and the file and row of ``origin`` when given)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (
        ctx.data_sources.add_pandas(f"contract_{contract.name}")
        .add_dataframe_asset(contract.name)
        .add_batch_definition_whole_dataframe("whole_frame")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    suite = gx.ExpectationSuite(name=f"{contract.name}_v{contract.version}")
    expected = [getattr(gx.expectations, _camel(rule.expectation))(**rule.kwargs) for rule in rules]
    for expectation in expected:
        suite.add_expectation(expectation)
    result = batch.validate(
        suite, result_format={"result_format": "SUMMARY", "partial_unexpected_count": 5}
    )
    key = contract.primary_key or contract.column_names[:4]
    if "source" in frame.columns and "source" not in key:  # which input a failing row came from
        key = [*key, "source"]
    findings = []
    for rule, res in zip(rules, _in_rule_order(expected, result.results), strict=True):
        if res.success:
            continue
        detail = res.result or {}
        failing = detail.get("unexpected_count")
        if failing is None:  # table-level expectations report an observed value instead
            failing = len(frame)
        sample = detail.get("partial_unexpected_list") or []
        if res.exception_info and res.exception_info.get("raised_exception"):
            sample = [res.exception_info.get("exception_message")]
        index = detail.get("partial_unexpected_index_list") or []
        findings.append(
            Finding(
                expectation=rule.expectation,
                column=rule.column,
                failing_rows=int(failing),
                total_rows=len(frame),
                sample=json_safe(list(sample)),
                fix=rule.fix,
                rows=sample_rows(frame, list(index), key, origin),
            )
        )
    return findings
