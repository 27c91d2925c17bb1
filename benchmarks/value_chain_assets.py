"""Time and peak memory of the value-chain assets of a bulk run, on the shared WIOD 2013 tables.

``python benchmarks/value_chain_assets.py [WAREHOUSE]`` publishes ``core__input_output`` and
``core__country_groups`` from ``../shared/datasets`` into WAREHOUSE (a temporary directory when
not given; kept and reused when given), then materializes the value-chain assets into it, each
selection in a fresh Python process so that its peak resident memory (``ru_maxrss``) is its own:
every value-chain asset on its own, then all of them in one run (what ``make run`` does).
Peak memory includes importing Dagster and the project (the ``baseline`` line: the same process
materializing nothing); the time is that of the run's steps alone.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # children import the project from their PYTHONPATH
SHARED = ROOT.parent / "shared" / "datasets"

UPSTREAM = ["raw_files__input_output", "core__input_output", "core__country_groups"]
VALUE_CHAIN_KEYS = ["out__value_chain_exposure", "out__value_chain_industry_exposure",
                    "out__value_chain_partner_exposure", "out__value_added_absorption"]


def _environment(warehouse: Path, code: Path) -> dict[str, str]:
    env = dict(os.environ, TRADE_BULK_DIR=str(SHARED), TRADE_SOURCES="bulk", TRADE_WAREHOUSE_DIR=str(warehouse),
               DAGSTER_HOME=str(warehouse.parent / f".{warehouse.name}_dagster_home"))
    env["PYTHONPATH"] = str(code)  # before the editable install: the code measured
    return env


def materialize(keys: list[str]) -> dict:
    """In this process: materialize ``keys`` (upstream read from the warehouse). Returns the
    wall time of the run's steps (STEP_START to STEP_SUCCESS, from the event log: Dagster's own
    start-up left out), the process's CPU time and peak RSS, and how often the run loaded
    ``core__input_output``."""
    import importlib.util

    from assets.settings import apply_defaults, prepare_dagster_home

    # this script's timing helpers, whatever code PYTHONPATH points at
    spec = importlib.util.spec_from_file_location("bench_timing", Path(__file__).with_name("timing.py"))
    timing = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(timing)

    apply_defaults()
    prepare_dagster_home(Path(os.environ["DAGSTER_HOME"]))
    import dagster as dg

    from assets.definitions import defs

    steps, loads, cpu = 0.0, 0, time.process_time()
    if keys:
        with dg.DagsterInstance.get() as instance:
            result = defs.resolve_job_def("refresh").execute_in_process(
                instance=instance, raise_on_error=False, asset_selection=[dg.AssetKey(k) for k in keys])
            if not result.success:
                raise SystemExit(f"materializing {keys} failed")
            started = {}
            for entry in instance.all_logs(result.run_id):
                event = entry.dagster_event
                if event is None:
                    continue
                if event.event_type_value == "STEP_START":
                    started[event.step_key] = entry.timestamp
                elif event.event_type_value == "STEP_SUCCESS":
                    steps += entry.timestamp - started.pop(event.step_key)
                elif event.event_type_value == "LOADED_INPUT" and "core__input_output" in (entry.message or ""):
                    loads += 1
    return {"keys": keys, "seconds": steps, "cpu_seconds": time.process_time() - cpu, "input_loads": loads,
            "peak_rss_mb": timing.peak_rss_mb()}


def in_child(warehouse: Path, keys: list[str], code: Path = ROOT) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", str(warehouse), *keys],
                         env=_environment(warehouse, code), capture_output=True, text=True, check=False)
    if out.returncode:
        raise SystemExit(f"{keys}: {out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> None:
    """``[WAREHOUSE] [--before CODE_DIR]``: with ``--before``, the same selections run on the code
    in CODE_DIR too (e.g. ``git archive <commit> | tar -x -C CODE_DIR``), alternating with this
    checkout so that both meet the same machine load."""
    before = Path(argv[argv.index("--before") + 1]).resolve() if "--before" in argv else None
    argv = [a for i, a in enumerate(argv) if a != "--before" and (i == 0 or argv[i - 1] != "--before")]
    warehouse = Path(argv[0]).resolve() if argv else Path(tempfile.mkdtemp(prefix="vc_assets_")) / "warehouse"
    warehouse.mkdir(parents=True, exist_ok=True)
    if not (warehouse / "input_output").exists():
        prepared = in_child(warehouse, UPSTREAM)
        print(f"  published {', '.join(UPSTREAM)}: steps {prepared['seconds']:.1f} s "
              f"(peak {prepared['peak_rss_mb']:.0f} MB) into {warehouse}")
    codes = [("before", before), ("now", ROOT)] if before else [("now", ROOT)]
    selections = [("baseline (imports only)", [])] + [(k, [k]) for k in VALUE_CHAIN_KEYS]
    selections.append(("all four in one run", VALUE_CHAIN_KEYS))
    print(f"Value-chain assets on the shared WIOD 2013 tables (17 years, 41 regions x 35 industries); "
          f"each line one fresh process; load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  {'selection':38s} {'code':6s} {'steps s':>8s} {'cpu s':>7s} {'peak RSS MB':>12s} {'table reads':>12s}")
    for label, keys in selections:
        for name, code in codes:
            row = in_child(warehouse, keys, code)
            print(f"  {label:38s} {name:6s} {row['seconds']:8.1f} {row['cpu_seconds']:7.1f} "
                  f"{row['peak_rss_mb']:12.0f} {row['input_loads']:12d}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(materialize(sys.argv[3:])))
    else:
        main(sys.argv[1:])
