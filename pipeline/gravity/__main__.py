"""Command line: ``python -m pipeline.gravity estimate|simulate ...``.

    python -m pipeline.gravity estimate --bulk-dir ../shared/datasets \
        --panel yotov2016_agtpa --years 1986 1990 1994 1998 2002 2006 --spec pair_fe phasing_in
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from pipeline.gravity.panels import load_gravity_panel
from pipeline.sources.files import DEFAULT_MANIFEST
from pipeline.gravity.specs import SPECS, dropped_summary, estimate_specs, prepare_panel

BOOK_YEARS = [1986, 1990, 1994, 1998, 2002, 2006]


def _estimate(args: argparse.Namespace) -> int:
    manifest = args.manifest or os.environ.get("TRADE_MANIFEST") or DEFAULT_MANIFEST
    panel = load_gravity_panel(args.panel, bulk_dir=args.bulk_dir, warehouse=args.warehouse,
                               manifest=manifest)
    frame = prepare_panel(panel, years=args.years)
    fits: dict = {}
    specs = None if not args.spec or "all" in args.spec else args.spec
    table = estimate_specs(frame, specs, fits)
    shown = table.assign(estimate=table["estimate"].round(4), std_error=table["std_error"].round(4),
                         omitted_reason=table["omitted_reason"].fillna(""))
    print(shown.to_string(index=False))
    print("\nobservations used and dropped (separated by the fixed effects or regressors, "
          "singletons, zero flows for OLS), clusters (symmetric pairs):")
    print(dropped_summary(fits).to_string(index=False))
    for name, res in fits.items():
        for term, why in res.omitted_reasons.items():
            print(f"{name}: {term} omitted ({why})", file=sys.stderr)
    if args.out:
        table.to_csv(args.out, index=False) if args.out.endswith(".csv") else table.to_parquet(args.out)
    return 0


def _simulate(argv: list[str]) -> int:
    try:
        module = importlib.import_module("pipeline.gravity.counterfactual_cli")
    except ModuleNotFoundError:
        print("simulate: the general-equilibrium module (pipeline.gravity.counterfactual_cli) "
              "is not installed in this version", file=sys.stderr)
        return 2
    return module.main(argv)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["simulate"]:
        return _simulate(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m pipeline.gravity",
                                     description="Structural gravity estimation and counterfactuals.")
    sub = parser.add_subparsers(dest="command", required=True)
    est = sub.add_parser("estimate", help="PPML/OLS gravity specifications; prints the table")
    est.add_argument("--panel", default="yotov2016_agtpa", help="gravity panel id (manifest dataset id)")
    est.add_argument("--bulk-dir", help="bulk files directory, e.g. ../shared/datasets")
    est.add_argument("--warehouse", help="published warehouse directory (instead of --bulk-dir)")
    est.add_argument("--manifest", help="bulk-file manifest (default: $TRADE_MANIFEST, else the "
                                        "shipped one)")
    est.add_argument("--years", type=int, nargs="*", default=BOOK_YEARS,
                     help="years to keep (default: the book's 1986-2006 every 4 years)")
    est.add_argument("--spec", nargs="*", choices=["all", *SPECS], default=None,
                     help="specifications, or all (the default): the book's chapter-1 table")
    est.add_argument("--out", help="also write the table (.csv or .parquet)")
    sub.add_parser("simulate", help="general-equilibrium counterfactual of a scenario")
    args = parser.parse_args(argv)
    try:
        return _estimate(args)
    except (ValueError, KeyError, RuntimeError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"estimate: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
