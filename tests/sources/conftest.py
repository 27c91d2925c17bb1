"""A local API server over the real shared data, per test module."""
from __future__ import annotations

import pytest

from tests.api_server import ApiData, FaultyApiServer

INDICATORS = ("NY.GDP.MKTP.CD", "NE.EXP.GNFS.ZS", "NE.IMP.GNFS.ZS")
API_KEY = "k3y-SECRET-0123456789"


@pytest.fixture(scope="session")
def api_data(shared_datasets, shared_api_responses):
    return ApiData(shared_datasets, shared_api_responses, INDICATORS)


@pytest.fixture
def api_server(api_data):
    server = FaultyApiServer(api_data, api_key=API_KEY).start()
    yield server
    server.shutdown()
    server.server_close()
