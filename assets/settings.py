"""Environment variables the pipeline reads, with their defaults (one list for all entry points).

``.env.example``, the README's table and ``python -m assets.run`` all derive from it.
"""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

SETTINGS: list[tuple[str, str | None, str]] = [
    ("TRADE_BULK_DIR", None, "Directory of bulk downloads (e.g. ../shared/datasets). Required for `make run`."),
    ("TRADE_WAREHOUSE_DIR", "warehouse", "Where the Parquet warehouse and catalog.json are published."),
    ("TRADE_MANIFEST", "pipeline/sources/manifests/shared_datasets.yaml",
     "Manifest mapping bulk-file patterns to canonical tables."),
    ("TRADE_COUNTRY_GROUPS_FILE", "", "Optional YAML of extra country groups (same format as pipeline/reference/country_groups.yaml)."),
    ("DAGSTER_HOME", ".dagster_home", "Dagster instance directory (run history the UI shows)."),
]


def apply_defaults(environ: dict[str, str] | None = None) -> None:
    """Fill unset variables with their defaults, relative paths resolved against the repo."""
    env = os.environ if environ is None else environ
    for name, default, _ in SETTINGS:
        if default is None or env.get(name):
            continue
        env[name] = str(REPO_ROOT / default) if default else default


def prepare_dagster_home(path: Path) -> None:
    """Create DAGSTER_HOME with telemetry and the welcome modal switched off."""
    path.mkdir(parents=True, exist_ok=True)
    config = path / "dagster.yaml"
    if not config.exists():
        config.write_text("telemetry:\n  enabled: false\nnux:\n  enabled: false\n")
