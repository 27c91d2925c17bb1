"""A local API server over the real shared data, per test module."""
from __future__ import annotations

import contextlib

import pytest

from tests.api_server import ApiData, FaultyApiServer

INDICATORS = ("NY.GDP.MKTP.CD", "NE.EXP.GNFS.ZS", "NE.IMP.GNFS.ZS")
API_KEY = "k3y-SECRET-0123456789"


@pytest.fixture(scope="session")
def api_data(shared_datasets, shared_api_responses):
    return ApiData(shared_datasets, shared_api_responses, INDICATORS)


@contextlib.contextmanager
def serving(api_data):
    """The local API server over the real data, with the test key, for the span of a block."""
    server = FaultyApiServer(api_data, api_key=API_KEY).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def api_server(api_data):
    with serving(api_data) as server:
        yield server


@pytest.fixture(scope="session")
def oecd_data(shared_datasets):
    """Real values for the OECD routes: BaTIS-shaped services exports, TiVA-shaped FVA of WIOD 2011."""
    from pipeline.metrics.io_tables import io_table_from_long
    from pipeline.metrics.value_chains import value_chain_year
    from tests.metrics.wiod_years import wiod_long
    from tests.oecd_server import OecdData

    totals = value_chain_year(io_table_from_long(wiod_long(shared_datasets, (2011,))))["totals"]
    return OecdData(shared_datasets, totals)


@pytest.fixture
def oecd_server(api_server, oecd_data):
    api_server.oecd = oecd_data
    return api_server


def oecd_test_client(server, tmp_path, **kw):
    """An OECD client on the local server, landing in ``tmp_path``, its sleeps recorded (not slept)."""
    from pipeline.sources.landing import LandingZone
    from pipeline.sources.oecd import make_client

    delays: list[float] = []
    client = make_client(server.url + "/sdmx/public/rest", LandingZone(tmp_path, "oecd"),
                         sleep=delays.append, backoff_seconds=0.5, **kw)
    return client, delays
