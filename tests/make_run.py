"""`make run` as the tests run it once per session: ``python -m assets.run`` in a subprocess (the
Makefile's command) on bulk settings, into a temporary warehouse and DAGSTER_HOME; then the run it
recorded there, read back with the methods of Dagster's ``ExecuteInProcessResult`` that the
tests use."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import dagster as dg
from dagster._core.events import DagsterEventType

from tests.conftest import REPO_ROOT

# The shared folders a bulk refresh reads (the bulk directory links them; the data is never copied).
BULK_FOLDERS = [
    "penppml_comtrade_dta_1964_2016", "wdi_datahub_extract", "yotov2016_agtpa",
    "gegravity_sample_2006", "gegravity_wiod_2000_2014", "hmr2010_gravity_2006_xsec",
    "ppmlhdfe_fta_35countries", "wiod2013_bquast",
    # Product detail (issue 4): Atlas sectors (world), Atlas HS2/HS4 (31 countries), BACI HS6,
    # and the UNCTAD primary-commodity flags.
    "atlas_bilateral_sections_2010_2020", "atlas_bilateral_hs2hs4_subset_2010_2020",
    "baci_hs6_bilateral_zaf_afg", "concordances",
    # Country-product exports of every economy (issue 12: commodity dependence of the focus
    # countries): Open Trade Statistics 2017 and the economiccomplexity package's tables.
    "economiccomplexity_country_product_exports",
    # Services restrictiveness (issue 15): the OECD Digital STRI and the intra-EEA STRI.
    "oecd_stri_digital_2020_2024", "oecd_stri_intra_eea_2014_2018",
]


def bulk_links(bulk: Path, shared_datasets: Path) -> Path:
    for folder in BULK_FOLDERS:
        (bulk / folder).symlink_to(shared_datasets / folder, target_is_directory=True)
    return bulk


def bulk_settings(bulk: Path, warehouse: Path) -> dict[str, str]:
    """The settings of `TRADE_BULK_DIR=... make run` (TRADE_SOURCES stays auto: bulk)."""
    return dict(
        TRADE_BULK_DIR=str(bulk), TRADE_WAREHOUSE_DIR=str(warehouse),
        TRADE_MANIFEST=str(REPO_ROOT / "pipeline/sources/manifests/shared_datasets.yaml"),
        TRADE_COUNTRY_GROUPS_FILE="",
    )


@dataclass
class RecordedRun:
    """A finished run of a persistent Dagster instance, with the result methods the tests use."""

    run_id: str
    success: bool
    all_events: list[dg.DagsterEvent]

    def get_asset_check_evaluations(self) -> list[dg.AssetCheckEvaluation]:
        return [cast(dg.AssetCheckEvaluation, e.event_specific_data) for e in self.all_events
                if e.event_type_value == DagsterEventType.ASSET_CHECK_EVALUATION.value]

    def get_asset_materialization_events(self) -> list[dg.DagsterEvent]:
        return [e for e in self.all_events if e.is_step_materialization]


@dataclass
class MakeRun:
    settings: dict[str, str]  # as the subprocess saw them, DAGSTER_HOME included
    returncode: int
    stdout: str
    stderr: str
    run: RecordedRun

    @property
    def warehouse(self) -> Path:
        return Path(self.settings["TRADE_WAREHOUSE_DIR"])

    @property
    def dagster_home(self) -> Path:
        return Path(self.settings["DAGSTER_HOME"])


class PendingRun:
    """`make run` started in a subprocess (its output going to files beside ``home``), collected by
    :meth:`result`: the session's run goes on in the background while other tests run.

    The subprocess writes its exit status to ``<home>.rc`` when it ends, so another pytest worker
    (pytest-xdist) can wait for the same run with :meth:`joined` without owning the process."""

    def __init__(self, settings: dict[str, str], home: Path, timeout: int = 1500, *, start: bool = True):
        self.settings, self.home, self.timeout = settings, Path(home), timeout
        self._out, self._err, self._rc = (self.home.with_name(f"{self.home.name}.{s}")
                                          for s in ("stdout", "stderr", "rc"))
        self._proc: subprocess.Popen | None = None
        self._result: MakeRun | None = None
        if not start:
            return
        self.home.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **settings, "DAGSTER_HOME": str(home), "TRADE_RC_FILE": str(self._rc)}
        # The status is written by the shell after the run ends (tmp + mv: a reader sees all of it or nothing).
        script = 'python="$1"; shift; "$python" -m assets.run; rc=$?; echo $rc > "$TRADE_RC_FILE.tmp"; ' \
                 'mv "$TRADE_RC_FILE.tmp" "$TRADE_RC_FILE"'
        with open(self._out, "w") as out, open(self._err, "w") as err:
            self._proc = subprocess.Popen(["sh", "-c", script, "sh", sys.executable], cwd=REPO_ROOT, env=env,
                                          stdout=out, stderr=err, text=True)  # Ctrl-C reaches it too

    @classmethod
    def joined(cls, settings: dict[str, str], home: Path, timeout: int = 1500) -> PendingRun:
        """The run another worker started into ``home`` (same settings), waited for by its status file."""
        return cls(settings, home, timeout, start=False)

    def _returncode(self) -> int:
        if self._proc is not None:
            try:
                self._proc.wait(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                self.stop()
                self._rc.write_text(f"killed after {self.timeout} s (timeout)")  # the other workers stop waiting
                raise
        deadline = time.monotonic() + self.timeout
        while not self._rc.exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"the session's `make run` into {self.home} did not end in {self.timeout} s")
            time.sleep(0.5)
        status = self._rc.read_text().strip()
        if not status.lstrip("-").isdigit():  # written by the owner that stopped it
            raise RuntimeError(f"the session's `make run` into {self.home} was stopped: {status}")
        return int(status)

    def result(self) -> MakeRun:
        if self._result is None:
            returncode = self._returncode()
            stdout, stderr = self._out.read_text(), self._err.read_text()
            with dg.DagsterInstance.from_config(str(self.home)) as instance:
                runs = instance.get_runs()
                assert len(runs) == 1, f"`make run` recorded {len(runs)} runs in {self.home}: {stderr[-3000:]}"
                events = [r.dagster_event for r in instance.all_logs(runs[0].run_id) if r.dagster_event]
                run = RecordedRun(runs[0].run_id, runs[0].status == dg.DagsterRunStatus.SUCCESS, events)
            self._result = MakeRun({**self.settings, "DAGSTER_HOME": str(self.home)}, returncode, stdout, stderr, run)
        return self._result

    def stop(self, *, wait: bool = False) -> None:
        """Kill the run if it is still going (``wait``: let it end first, for a worker that may still read it)."""
        if self._proc is None or self._proc.poll() is not None:
            return
        if wait:
            try:
                self._proc.wait(timeout=self.timeout)
                return
            except subprocess.TimeoutExpired:
                pass
        import psutil

        for child in psutil.Process(self._proc.pid).children(recursive=True):  # the run under the shell
            child.kill()
        self._proc.kill()
        self._proc.wait()


def make_run(settings: dict[str, str], home: Path, timeout: int = 1500) -> MakeRun:
    """`make run` on ``settings`` into DAGSTER_HOME ``home``, waited for."""
    return PendingRun(settings, home, timeout).result()
