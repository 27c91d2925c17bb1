"""The briefs tests read the warehouse of the session's `make run` (``bulk_run``), which writes the
briefs of TRADE_BRIEF_COUNTRIES (BGD, IND, ZAF among them) through ``out__country_briefs``."""
from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def warehouse(bulk_run) -> Path:
    assert bulk_run.returncode == 0, bulk_run.stderr[-3000:]
    return bulk_run.warehouse
