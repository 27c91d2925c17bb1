"""``python -m pipeline.gravity simulate --scenario ttip --bulk-dir ../shared/datasets --out ttip.parquet``."""
from __future__ import annotations

import argparse
import sys

from pipeline.gravity.panels import load_gravity_panel
from pipeline.gravity.scenarios import load_scenario, run_scenario


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.gravity simulate",
                                     description="General-equilibrium effects of an agreement scenario.")
    parser.add_argument("--scenario", required=True,
                        help="shipped scenario (ttip, brics_fta, nafta) or a YAML file")
    parser.add_argument("--bulk-dir", help="bulk files directory, e.g. ../shared/datasets")
    parser.add_argument("--warehouse", help="published warehouse directory (instead of --bulk-dir)")
    parser.add_argument("--out", help="write the per-country table (.parquet or .csv)")
    args = parser.parse_args(argv)
    try:
        spec = load_scenario(args.scenario)
        panel = load_gravity_panel(spec["panel"], bulk_dir=args.bulk_dir, warehouse=args.warehouse)
        table = run_scenario(spec, panel)
    except (FileNotFoundError, ValueError, KeyError, RuntimeError) as exc:
        print(f"simulate: {exc}", file=sys.stderr)
        return 1
    shown = table.sort_values(["member", "pct_change_real_gdp"], ascending=[False, False])
    print(shown.round(3).to_string(index=False))
    if args.out:
        table.to_csv(args.out, index=False) if args.out.endswith(".csv") else table.to_parquet(args.out)
    return 0
