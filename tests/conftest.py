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


@pytest.fixture(scope="session")
def bulk_run(tmp_path_factory, shared_datasets):
    """One `make run` on bulk settings for the whole session (``tests/make_run.py``): the
    end-to-end tier reads the warehouse it published and the run it recorded, the UI tier serves
    that run history. Tests that change anything copy it first."""
    from tests.make_run import bulk_links, bulk_settings, make_run

    bulk = bulk_links(tmp_path_factory.mktemp("bulk"), shared_datasets)
    settings = bulk_settings(bulk, tmp_path_factory.mktemp("warehouse"))
    return make_run(settings, tmp_path_factory.mktemp("dagster_home"))
