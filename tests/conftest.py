"""Shared test fixtures: where the real datasets and recorded API answers live."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

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
    on (they run first: :func:`pytest_collection_modifyitems`)."""
    if not any("bulk_run" in getattr(item, "fixturenames", ()) for item in request.session.items):
        yield None
        return
    from tests.make_run import PendingRun, bulk_links, bulk_settings

    bulk = bulk_links(tmp_path_factory.mktemp("bulk"), request.getfixturevalue("shared_datasets"))
    settings = bulk_settings(bulk, tmp_path_factory.mktemp("warehouse"))
    pending = PendingRun(settings, tmp_path_factory.mktemp("dagster_home"))
    yield pending
    pending.stop()


def pytest_collection_modifyitems(config, items):
    """Tests that read the session's `make run` go last, so that the run started in the
    background at the first test has finished (or nearly) when they need it."""
    items.sort(key=lambda item: "bulk_run" in getattr(item, "fixturenames", ()))


@pytest.fixture(scope="session")
def bulk_run(_bulk_run_in_background):
    """One `make run` on bulk settings for the whole session (``tests/make_run.py``): the
    end-to-end tier reads the warehouse it published and the run it recorded, the UI tier serves
    that run history. Tests that change anything copy it first."""
    return _bulk_run_in_background.result()
