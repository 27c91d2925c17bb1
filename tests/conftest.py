"""Shared test fixtures: where the real datasets and recorded API answers live."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

pytest_plugins = ["tests.product_fixtures"]  # the product rows and references, for every directory

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = Path(os.environ.get("TRADE_SHARED_DIR", REPO_ROOT.parent / "shared")).resolve()
SHARED_DATASETS = SHARED_DIR / "datasets"
SHARED_API_RESPONSES = SHARED_DIR / "api_responses"


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    if not SHARED_DATASETS.is_dir():
        pytest.fail(
            f"the shared datasets are missing at {SHARED_DATASETS}: clone the project beside "
            "shared/ or set TRADE_SHARED_DIR"
        )
    return SHARED_DATASETS


@pytest.fixture(scope="session")
def shared_api_responses() -> Path:
    if not SHARED_API_RESPONSES.is_dir():
        pytest.fail(f"the recorded API answers are missing at {SHARED_API_RESPONSES}")
    return SHARED_API_RESPONSES


@pytest.fixture(scope="session", autouse=True)
def setting_defaults():
    """Every setting the code location binds through ``dg.EnvVar`` gets its default, as
    ``make run`` and ``make ui`` give it (tests override single values where they need to)."""
    from assets.settings import apply_defaults

    saved = dict(os.environ)
    apply_defaults()
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="session", autouse=True)
def _bulk_run_in_background(request, tmp_path_factory):
    """Starts the session's one `make run` (``bulk_run``) at the first test when any selected test
    needs it: it runs in a subprocess on the second core while the tests that do not need it go
    on (they run first: :func:`pytest_collection_modifyitems`).

    Under pytest-xdist (``make test`` runs two workers) the first worker to get here starts it into
    a directory all workers share, and the others wait for that same run: one `make run` per
    session whatever the number of workers."""
    if not any("bulk_run" in getattr(item, "fixturenames", ()) for item in request.session.items):
        yield None
        return
    from filelock import FileLock

    from tests.make_run import PendingRun, bulk_links, bulk_settings

    shared_datasets = request.getfixturevalue("shared_datasets")
    if not os.environ.get("PYTEST_XDIST_WORKER"):  # one process (no pytest-xdist)
        bulk = bulk_links(tmp_path_factory.mktemp("bulk"), shared_datasets)
        pending = PendingRun(bulk_settings(bulk, tmp_path_factory.mktemp("warehouse")),
                             tmp_path_factory.mktemp("dagster_home"))
        yield pending
        pending.stop()
        return
    shared = tmp_path_factory.getbasetemp().parent / "bulk_run"  # the same for every worker of the session
    shared.mkdir(exist_ok=True)
    settings_file = shared / "settings.json"
    with FileLock(str(shared / "start.lock")):
        if settings_file.exists():
            pending = PendingRun.joined(json.loads(settings_file.read_text()), shared / "dagster_home")
        else:
            (shared / "bulk").mkdir()
            settings = bulk_settings(bulk_links(shared / "bulk", shared_datasets), shared / "warehouse")
            pending = PendingRun(settings, shared / "dagster_home")
            settings_file.write_text(json.dumps(settings))
    yield pending
    pending.stop(wait=True)  # another worker may still read it: the owner lets it end


# Session fixtures that cost tens of seconds each (tests/*/conftest.py): under pytest-xdist the tests
# that use one run in one worker (`--dist loadgroup`), so each is built once per session, not per worker.
SHARED_FIXTURE_GROUPS = {
    "product_bilateral": "products", "product_partitions": "products", "totals_bilateral": "products",
    "product_table": "products", "strategic_reference": "products", "end_use_reference": "products",
    "good_frames": "good_frames",
}


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook, which names each test's group from its mark
def pytest_collection_modifyitems(config, items):
    """Tests that read the session's `make run` go last, so that the run started in the
    background at the first test has finished (or nearly) when they need it; tests sharing an
    expensive session fixture are grouped for pytest-xdist (SHARED_FIXTURE_GROUPS), the others by file."""
    items.sort(key=lambda item: "bulk_run" in getattr(item, "fixturenames", ()))
    for item in items:
        groups = {SHARED_FIXTURE_GROUPS[f] for f in getattr(item, "fixturenames", ()) if f in SHARED_FIXTURE_GROUPS}
        # Else the test's file: its module-scoped fixtures are built once too (as --dist loadfile).
        item.add_marker(pytest.mark.xdist_group(min(groups) if groups else item.nodeid.split("::")[0]))


@pytest.fixture(scope="session")
def bulk_run(_bulk_run_in_background):
    """One `make run` on bulk settings for the whole session (``tests/make_run.py``): the
    end-to-end tier reads the warehouse it published and the run it recorded, the UI tier serves
    that run history. Tests that change anything copy it first."""
    return _bulk_run_in_background.result()
