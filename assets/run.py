"""``make run``: materialize the whole graph once and publish the warehouse."""
from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from urllib.parse import urlsplit

from assets.preflight import report, setting_problems
from assets.settings import apply_defaults, prepare_dagster_home


LIVE_URLS = ("WORLD_BANK_API_URL", "COMTRADE_API_URL", "OECD_SDMX_API_URL")


def unreachable_hosts(urls: list[str], timeout: float = 3.0) -> list[str]:
    """Hosts of ``urls`` that do not accept a TCP connection within ``timeout`` seconds, each with
    the reason (name resolution or connection): `make run` fails fast without a network."""
    problems = []
    for url in urls:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            socket.create_connection((parts.hostname, port), timeout=timeout).close()
        except OSError as exc:
            problems.append(f"{parts.hostname}:{port} ({url}): {exc.strerror or exc}")
    return problems


def failure_lines(events) -> list[str]:
    """What failed in a run, one line each: every failed step, and a run that could not start its
    resources (the warehouse held by another run, say), with the innermost cause's message."""
    lines = []
    for event in events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            lines.append(f"step {event.step_key} failed: {error.message if error else ''}")
        elif event.event_type_value == "RESOURCE_INIT_FAILURE":
            error = getattr(event.event_specific_data, "error", None)
            while error is not None and error.cause is not None:
                error = error.cause
            lines.append(f"the run could not start: {error.message.strip() if error else event.message}")
    if not lines:  # no step failed: the run itself did (its publish, assets/io_manager.py PublishFailed)
        for event in events:
            error = getattr(event.event_specific_data, "error", None) if event.is_failure else None
            if error is not None:
                lines.append(f"the run failed: {error.message.strip()}")
    return lines


def main() -> int:
    apply_defaults()
    if problems := setting_problems(os.environ):
        print(report(problems), file=sys.stderr)
        return 2
    mode = os.environ["TRADE_SOURCES"].strip().lower()
    if mode == "live" or (mode == "auto" and not os.environ.get("TRADE_BULK_DIR")):
        problems = unreachable_hosts([os.environ[name] for name in LIVE_URLS])
        if problems:
            print("The live sources are unreachable:\n  " + "\n  ".join(problems) + "\n"
                  "Without a network, run on bulk files instead, for example:\n"
                  "    TRADE_BULK_DIR=../shared/datasets make run\n"
                  "or point WORLD_BANK_API_URL / COMTRADE_API_URL / OECD_SDMX_API_URL at a mirror.", file=sys.stderr)
            return 2
        print(f"refreshing from the live APIs ({', '.join(os.environ[n] for n in LIVE_URLS)}); "
              "answers land in $TRADE_WAREHOUSE_DIR/landing and are reused for "
              f"{os.environ['TRADE_API_CACHE_HOURS']} h", file=sys.stderr)
    prepare_dagster_home(Path(os.environ["DAGSTER_HOME"]))

    import dagster as dg

    from assets.definitions import build_defs
    from assets.selection import asked_keys, refresh_selection

    for reason in refresh_selection(os.environ)[1]:
        print(f"left out of this run: {reason}", file=sys.stderr)
    defs = build_defs(os.environ)
    try:
        keys = asked_keys(defs, os.environ)
    except ValueError as exc:
        print(report([str(exc)]), file=sys.stderr)
        return 2
    if keys is not None:
        print(f"TRADE_ASSETS: running {len(keys)} assets ({', '.join(k.to_user_string() for k in keys)}); "
              "every other table stays as published", file=sys.stderr)
    # The refresh job of the definitions the UI shows under these settings: the same assets as
    # "Materialize all" there (or those of TRADE_ASSETS among them).
    with dg.DagsterInstance.get() as instance:
        result = defs.resolve_job_def("refresh").execute_in_process(
            instance=instance, raise_on_error=False, asset_selection=keys)
    warehouse = os.environ["TRADE_WAREHOUSE_DIR"]
    from pipeline.warehouse import Warehouse

    if result.success and Warehouse(warehouse).left_staged(result.run_id):
        # Every step passed but the switch did not happen: the run is FAILURE already
        # (assets/io_manager.py PublishFailed); a second guard here, never "succeeded".
        print(f"every step passed but publishing the run's tables failed (see the run's log): "
              f"{warehouse} is as the last good run left it; run `make run` again", file=sys.stderr)
        return 1
    if result.success:
        where = f"{warehouse}/CURRENT names the snapshot" if "://" in warehouse else f"see {warehouse}/catalog.json"
        print(f"refresh succeeded: warehouse at {warehouse} ({where})")
        return 0
    for line in failure_lines(result.all_events):
        print(line, file=sys.stderr)
    print(f"refresh failed; tables published by the last good run are untouched in {warehouse}",
          file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
