"""``make ui``: the Dagster UI on http://127.0.0.1:3000 (``python -m assets.ui [port]``) with
every setting's default filled in, so runs launched from the UI see the same settings as `make run`."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from assets.preflight import report, setting_problems
from assets.settings import REPO_ROOT, apply_defaults, prepare_dagster_home


def main(port: str = "3000") -> None:
    apply_defaults()
    if problems := setting_problems(os.environ):
        sys.exit(report(problems))
    prepare_dagster_home(Path(os.environ["DAGSTER_HOME"]))
    os.chdir(REPO_ROOT)
    os.execv(sys.executable, [sys.executable, "-m", "dagster", "dev", "-w", "workspace.yaml",
                              "-h", "127.0.0.1", "-p", port])


if __name__ == "__main__":
    main(*sys.argv[1:2])
