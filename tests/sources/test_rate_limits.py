"""Per-host rate limits: the APIs' published limits by default, a mirror's override by host name,
and the limiter that spaces requests (its sleeps recorded, not slept)."""
from __future__ import annotations

import pytest

from assets.resources import SourceModeResource
from assets.settings import default
from pipeline.sources.http import HttpClient, _HostLimiter
from pipeline.sources.rate_limits import parse_rate_limits, per_minute_for

DEFAULT_URLS = {"worldbank": default("WORLD_BANK_API_URL"), "comtrade": default("COMTRADE_API_URL"),
                "oecd": default("OECD_SDMX_API_URL")}
PUBLISHED = {"worldbank": 60.0, "comtrade": 30.0, "oecd": 20.0}  # requests a minute (live.py's sources)


def _resource(rate_limits: str) -> SourceModeResource:
    return SourceModeResource(mode="live", warehouse_dir="unused", rate_limits=rate_limits)


def test_unset_the_published_limits_apply():
    assert default("TRADE_RATE_LIMITS") == ""
    unset = _resource(default("TRADE_RATE_LIMITS"))
    assert {s: unset.per_minute(s, url) for s, url in DEFAULT_URLS.items()} == PUBLISHED
    # a local server without an override is throttled like the API it stands in for
    assert unset.per_minute("oecd", "http://127.0.0.1:8080/sdmx/public/rest") == 20.0


def test_an_override_names_a_host_and_leaves_the_others_alone():
    mirror = _resource("127.0.0.1=0, Mirror.Example.org=600")
    assert mirror.per_minute("comtrade", "http://127.0.0.1:41234") is None  # 0 = no limit
    assert mirror.per_minute("worldbank", "https://mirror.example.org:8443/v2") == 600.0
    assert {s: mirror.per_minute(s, url) for s, url in DEFAULT_URLS.items()} == PUBLISHED


@pytest.mark.parametrize("text", ["127.0.0.1", "127.0.0.1:8080=0", "http://mirror=5", "=5", "host=fast", "host=-1",
                                  "host=inf", "host=nan", "[::1]:8080=0"])
def test_a_bad_entry_names_the_setting_and_the_form(text):
    with pytest.raises(ValueError, match=r"TRADE_RATE_LIMITS entry .*host=requests_per_minute"):
        parse_rate_limits(text)
    from assets.preflight import setting_problems

    assert any(p.startswith("TRADE_RATE_LIMITS entry") for p in setting_problems({"TRADE_RATE_LIMITS": text}))


def test_an_ipv6_mirror_can_be_named_and_a_host_twice_is_refused():
    """``[::1]=0`` names the IPv6 loopback as a URL's host does (``urlsplit(...).hostname``)."""
    mirror = _resource("[::1]=0")
    assert mirror.per_minute("oecd", "http://[::1]:8765/sdmx") is None
    assert mirror.per_minute("oecd", "https://sdmx.oecd.org/public/rest") == 20.0
    with pytest.raises(ValueError, match="names a twice"):
        parse_rate_limits("a=1, A=0")


def test_the_limiter_spaces_requests_to_one_host():
    """At 30 a minute, the second of two back-to-back requests waits about 2 s; another host and
    an unlimited client do not wait."""
    waited: list[float] = []
    _HostLimiter.wait("127.0.0.1:7", 30.0, waited.append)   # hosts no other test uses
    _HostLimiter.wait("127.0.0.1:7", 30.0, waited.append)
    _HostLimiter.wait("127.0.0.1:8", 30.0, waited.append)
    _HostLimiter.wait("127.0.0.1:7", None, waited.append)
    assert len(waited) == 1 and 1.9 < waited[0] <= 2.0


def test_the_client_waits_at_its_limit_before_asking(api_server, tmp_path):
    """The client passes its ``per_minute`` to the limiter: two requests to the local server at
    30 a minute record one wait of about 2 s (recorded, not slept)."""
    waited: list[float] = []
    client = HttpClient("worldbank", api_server.url + "/v2", None, per_minute=30.0, sleep=waited.append)
    for page in (1, 2):
        client.get("country/all/indicator/NE.EXP.GNFS.ZS", {"per_page": 50, "page": page, "format": "json"})
    assert len(waited) == 1 and 1.0 < waited[0] <= 2.0
