"""One HTTP client for every API source: retries, rate limit, timeouts, landing zone, cache.

- Retries with exponential backoff and full jitter on 429, 500, 502, 503, 504, connection
  errors and read timeouts; a ``Retry-After`` header (seconds or HTTP date) wins over backoff.
- A per-host rate limit (minimum interval between requests to the same host, shared by all
  clients in the process): the OECD allows about 20 queries a minute.
- ``(connect, read)`` timeouts on every request.
- Every body is landed (:mod:`pipeline.sources.landing`) before anyone parses it. A landed
  body younger than ``ttl_seconds`` is served without a request (an interrupted refresh
  resumes where it stopped); an older one is revalidated with ``If-None-Match`` /
  ``If-Modified-Since`` and reused on ``304``.
- Secrets (API keys) travel in headers only and are redacted from every URL and message.
- ``replay_only`` serves every answer from the landing zone and never touches the network:
  core assets parse exactly the bodies their raw asset fetched.
"""
from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Callable
from urllib.parse import urlencode, urlsplit

import requests

from pipeline.sources.base import SourceError
from pipeline.sources.landing import Landed, LandingZone

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class HttpError(SourceError):
    """A request failed for good; the message names the redacted URL and the way out."""


@dataclass
class FetchStats:
    requests: int = 0
    bytes: int = 0
    retries: int = 0
    cache_hits: int = 0
    revalidated: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    body: bytes
    headers: dict[str, str]
    landed: Landed | None
    from_cache: bool = False


class _HostLimiter:
    """Minimum spacing between requests to one host, across threads and clients."""

    _lock = threading.Lock()
    _next: dict[str, float] = {}

    @classmethod
    def wait(cls, host: str, per_minute: float | None, sleep: Callable[[float], None]) -> None:
        if not per_minute:
            return
        interval = 60.0 / per_minute
        with cls._lock:
            now = time.monotonic()
            start = max(now, cls._next.get(host, 0.0))
            cls._next[host] = start + interval
        if start > now:
            sleep(start - now)
            # An injected sleep (tests, a caller's own scheduler) may return at once: the shared
            # schedule must follow the clock, not run ahead of it, or a later client with a real
            # sleep waits for requests that never took time (the suite stalled on it).
            with cls._lock:
                after = time.monotonic()
                if after < start:
                    cls._next[host] = min(cls._next[host], after + interval)


def retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


@dataclass
class HttpClient:
    source: str
    base_url: str
    landing: LandingZone | None = None
    secrets: tuple[str, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)
    per_minute: float | None = None
    timeout: tuple[float, float] = (5.0, 60.0)
    max_retries: int = 5
    backoff_seconds: float = 1.0
    max_backoff_seconds: float = 60.0
    ttl_seconds: float | None = 24 * 3600
    replay_only: bool = False
    sleep: Callable[[float], None] = time.sleep
    log: Callable[[str], None] = lambda message: None
    stats: FetchStats = field(default_factory=FetchStats)
    used: list[str] = field(default_factory=list)  # redacted URLs answered, in order

    def __post_init__(self) -> None:
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": "trade-exposure-pipeline", **self.headers})
        self.host = urlsplit(self.base_url).netloc

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, "***")
        return text

    def url_for(self, path: str, params: dict[str, Any] | None = None) -> str:
        url = self.base_url.rstrip("/") + "/" + path.lstrip("/")
        query = urlencode({k: v for k, v in (params or {}).items() if v is not None}, safe=",;:+@")
        return f"{url}?{query}" if query else url

    def get(self, path: str, params: dict[str, Any] | None = None,
            accept: str | None = None, accept_status: tuple[int, ...] = ()) -> Response:
        """GET ``path`` (see the module docstring). A status >= 400 raises :class:`HttpError`
        unless listed in ``accept_status`` (an API that answers "no data" with 404)."""
        url = self.url_for(path, params)
        shown = self.redact(url)
        cached = self.landing.lookup(shown) if self.landing else None
        if cached and (self.replay_only or (self.ttl_seconds is not None
                                            and cached.age_seconds() < self.ttl_seconds)):
            self.stats.cache_hits += 1
            self.used.append(shown)
            return Response(shown, cached.meta["status"], cached.body, cached.meta["headers"], cached, True)
        if self.replay_only:
            raise HttpError(f"{self.source}: {shown} is not in the landing zone "
                            f"({self.landing.dir if self.landing else 'none configured'}); "
                            "materialize the source's raw asset first")
        headers = {"Accept": accept} if accept else {}
        if cached:
            if etag := cached.meta["headers"].get("etag"):
                headers["If-None-Match"] = etag
            if modified := cached.meta["headers"].get("last-modified"):
                headers["If-Modified-Since"] = modified
        answer = self._request(url, shown, headers)
        if answer.status_code == 304 and cached:
            self.stats.revalidated += 1
            self.used.append(shown)
            return Response(shown, cached.meta["status"], cached.body, cached.meta["headers"], cached, True)
        landed = self.landing.store(shown, answer.status_code, dict(answer.headers), answer.content) \
            if self.landing else None
        if answer.status_code >= 400 and answer.status_code not in accept_status:
            excerpt = self.redact(answer.content[:300].decode("utf-8", "replace"))
            raise HttpError(
                f"{self.source}: {shown} answered HTTP {answer.status_code}: {excerpt!r}. "
                + ("Check the API key (COMTRADE_API_KEY)." if answer.status_code in (401, 403)
                   else "Check the query parameters and the base URL setting.")
            )
        self.used.append(shown)
        return Response(shown, answer.status_code, answer.content, dict(answer.headers), landed)

    def _request(self, url: str, shown: str, headers: dict[str, str]) -> requests.Response:
        attempt = 0
        while True:
            _HostLimiter.wait(self.host, self.per_minute, self.sleep)
            self.stats.requests += 1
            try:
                answer = self.session.get(url, headers=headers, timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout) as exc:
                problem = f"{type(exc).__name__}"
                answer = None
            else:
                self.stats.bytes += len(answer.content)
                if answer.status_code not in RETRY_STATUS:
                    return answer
                problem = f"HTTP {answer.status_code}"
            if attempt >= self.max_retries:
                message = (f"{self.source}: {shown} failed after {attempt + 1} attempts ({problem}). "
                           f"Is {self.host} reachable? Without network, set TRADE_BULK_DIR to read "
                           "bulk files instead.")
                if self.landing and answer is not None:  # keep the last answer, never serve it
                    landed = self.landing.store(shown, answer.status_code, dict(answer.headers), answer.content)
                    self.landing.reject(landed, message)
                raise HttpError(message)
            delay = retry_after_seconds(answer.headers.get("Retry-After")) if answer is not None else None
            if delay is None:
                delay = random.uniform(0, min(self.max_backoff_seconds, self.backoff_seconds * 2**attempt))
            attempt += 1
            self.stats.retries += 1
            self.log(f"{self.source}: {problem} from {shown}; retry {attempt}/{self.max_retries} in {delay:.1f}s")
            self.sleep(delay)
