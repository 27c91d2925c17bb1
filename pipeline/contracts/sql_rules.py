"""Compile the contract's rules (:func:`pipeline.contracts.expectations.compile_rules`) to DuckDB SQL.

The rule list stays the one produced from the ODCS contract; this module only translates each
rule to the SQL that finds its failing rows, with Great Expectations' semantics for pandas:

=============================================  ===================================================
rule                                           failing rows
=============================================  ===================================================
``expect_column_values_to_not_be_null``        ``c IS NULL`` (or NaN, for floating columns)
``expect_column_values_to_be_null``            ``c`` present
``expect_column_values_to_be_in_set``          ``c`` present and ``c NOT IN (set)``
``expect_column_values_to_be_between``         ``c`` present and below min / above max
                                               (``<=``/``>=`` when ``strict_min``/``strict_max``)
``expect_column_values_to_be_unique``          every row whose non-null ``c`` occurs twice or more
``expect_compound_columns_to_be_unique``       every row whose combination occurs twice or more,
                                               rows with all columns missing ignored
``expect_table_row_count_to_be_between``       the table when ``count(*)`` is outside the bounds
=============================================  ===================================================

GX skips missing values in column-map rules, so "present" is ``c IS NOT NULL`` (and not NaN).
A ``row_condition`` in GX's pandas syntax (comparisons, ``and``/``or``, ``+``/``-``,
``col.isin([...])``, ``True``/``False``) becomes a SQL ``AND``; a floating column in it is read
as ``nullif(c, NaN)`` (pandas compares NaN as false, DuckDB orders NaN above every number).
Anything else is not compiled and :func:`compile_rule` returns None, so the caller runs that
rule in GX instead: ``!=`` and ``not`` (pandas says ``NaN != x`` is true, SQL's
``NULL <> x`` is unknown), ``None``/``nan``/``NA`` names, and a value set whose values are not
of the column's kind (DuckDB would refuse to compare them; GX fails every present row).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from pipeline.contracts.expectations import Rule


def quote(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def literal(value: Any) -> str:
    """A Python value as a SQL literal (strings quoted, booleans as TRUE/FALSE)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and not math.isfinite(value):
        return f"'{value!r}'::DOUBLE"  # 'inf', '-inf', 'nan': a bare inf would name a column
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


@dataclass(frozen=True)
class SqlRule:
    """One rule as SQL. ``kind``: ``map`` (``predicate`` selects the failing rows), ``unique``
    (rows sharing ``columns`` with another row fail; ``predicate`` selects the rows looked at) or
    ``count`` (``predicate`` on count(*))."""

    rule: Rule
    kind: str
    predicate: str
    columns: tuple[str, ...]


_TOKEN = re.compile(r'\s*(?:(?P<str>"[^"]*"|\'[^\']*\')|(?P<num>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)'
                    r'|(?P<isin>\.isin\(\[)|(?P<close>\]\))|(?P<name>[A-Za-z_]\w*)'
                    r'|(?P<op>==|!=|<=|>=|<|>|\+|-|\(|\)|,))')
_WORDS = {"and": "AND", "or": "OR", "True": "TRUE", "False": "FALSE"}
# Names pandas reads as a missing value or a negation: SQL's three-valued logic differs there.
_FALL_BACK = {"not", "None", "nan", "NaN", "NA", "NaT", "null", "inf"}


_COMPARISONS = {"==", "!=", "<=", ">=", "<", ">", ".isin(["}


def _segment_ok(segment: list[tuple[str, str]], kinds: dict[str, str]) -> bool:
    """One operand of ``and``/``or``: at most one comparison (pandas chains ``a < b < c``,
    DuckDB refuses it), every column and literal in it of one kind (GX compares
    ``year == "2012"`` as false and ``reporter_iso3 == year`` row by row, DuckDB casts or refuses:
    ``True``/``False`` are bool literals), and ``+``/``-`` on numbers only."""
    operands = [kinds[t] for k, t in segment if k == "name" and t in kinds]
    operands += ["bool" for k, t in segment if k == "name" and t in ("True", "False")]
    operands += ["text" if k == "str" else "number" for k, _ in segment if k in ("str", "num")]
    if sum(1 for k, t in segment if t in _COMPARISONS or k == "isin") > 1 or "other" in operands:
        return False
    if any(t in ("+", "-") for k, t in segment if k == "op") and set(operands) - {"number"}:
        return False
    return len(set(operands)) <= 1


def condition_sql(text: str, floating: set[str] = frozenset(), kinds: dict[str, str] | None = None) -> str | None:
    """A GX pandas ``row_condition`` as SQL, or None when it uses anything not listed above.
    ``floating``: the columns of a floating type, read as ``nullif(c, NaN)``; ``kinds``: each
    column's kind (:func:`compile_rule`): a name that is no column (``1_000`` splits into one),
    a string literal with an escape, or an operand mixing kinds is left to GX."""
    if kinds is None:
        return None
    out, pos, segment, segments = [], 0, [], []
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            return None
        pos = m.end()
        kind, tok = m.lastgroup, m.group(m.lastgroup)
        if kind == "name" and tok in ("and", "or"):
            segments.append(segment)
            segment = []
        else:
            segment.append((kind, tok))
        if kind == "str":
            if "\\" in tok:
                return None  # pandas decodes Python escapes in the literal
            out.append(literal(tok[1:-1]))
        elif kind == "num":
            out.append(tok)
        elif kind == "isin":
            out.append(" IN (")
        elif kind == "close":
            out.append(")")
        elif kind == "name":
            if tok in _FALL_BACK or (tok not in _WORDS and tok not in kinds):
                return None
            if tok in _WORDS:
                out.append(_WORDS[tok])
            else:
                out.append(f"nullif({quote(tok)}, 'NaN'::DOUBLE)" if tok in floating else quote(tok))
        elif tok == "!=":
            return None
        else:
            out.append("=" if tok == "==" else tok)
    segments.append(segment)
    if not all(_segment_ok(seg, kinds) for seg in segments):
        return None
    columns = [t for t in out if t.startswith(('"', "nullif("))]
    return " ".join(out) if columns else None  # a bare literal ("True"): GX's own reading decides


def _any_present(columns: tuple[str, ...], floating: set[str]) -> str:
    """A row GX's uniqueness rules look at: some key column present (NaN is missing)."""
    return "(" + " OR ".join(_present(c, c in floating) for c in columns) + ")"


def _present(column: str, floating: bool) -> str:
    q = quote(column)
    return f"({q} IS NOT NULL AND NOT isnan({q}))" if floating else f"({q} IS NOT NULL)"


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "text" if isinstance(value, str) else "other"


def compile_rule(rule: Rule, floating: set[str], kinds: dict[str, str] | None = None) -> SqlRule | None:
    """``rule`` as SQL, or None when it has no SQL form here (run it in GX). ``floating``: the
    columns of a floating-point type, whose NaN GX counts as missing. ``kinds``: each column's
    kind (``text``, ``number``, ``bool``, ``other``); a value set of another kind is not compiled."""
    kw = dict(rule.kwargs)
    condition = None
    if kw.pop("condition_parser", "pandas") != "pandas":
        return None
    if "row_condition" in kw:
        condition = condition_sql(str(kw.pop("row_condition")), floating, kinds)
        if condition is None:
            return None
    column = kw.pop("column", None)
    name = rule.expectation
    if name == "expect_table_row_count_to_be_between":
        low, high = kw.pop("min_value", None), kw.pop("max_value", None)
        bounds = [f"count(*) < {literal(low)}" if low is not None else "",
                  f"count(*) > {literal(high)}" if high is not None else ""]
        predicate = " OR ".join(b for b in bounds if b)
        return SqlRule(rule, "count", predicate, ()) if predicate and not kw and not condition else None
    if name == "expect_compound_columns_to_be_unique":
        cols = tuple(kw.pop("column_list"))
        return SqlRule(rule, "unique", _any_present(cols, floating), cols) if not kw and not condition else None
    if column is None:
        return None
    present = _present(column, column in floating)
    q = quote(column)
    if name == "expect_column_values_to_not_be_null":
        predicate = f"NOT {present}"
    elif name == "expect_column_values_to_be_null":
        predicate = present
    elif name == "expect_column_values_to_be_in_set":
        values = list(kw.pop("value_set"))
        if kinds is None or {_kind(v) for v in values} - {kinds.get(column, "other")}:
            return None
        predicate = (f"{present} AND {q} NOT IN (SELECT unnest([{', '.join(literal(v) for v in values)}]))"
                     if values else present)
    elif name == "expect_column_values_to_be_between":
        low, high = kw.pop("min_value", None), kw.pop("max_value", None)
        if kinds is None or kinds.get(column) != "number" or {_kind(b) for b in (low, high) if b is not None} - {"number"}:
            return None  # dates, or bounds of another kind: GX's own comparison decides
        below = "<=" if kw.pop("strict_min", False) else "<"
        above = ">=" if kw.pop("strict_max", False) else ">"
        outside = [f"{q} {below} {literal(low)}" if low is not None else "",
                   f"{q} {above} {literal(high)}" if high is not None else ""]
        outside = [o for o in outside if o]
        if not outside:
            return None
        predicate = f"{present} AND ({' OR '.join(outside)})"
    elif name == "expect_column_values_to_be_unique":
        if condition:
            return None
        return SqlRule(rule, "unique", _any_present((column,), floating), (column,)) if not kw else None
    else:
        return None
    if kw:  # an argument this translation does not honour (mostly, result_format): GX decides
        return None
    if condition:
        predicate = f"({predicate}) AND ({condition})"
    return SqlRule(rule, "map", predicate, (column,))
