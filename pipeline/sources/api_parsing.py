"""Checks every API answer passes before it is believed: JSON, not HTML, not empty, not cut."""
from __future__ import annotations

import json
from typing import Any

from pipeline.sources.base import SourceError


class ApiFormatError(SourceError):
    """An answer that is not what the API documents; the message names the URL and expectation."""


def decode_json(body: bytes, url: str, expected: str) -> Any:
    """Parse a JSON body, refusing HTML pages, empty bodies and truncated JSON by name."""
    text = body.decode("utf-8-sig", errors="replace").strip()  # some servers send a BOM
    if not text:
        raise ApiFormatError(f"{url} returned an empty body; expected {expected}")
    if text.startswith("<"):
        title = text[:200].replace("\n", " ")
        raise ApiFormatError(f"{url} returned an HTML/XML page instead of {expected}: {title!r}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ApiFormatError(
            f"{url} returned JSON that does not parse ({exc.msg} at byte {exc.pos} of {len(body)}): "
            f"truncated or corrupted; expected {expected}"
        ) from exc


def require_fields(record: dict[str, Any], fields: tuple[str, ...], url: str, what: str) -> None:
    missing = [f for f in fields if f not in record]
    if missing:
        raise ApiFormatError(
            f"{url}: {what} lacks field(s) {missing} (has {sorted(record)[:12]}...): the API's "
            "format changed; update the parser"
        )
