"""Requests per minute per API host: the published limits, and a user's override for a mirror.

The live clients space their requests to one host (:class:`pipeline.sources.http.HttpClient`,
``per_minute``). The defaults are the APIs' own limits; a local mirror or a test server on
``127.0.0.1`` has none, so ``TRADE_RATE_LIMITS`` can lift or change the limit of a named host
(``host=per_minute``, comma-separated; ``0`` = no limit). A host not named keeps its source's
default, so production settings are unchanged unless a user names the production host.
"""
from __future__ import annotations

import math
from urllib.parse import urlsplit

# Requests per minute per source: the World Bank publishes no limit (be polite); the Comtrade
# preview allows about one call a second; the OECD about 20 queries a minute.
RATE_LIMITS = {"worldbank": 60.0, "comtrade": 30.0, "oecd": 20.0}


def parse_rate_limits(text: str | None) -> dict[str, float]:
    """``"127.0.0.1=0, mirror.example.org=600"`` -> ``{"127.0.0.1": 0.0, "mirror.example.org": 600.0}``.

    The host is the URL's host name without port or scheme (lower case); the value is requests
    per minute, ``0`` for no limit. The message of a bad entry names the setting and the form.
    """
    limits: dict[str, float] = {}
    for entry in (e.strip() for e in str(text or "").split(",") if e.strip()):
        written, sep, value = entry.rpartition("=")
        written = written.strip().lower()
        try:
            per_minute = float(value)
        except ValueError:
            per_minute = -1.0
        # the host as a URL names it: "[::1]" -> "::1"; a port or a path makes it no host name
        try:
            parts = urlsplit(f"//{written}")
            host, port = parts.hostname, parts.port
        except ValueError:
            host, port = None, None
        bare = written.strip("[]") if written.startswith("[") else written
        if not sep or not host or host != bare or port is not None or not math.isfinite(per_minute) \
                or per_minute < 0:
            raise ValueError(f"TRADE_RATE_LIMITS entry {entry!r}: write host=requests_per_minute, e.g. "
                             "127.0.0.1=0 or [::1]=0 (a host name without scheme or port; a finite number; "
                             "0 = no limit)")
        if host in limits:
            raise ValueError(f"TRADE_RATE_LIMITS names {written} twice ({limits[host]:g} and {per_minute:g} a "
                             "minute): keep one entry per host")
        limits[host] = per_minute
    return limits


def per_minute_for(source: str, base_url: str, overrides: dict[str, float]) -> float | None:
    """Requests per minute for ``source`` at ``base_url``: the override of its host when one is
    given (None for 0 = no limit), else the source's published limit (:data:`RATE_LIMITS`)."""
    host = (urlsplit(base_url).hostname or "").lower()
    if host in overrides:
        return overrides[host] or None
    return RATE_LIMITS[source]
