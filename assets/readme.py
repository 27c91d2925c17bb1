"""Regenerate the README's generated sections, ``.env.example`` and the container settings
``deploy/settings.env``: ``python -m assets.readme``.

The environment table comes from :mod:`assets.settings`, the data sources from the manifest
and the published tables from ``data_contracts/``: the README never restates a schema by hand.
A test fails when the committed README differs from what this module generates.
"""
from __future__ import annotations

import re
import sys

from assets.settings import REPO_ROOT, SETTINGS
from pipeline.contracts import all_contracts
from pipeline.sources.files import DEFAULT_MANIFEST, load_manifest

README = REPO_ROOT / "README.md"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
DEPLOY_ENV = REPO_ROOT / "deploy" / "settings.env"
# In the image (Dockerfile): the code in /opt/trade, the data on a volume mounted at /data.
CONTAINER_VALUES = {"TRADE_WAREHOUSE_DIR": "/data/warehouse", "TRADE_BULK_DIR": "/data/bulk",
                    "TRADE_MANIFEST": "/opt/trade/pipeline/sources/manifests/shared_datasets.yaml"}
NOT_IN_CONTAINER_FILE = {"DAGSTER_HOME": "the deployment's instance (helm sets it)",
                         "COMTRADE_API_KEY": "a secret: kubectl create secret generic trade-api-keys "
                                             "--from-literal=COMTRADE_API_KEY=... (empty for the preview API)"}


def environment_table() -> str:
    rows = ["| variable | default | what it sets |", "|---|---|---|"]
    for name, default, text in SETTINGS:
        shown = "(required by `make run`)" if default is None else (f"`{default}`" if default else "(empty)")
        rows.append(f"| `{name}` | {shown} | {text} |")
    return "\n".join(rows)


def env_example() -> str:
    """``.env.example``: every setting with its default, one comment line each."""
    lines = ["# Every environment variable the pipeline reads, with its default (generated from",
             "# assets/settings.py by `python -m assets.readme`). Copy to .env (git-ignored) to override",
             "# them for `make run` / `make ui`; `make` and the environment take precedence.", ""]
    for name, default, text in SETTINGS:
        lines += [f"# {text}", f"{name}={default or ''}"]
    return "\n".join(lines) + "\n"


def deploy_env() -> str:
    """``deploy/settings.env``: every setting for the image, paths on its volume, for
    ``docker run --env-file`` and ``kubectl create configmap trade-settings --from-env-file``."""
    lines = ["# The settings of the code location's image (Dockerfile), generated from assets/settings.py by",
             "# `python -m assets.readme`: the defaults, with paths on the volume mounted at /data. Every run",
             "# and step pod needs every variable (the code location binds them with dg.EnvVar).", ""]
    for name, default, text in SETTINGS:
        if name in NOT_IN_CONTAINER_FILE:
            lines += [f"# {name}: not here, {NOT_IN_CONTAINER_FILE[name]}"]
            continue
        lines += [f"# {text}", f"{name}={CONTAINER_VALUES.get(name, default or '')}"]
    return "\n".join(lines) + "\n"


def sources_table() -> str:
    rows = ["| dataset | file pattern | canonical table | unit | licence |", "|---|---|---|---|---|"]
    for e in load_manifest(DEFAULT_MANIFEST):
        name = f"`{e['id']}`" + (f" (not shipped: [download]({e['download']}))" if e.get("download") else "")
        rows.append(f"| {name} | `{e['pattern']}` | `{e['table']}` | {e.get('unit', 'as stated')} "
                    f"| {e.get('licence', '')} |")
    return "\n".join(rows)


def tables_section() -> str:
    parts = []
    for c in all_contracts():
        part = f"`{c.partition_column}=`" if c.partition_column else "none"
        parts.append(
            f"#### `{c.name}` (asset `{c.physical_name}`, contract v{c.version})\n\n{c.description}\n\n"
            f"Key: {', '.join(f'`{k}`' for k in c.primary_key)}. Hive partitions: {part}.\n\n"
            "| column | type | unit | required | description |\n|---|---|---|---|---|\n"
            + "\n".join(
                f"| `{col.name}` | {col.physical_type} | {col.unit or ''} | "
                f"{'yes' if col.required else ''} | {col.description} |"
                for col in c.columns
            )
        )
    return "\n\n".join(parts)


SECTIONS = {"environment": environment_table, "sources": sources_table, "tables": tables_section}


def render(text: str) -> str:
    for name, build in SECTIONS.items():
        pattern = re.compile(rf"(<!-- BEGIN {name} -->\n).*?(<!-- END {name} -->)", re.S)
        if not pattern.search(text):
            raise ValueError(f"README lacks the markers for section {name}")
        text = pattern.sub(lambda m: m.group(1) + build() + "\n" + m.group(2), text)
    return text


def main() -> int:
    README.write_text(render(README.read_text()))
    ENV_EXAMPLE.write_text(env_example())
    DEPLOY_ENV.write_text(deploy_env())
    print(f"regenerated {README}, {ENV_EXAMPLE} and {DEPLOY_ENV}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
