"""Retries, Retry-After, timeouts, the landing zone and its cache, on the local server."""
from __future__ import annotations

import socket
import time

import pytest

from pipeline.sources.http import HttpClient, HttpError
from pipeline.sources.landing import LandingZone
from pipeline.sources.worldbank import fetch_all_pages

PATH = "country/all/indicator/NE.EXP.GNFS.ZS"


def _client(server, tmp_path, **kw):
    delays: list[float] = []
    client = HttpClient("worldbank", server.url + "/v2", LandingZone(tmp_path, "worldbank"),
                        sleep=delays.append, backoff_seconds=0.5, **kw)
    return client, delays


def test_429_with_retry_after_then_success(api_server, tmp_path):
    api_server.inject("/v2/country/all", "429")
    client, delays = _client(api_server, tmp_path)
    records = fetch_all_pages(client, PATH, {"per_page": 20000})
    assert records and delays == [1.0]  # the server's Retry-After, not our backoff
    assert client.stats.retries == 1 and client.stats.requests == 2


def test_bursts_of_500_and_503_are_retried_with_backoff(api_server, tmp_path):
    api_server.inject("/v2/country/all", "500", "503", "500", "503")
    client, delays = _client(api_server, tmp_path)
    assert fetch_all_pages(client, PATH, {"per_page": 20000})
    assert client.stats.retries == 4
    assert all(0 <= d <= 0.5 * 2**i for i, d in enumerate(delays))  # full jitter, capped exponential


def test_a_read_timeout_is_retried(api_server, tmp_path):
    api_server.slow_seconds = 4.0
    api_server.inject("/v2/country/all", "slow")
    client, _ = _client(api_server, tmp_path, timeout=(2.0, 1.5))
    assert fetch_all_pages(client, PATH, {"per_page": 20000})
    # at least the slow answer was retried (a loaded machine may time out a later one too)
    assert client.stats.retries >= 1 and client.stats.requests == client.stats.retries + 1


def test_persistent_failure_names_host_and_the_way_out(api_server, tmp_path):
    api_server.inject("/v2/country/all", *["503"] * 3)
    client, _ = _client(api_server, tmp_path, max_retries=2)
    with pytest.raises(HttpError) as caught:
        fetch_all_pages(client, PATH, {"per_page": 20000})
    text = str(caught.value)
    assert "failed after 3 attempts (HTTP 503)" in text and "127.0.0.1" in text and "TRADE_BULK_DIR" in text


def test_no_network_fails_within_seconds(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = HttpClient("worldbank", f"http://127.0.0.1:{port}/v2", LandingZone(tmp_path, "worldbank"),
                        backoff_seconds=0.05, max_retries=2)
    start = time.monotonic()
    with pytest.raises(HttpError, match="ConnectionError.*TRADE_BULK_DIR"):
        client.get(PATH)
    assert time.monotonic() - start < 10


def test_landing_zone_keeps_bodies_and_a_rerun_fetches_nothing(api_server, tmp_path):
    client, _ = _client(api_server, tmp_path)
    first = fetch_all_pages(client, PATH, {"per_page": 5000})
    entries = LandingZone(tmp_path, "worldbank").entries()
    assert len(entries) == client.stats.requests >= 2
    assert all(e["status"] == 200 and len(e["sha256"]) == 64 and e["url"].startswith(api_server.url)
               for e in entries)
    seen = len(api_server.requests)
    again, _ = _client(api_server, tmp_path)
    assert fetch_all_pages(again, PATH, {"per_page": 5000}) == first
    assert len(api_server.requests) == seen and again.stats.cache_hits == len(entries)


def test_an_interrupted_refresh_resumes_where_it_stopped(api_server, tmp_path):
    api_server.inject("/v2/country/all", "pass", "503", "503", "503")  # page 1 passes, page 2 fails
    client, _ = _client(api_server, tmp_path, max_retries=2)
    with pytest.raises(HttpError):
        fetch_all_pages(client, PATH, {"per_page": 5000})
    resumed, _ = _client(api_server, tmp_path)
    records = fetch_all_pages(resumed, PATH, {"per_page": 5000})
    assert records and resumed.stats.cache_hits == 1  # page 1 came from the landing zone


def test_expired_cache_is_fetched_again(api_server, tmp_path):
    client, _ = _client(api_server, tmp_path, ttl_seconds=0)
    fetch_all_pages(client, PATH, {"per_page": 20000})
    again, _ = _client(api_server, tmp_path, ttl_seconds=0)
    fetch_all_pages(again, PATH, {"per_page": 20000})
    assert again.stats.cache_hits == 0 and again.stats.requests == 1


def test_an_injected_sleep_does_not_push_the_shared_schedule_ahead():
    """The suite stalled for minutes: a client with a no-op sleep made 300 requests to one
    host at 30 a minute, so the process-wide schedule ran 10 minutes ahead of the clock and the
    next client with a real sleep waited for it. The schedule now follows the clock."""
    import time

    from pipeline.sources.http import _HostLimiter

    host = "127.0.0.1:9"   # a host no other test uses
    for _ in range(300):
        _HostLimiter.wait(host, 30.0, lambda seconds: None)
    waited = []
    _HostLimiter.wait(host, 30.0, waited.append)
    assert not waited or waited[0] <= 2.0 + 1e-6   # at most one interval (60 / 30 s)
    assert _HostLimiter._next[host] <= time.monotonic() + 2.0 + 1e-6
