"""``python -m pipeline.gravity simulate``: run counterfactual scenarios, write Parquet.

    python -m pipeline.gravity simulate --scenario nafta --out nafta.parquet \
        --bulk-dir ../shared/datasets
    python -m pipeline.gravity simulate --scenario ttip_agtpa --countries KEN NGA ZAF
    python -m pipeline.gravity simulate --scenario my_scenario.yaml ttip --out impacts.parquet
    python -m pipeline.gravity simulate --list

``--bulk-dir`` defaults to ``$TRADE_BULK_DIR``; ``--warehouse`` reads the published
``gravity_panel`` instead (services scenarios always need the WIOD files of ``--bulk-dir``).
"""
from __future__ import annotations

import argparse
import os
import sys

import pandas as pd

from pipeline.gravity.ge.data import scenario_panel
from pipeline.gravity.ge.run import ScenarioRun, resolve_bloc, resolve_members, run_scenario
from pipeline.gravity.ge.scenario import ScenarioError, load_scenario, shipped_scenarios
from pipeline.gravity.ge.solver import GEConvergenceError

SHOWN = ["iso3", "member", "pct_change_exports", "pct_change_exports_p05",
         "pct_change_exports_p95", "pct_change_real_gdp", "pct_change_real_gdp_p05",
         "pct_change_real_gdp_p95", "pct_change_producer_price"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.gravity simulate",
        description="General-equilibrium counterfactual of a trade-agreement scenario "
                    "(Advanced Guide, ch. 2): per-country % changes in exports, prices, "
                    "multilateral resistances and real GDP.")
    parser.add_argument("--scenario", nargs="+", default=None,
                        help=f"scenario name(s) ({', '.join(shipped_scenarios())}) or YAML file(s)")
    parser.add_argument("--out", help="also write a file, .parquet (or .csv): all scenarios, one "
                                      "row per scenario and country")
    parser.add_argument("--countries", nargs="+", default=None, metavar="ISO3",
                        help="print these countries only (default: every country, members first)")
    parser.add_argument("--bulk-dir", default=None,
                        help="bulk files directory (default: $TRADE_BULK_DIR), e.g. ../shared/datasets")
    parser.add_argument("--warehouse", default=None,
                        help="read the published gravity_panel from this warehouse instead")
    parser.add_argument("--manifest", default=None,
                        help="bulk-file manifest (default: $TRADE_MANIFEST, else the shipped one), "
                             "e.g. a copy whose itpd_e entry says aggregate: broad_sector")
    parser.add_argument("--list", action="store_true", help="list the shipped scenarios and exit")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.list:
        for name in shipped_scenarios():
            print(f"{name:16s} {load_scenario(name).title}")
        return 0
    if not args.scenario:
        print("simulate: give --scenario (or --list)", file=sys.stderr)
        return 2
    bulk_dir = args.bulk_dir or os.environ.get("TRADE_BULK_DIR") or None
    if bulk_dir is None and args.warehouse is None:
        print("simulate: give --bulk-dir (e.g. ../shared/datasets), set TRADE_BULK_DIR, or give "
              "--warehouse", file=sys.stderr)
        return 2
    tables = []
    try:
        for name in args.scenario:
            scenario = load_scenario(name)
            panel = scenario_panel(scenario, bulk_dir=bulk_dir, warehouse=args.warehouse,
                                   manifest=args.manifest or os.environ.get("TRADE_MANIFEST") or None)
            run = run_scenario(scenario, panel, resolve_members(scenario),
                               unchanged_within=resolve_bloc(scenario))
            _report(scenario, run, args.countries)
            tables.append(run.results)
    except (ScenarioError, ValueError, GEConvergenceError) as exc:
        print(f"simulate: {exc}", file=sys.stderr)
        return 1
    if args.out:
        table = pd.concat(tables, ignore_index=True)
        if args.out.endswith(".csv"):
            table.to_csv(args.out, index=False)
        else:
            table.to_parquet(args.out, index=False)
        print(f"wrote {len(table)} rows to {args.out}")
    return 0


def _named(codes) -> str:
    from pipeline.reference.codes import country_codes

    names = country_codes()
    return ", ".join(f"{names.name(c)} ({c})" for c in codes)


def _report(scenario, run: ScenarioRun, countries: list[str] | None) -> None:
    """What the run used and left out, then the per-country table."""
    first = run.results.iloc[0]
    print(f"== {scenario.name}: {scenario.title}")
    print(f"   panel {first['panel_id']} ({first['sector']}), estimated on "
          f"{first['estimation_years']}, baseline {scenario.baseline_year}; "
          f"{len(run.countries)} countries"
          + (f"; members as of {scenario.membership_date}" if scenario.membership_date else ""))
    print(f"   agreement coefficient {run.coefficient:.4f} (PPML estimate "
          f"{run.costs.coefficient:.4f}, s.e. {run.costs.std_error:.4f})")
    if run.monte_carlo is not None:
        print(f"   5th-95th percentiles (_p05, _p95) over {scenario.monte_carlo_draws} draws of "
              f"the coefficient from N({run.coefficient:.4f}, "
              f"{first['agreement_coefficient_std_error']:.4f}^2)")
    if run.members_missing:
        print(f"   members absent from the panel (left out): {_named(run.members_missing)}")
    for code, why in run.left_out.items():
        print(f"   left out: {_named([code])}: {why}")
    shown = run.results.sort_values(["member", "pct_change_real_gdp"], ascending=False)
    if countries:
        unknown = [c for c in countries if c not in set(shown["iso3"])]
        if unknown:
            print(f"   not in the results: {_named(unknown)}")
        shown = shown.set_index("iso3").loc[[c for c in countries if c not in unknown]].reset_index()
    print(shown[SHOWN].round(3).to_string(index=False))
