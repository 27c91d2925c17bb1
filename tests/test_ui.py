"""Tier 4: `make run` writes run history, `dagster dev` serves it, a real headless chromium sees
the asset graph, the contract checks and an output's plot, and "Materialize all" runs what the
settings can run.

Needs Debian's chromium (`make test` installs it: .ci/system-packages)."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from assets.briefs import BRIEF_ASSETS
from assets.definitions import defs
from assets.live_sources import API_ONLY_TABLES, LIVE_RAW_ASSETS
from tests.conftest import REPO_ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1400,900", "--virtual-time-budget=20000",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, data: bytes | None = None) -> bytes:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


@pytest.fixture(scope="module")
def ui(tmp_path_factory, bulk_run):
    """`python -m assets.ui` (`make ui`: dagster dev) on a copy of the DAGSTER_HOME where the
    session's `make run` (tests/conftest.py ``bulk_run``) recorded its run, with its bulk settings
    but a warehouse of its own (a run launched here must not touch the shared one)."""
    assert bulk_run.returncode == 0, bulk_run.stderr[-3000:]
    home = tmp_path_factory.mktemp("ui") / "dagster_home"
    shutil.copytree(bulk_run.dagster_home, home)
    env = {**os.environ, **bulk_run.settings, "DAGSTER_HOME": str(home),
           "TRADE_WAREHOUSE_DIR": str(tmp_path_factory.mktemp("ui_warehouse"))}
    port = _free_port()
    # dagster dev ignores SIGINT/SIGTERM in the background unless SIGINT is reset (GUIDE §5);
    # its own session lets teardown kill the webserver and code server together.
    proc = subprocess.Popen(
        [sys.executable, "-m", "assets.ui", str(port)],  # what `make ui` runs
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(180):
            try:
                _get(f"{base}/server_info")
                break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail("dagster dev did not answer on /server_info within 180 s")
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def _graphql(base: str, query: str) -> dict:
    return json.loads(_get(f"{base}/graphql", json.dumps({"query": query}).encode()))["data"]


def _chromium() -> str:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian chromium is missing: `apt-get install -y chromium` (`make test` does it as root)")
    return chromium


def _browse(url: str, window: str = "1400,900") -> str:
    chromium = _chromium()
    flags = [f if not f.startswith("--window-size=") else f"--window-size={window}" for f in CHROMIUM_FLAGS]
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run([chromium, *flags, f"--user-data-dir={profile}", "--dump-dom", url],
                              capture_output=True, text=True, timeout=180)
    return proc.stdout


@contextmanager
def _page(url: str):
    """A page of a real headless chromium (Playwright driving Debian's binary) opened at ``url``."""
    from playwright.sync_api import sync_playwright

    flags = [f for f in CHROMIUM_FLAGS if f not in {"--headless", "--virtual-time-budget=20000"}]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), args=flags)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(url, timeout=60000)
            yield page
        finally:
            browser.close()


def test_ui_serves_every_asset_with_its_blocking_contract_check(ui):
    """Every asset is shown; on bulk settings the OECD branch (API only) is shown but cannot be
    materialized, and says why; every other core/out table has its blocking contract check."""
    data = _graphql(ui, "{ assetNodes { assetKey { path } groupName isMaterializable description "
                        "assetChecksOrError { ... on AssetChecks { checks { name blocking } } } } }")
    served = {n["assetKey"]["path"][-1]: n for n in data["assetNodes"]}
    expected = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert set(served) == expected
    not_runnable = {name for name, node in served.items() if not node["isMaterializable"]}
    assert not_runnable == {LIVE_RAW_ASSETS[t] for t in API_ONLY_TABLES} | {f"core__{t}" for t in API_ONLY_TABLES}
    for name in not_runnable:
        assert served[name]["description"].startswith(
            "**Not run under the current settings:** bulk mode: BaTIS and TiVA come only from the OECD API"), name
    documents = {k.to_user_string() for a in BRIEF_ASSETS for k in a.keys}  # HTML/JSON files, no table
    for name, node in served.items():
        checks = node["assetChecksOrError"]["checks"]
        if name.startswith(("core__", "out__")) and name not in not_runnable | documents:
            assert checks == [{"name": "contract", "blocking": True}], name


def _run_status(base: str, run_id: str | None = None) -> list[dict]:
    runs = _graphql(base, "{ runsOrError { ... on Runs { results { runId status "
                          "assetSelection { path } } } } }")["runsOrError"]["results"]
    return [r for r in runs if run_id in (None, r["runId"])]


def test_materialize_all_in_the_browser_runs_what_the_settings_can_run(ui, bulk_run):
    """"Materialize all" on the global asset graph, clicked in a real chromium on bulk settings,
    launches exactly the assets the session's `make run` materialized with success on the same
    settings: every asset but the OECD branch (it used to select the OECD assets, which failed,
    and skipped services exposure). The launched run is then terminated: finishing it would
    repeat that materialization (the UI runs the same refresh job, in process)."""
    before = {r["runId"] for r in _run_status(ui)}
    with _page(f"{ui}/asset-groups") as page:
        page.get_by_role("button", name="Materialize all").first.click(timeout=120000)
        for _ in range(60):
            launched = [r for r in _run_status(ui) if r["runId"] not in before]
            if launched:
                break
            page.wait_for_timeout(1000)
        else:
            pytest.fail("no run was launched within 60 s of clicking Materialize all")
    [run] = launched
    selected = {a["path"][-1] for a in run["assetSelection"]}
    made_by_make_run = {e.asset_key.to_user_string() for e in bulk_run.run.get_asset_materialization_events()}
    assert selected == made_by_make_run and bulk_run.run.success  # the same assets as `make run`
    assert "out__services_exposure" in selected
    # Finishing it would repeat that materialization: it is marked cancelled at once (a safe
    # termination waits for the step in progress, minutes here); the fixture's teardown kills the
    # server's process group, the launched run with it.
    answer = _graphql(ui, f'mutation {{ terminateRun(runId: "{run["runId"]}", '
                          'terminatePolicy: MARK_AS_CANCELED_IMMEDIATELY) { __typename } }')
    assert answer["terminateRun"]["__typename"] == "TerminateRunSuccess", answer
    for _ in range(60):
        if _run_status(ui, run["runId"])[0]["status"] in ("CANCELING", "CANCELED"):
            break
        time.sleep(1)
    else:
        pytest.fail(f"run {run['runId']} still {_run_status(ui, run['runId'])[0]['status']} 60 s after terminateRun")


def test_browser_sees_each_group_of_the_asset_graph(ui):
    graph = defs.resolve_asset_graph()
    for group in ("raw", "core", "out"):
        # The graph only renders the nodes inside the viewport: with every output linked from
        # the core group, a 900 px window cuts core__bilateral_goods_trade off, and the out
        # group (16 outputs, stacked) needs more height still. A tall window shows it whole.
        dom = _browse(f"{ui}/locations/trade_exposure/asset-groups/{group}", window="1600,6000")
        names = [k.to_user_string() for k in graph.get_all_asset_keys() if graph.get(k).group_name == group]
        missing = [n for n in names if n not in dom]
        assert not missing, f"group {group}: the rendered page lacks {missing}"
        if group != "raw":
            assert "Asset checks" in dom


def _open_output_plot(base: str, asset: str, column: str, shot) -> None:
    """Open ``asset`` in a real chromium, wait for ``column`` in its schema, expand the plot."""
    with _page(f"{base}/assets/{asset}") as page:
        page.get_by_text(column).first.wait_for(timeout=60000)
        plot_row = page.locator("tr", has_text="plot").filter(has_text="Show Markdown").first
        plot_row.get_by_text("Show Markdown").click()
        image = page.locator('img[src^="data:image/png;base64,"]').first
        image.wait_for(timeout=30000)
        assert len(image.get_attribute("src")) > 5000  # a real chart, not a placeholder
        assert image.evaluate("img => img.naturalWidth") > 300
        page.screenshot(path=str(shot / f"{asset}.png"))


def test_browser_opens_an_output_and_its_plot(ui, tmp_path):
    _open_output_plot(ui, "out__country_trade_profile", "export_partner_hhi", tmp_path)


def test_browser_opens_the_strategic_dependencies_and_their_plot(ui, tmp_path):
    _open_output_plot(ui, "out__strategic_dependencies", "supplier_hhi", tmp_path)
