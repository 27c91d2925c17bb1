"""The landing zone: every response body the pipeline fetched, kept as it arrived.

Layout: ``<warehouse>/landing/<source>/<sha256(url)[:24]>.body`` with a sidecar ``.meta.json``
(URL with secrets redacted, status, the headers that matter, retrieval time, sha256, size).
Both are written through a hidden temp file and a rename. A body that a parser later rejects
is kept but marked ``rejected`` so the next run fetches it again instead of re-reading it.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

KEPT_HEADERS = ("content-type", "etag", "last-modified", "date", "retry-after", "content-length",
                "x-ratelimit-remaining", "cache-control")


@dataclass(frozen=True)
class Landed:
    body_path: Path
    meta: dict[str, Any]

    @property
    def body(self) -> bytes:
        return self.body_path.read_bytes()

    def age_seconds(self, now: datetime | None = None) -> float:
        retrieved = datetime.fromisoformat(self.meta["retrieved_at"])
        return ((now or datetime.now(timezone.utc)) - retrieved).total_seconds()


def _atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class LandingZone:
    """Raw responses of one source under ``root/landing/<source>/``."""

    def __init__(self, root: Path | str, source: str):
        self.dir = Path(root) / "landing" / source
        self.source = source

    def _stem(self, url: str) -> Path:
        return self.dir / hashlib.sha256(url.encode()).hexdigest()[:24]

    def lookup(self, url: str) -> Landed | None:
        """The landed response for a (redacted) URL, unless absent or rejected."""
        stem = self._stem(url)
        meta_path = stem.with_suffix(".meta.json")
        body_path = stem.with_suffix(".body")
        if not (meta_path.exists() and body_path.exists()):
            return None
        meta = json.loads(meta_path.read_text())
        if meta.get("rejected") or meta.get("url") != url:
            return None
        if hashlib.sha256(body_path.read_bytes()).hexdigest() != meta.get("sha256"):
            return None  # a body damaged on disk is fetched again, never trusted
        return Landed(body_path, meta)

    def store(self, url: str, status: int, headers: dict[str, str], body: bytes) -> Landed:
        self.dir.mkdir(parents=True, exist_ok=True)
        stem = self._stem(url)
        meta = {
            "source": self.source,
            "url": url,
            "status": status,
            "headers": {k: v for k, v in ((k.lower(), v) for k, v in headers.items()) if k in KEPT_HEADERS},
            "retrieved_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "sha256": hashlib.sha256(body).hexdigest(),
            "size_bytes": len(body),
        }
        _atomic(stem.with_suffix(".body"), body)
        _atomic(stem.with_suffix(".meta.json"), json.dumps(meta, indent=2).encode())
        return Landed(stem.with_suffix(".body"), meta)

    def reject(self, landed: Landed, reason: str) -> None:
        """Keep the body for inspection, but never serve it from the cache again."""
        meta = {**landed.meta, "rejected": reason}
        _atomic(landed.body_path.with_suffix(".meta.json"), json.dumps(meta, indent=2).encode())

    def entries(self) -> list[dict[str, Any]]:
        return [json.loads(p.read_text()) for p in sorted(self.dir.glob("*.meta.json"))]
