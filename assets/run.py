"""``make run``: materialize the whole graph once and publish the warehouse."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from assets.settings import apply_defaults, prepare_dagster_home


def main() -> int:
    if not os.environ.get("TRADE_BULK_DIR"):
        print(
            "TRADE_BULK_DIR is not set. Point it at a directory of bulk downloads, for example:\n"
            "    TRADE_BULK_DIR=../shared/datasets make run\n"
            "(the live API sources are not wired into `make run` yet).",
            file=sys.stderr,
        )
        return 2
    apply_defaults()
    prepare_dagster_home(Path(os.environ["DAGSTER_HOME"]))

    import dagster as dg

    from assets.definitions import defs

    with dg.DagsterInstance.get() as instance:
        result = defs.resolve_job_def("refresh").execute_in_process(instance=instance, raise_on_error=False)
    warehouse = os.environ["TRADE_WAREHOUSE_DIR"]
    if result.success:
        print(f"refresh succeeded: warehouse at {warehouse} (see {warehouse}/catalog.json)")
        return 0
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            print(f"step {event.step_key} failed: {error.message if error else ''}", file=sys.stderr)
    print(f"refresh failed; tables published by the last good run are untouched in {warehouse}",
          file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
