"""``python -m assets.brief BGD [IND ...]`` (``make brief C=BGD``): write country briefs from the
published warehouse, without a refresh, and publish them beside the tables (one switch).

With no country given, the briefs of TRADE_BRIEF_COUNTRIES are written.
"""
from __future__ import annotations

import os
import sys

from assets.settings import apply_defaults


def main(argv: list[str] | None = None) -> int:
    apply_defaults()
    from pipeline.briefs import UnknownCountry, WarehouseNotPublished, parse_countries
    from pipeline.briefs.publish import BRIEFS_DIR, publish_briefs
    from pipeline.warehouse.lock import WarehouseBusy
    from pipeline.warehouse.objects import is_remote, preflight_problem

    args = sys.argv[1:] if argv is None else argv
    root = os.environ["TRADE_WAREHOUSE_DIR"]
    if is_remote(root) and (problem := preflight_problem(root, os.environ)):
        print(f"{problem}\nThe briefs were not written.", file=sys.stderr)
        return 2
    try:
        countries = parse_countries(" ".join(args), "country") if args else \
            parse_countries(os.environ["TRADE_BRIEF_COUNTRIES"])
        briefs = publish_briefs(root, countries)
    except (UnknownCountry, WarehouseNotPublished) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except WarehouseBusy as exc:
        print(f"{exc}\nThe briefs were not written: run `make brief` again when the refresh has finished.",
              file=sys.stderr)
        return 1
    if is_remote(root):  # the briefs are in the snapshot that CURRENT now names
        from pipeline.warehouse.objects import resolve, url

        root = url(resolve(root))
    for iso3, brief in briefs.items():
        shown = ", ".join(f"{f['label']} {f['display']} ({f['year']})" for f in brief["headline"])
        print(f"{root}/{BRIEFS_DIR}/{iso3}.html ({brief['name']}: {shown})")
    print(f"{root}/{BRIEFS_DIR}/index.html")
    return 0


if __name__ == "__main__":
    sys.exit(main())
