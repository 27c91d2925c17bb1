"""Tier 4: `make run` writes run history, `dagster dev` serves it, a real headless chromium sees
the asset graph, the contract checks and an output's plot.

Needs Debian's chromium (`apt-get install -y chromium`; `.ci/run` installs it)."""
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
from pathlib import Path

import pytest

from assets.definitions import defs
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
def ui(tmp_path_factory, shared_datasets):
    """`python -m assets.run` (what `make run` calls) then `python -m assets.ui` (`make ui`: dagster dev)
    on the same DAGSTER_HOME."""
    home = tmp_path_factory.mktemp("dagster_home")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "TRADE_BULK_DIR": str(shared_datasets),
        "TRADE_WAREHOUSE_DIR": str(tmp_path_factory.mktemp("warehouse")),
        "TRADE_MANIFEST": str(REPO_ROOT / "pipeline/sources/manifests/shared_datasets.yaml"),
        "TRADE_COUNTRY_GROUPS_FILE": "",
    }
    run = subprocess.run([sys.executable, "-m", "assets.run"], cwd=REPO_ROOT, env=env,
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    assert (Path(env["TRADE_WAREHOUSE_DIR"]) / "catalog.json").exists()
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


def _browse(url: str, window: str = "1400,900") -> str:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian chromium is missing: `apt-get install -y chromium` (.ci/run does it)")
    flags = [f if not f.startswith("--window-size=") else f"--window-size={window}" for f in CHROMIUM_FLAGS]
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run([chromium, *flags, f"--user-data-dir={profile}", "--dump-dom", url],
                              capture_output=True, text=True, timeout=180)
    return proc.stdout


def test_ui_serves_every_asset_with_its_blocking_contract_check(ui):
    data = _graphql(ui, "{ assetNodes { assetKey { path } groupName "
                        "assetChecksOrError { ... on AssetChecks { checks { name blocking } } } } }")
    served = {n["assetKey"]["path"][-1]: n for n in data["assetNodes"]}
    expected = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert set(served) == expected
    for name, node in served.items():
        checks = node["assetChecksOrError"]["checks"]
        if name.startswith(("core__", "out__")):
            assert checks == [{"name": "contract", "blocking": True}], name


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
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian chromium is missing: `apt-get install -y chromium` (.ci/run does it)")
    flags = [f for f in CHROMIUM_FLAGS if f not in {"--headless", "--virtual-time-budget=20000"}]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=flags)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{base}/assets/{asset}", timeout=60000)
            page.get_by_text(column).first.wait_for(timeout=60000)
            plot_row = page.locator("tr", has_text="plot").filter(has_text="Show Markdown").first
            plot_row.get_by_text("Show Markdown").click()
            image = page.locator('img[src^="data:image/png;base64,"]').first
            image.wait_for(timeout=30000)
            assert len(image.get_attribute("src")) > 5000  # a real chart, not a placeholder
            assert image.evaluate("img => img.naturalWidth") > 300
            page.screenshot(path=str(shot / f"{asset}.png"))
        finally:
            browser.close()


def test_browser_opens_an_output_and_its_plot(ui, tmp_path):
    _open_output_plot(ui, "out__country_trade_profile", "export_partner_hhi", tmp_path)


def test_browser_opens_the_strategic_dependencies_and_their_plot(ui, tmp_path):
    _open_output_plot(ui, "out__strategic_dependencies", "supplier_hhi", tmp_path)
