"""Per-country exposure metrics: plain functions over canonical tables, formulas in docstrings."""
