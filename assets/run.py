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
    from assets.selection import refresh_selection

    for reason in refresh_selection(os.environ)[1]:
        print(f"left out of this run: {reason}", file=sys.stderr)
    # The refresh job of the definitions the UI shows under these settings: the same assets as
    # "Materialize all" there.
    with dg.DagsterInstance.get() as instance:
        result = build_defs(os.environ).resolve_job_def("refresh").execute_in_process(
            instance=instance, raise_on_error=False)
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
