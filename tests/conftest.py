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
