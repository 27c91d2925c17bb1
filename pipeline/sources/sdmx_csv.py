"""SDMX-CSV 2.0 answers (``labels=both``) read into a frame, refusing anything else by name.

The OECD .Stat Suite answers ``Accept: application/vnd.sdmx.data+csv; version=2.0.0;
labels=both`` with one header line and one line per observation, lines ending in CRLF:

    STRUCTURE,STRUCTURE_ID,ACTION,REF_AREA: Reference area,...,TIME_PERIOD: Time period,OBS_VALUE,...
    DATAFLOW,OECD.SDD.TPS:DSD_BOP@DF_BOP(1.0),I,GBR: United Kingdom,...,2021,45898,...

- A ``CODE: Label`` cell (header or value) is split at the first ``": "`` into the code and
  its label; a label holding a comma arrives double-quoted and the ``csv`` module unquotes it.
- ``_Z`` (not applicable) and an empty cell are missing codes; an empty ``OBS_VALUE`` is a
  missing value, kept as NaN (the observation exists, its value is not published).
- ``value = OBS_VALUE * 10**UNIT_MULT`` (``UNIT_MULT`` 6 = millions); a missing ``UNIT_MULT``
  counts as 0.
- SDMX-CSV carries no row count, so a cut answer is caught where it shows: a line with the
  wrong number of fields, an unterminated quote, or a body not ending in a line break (the
  OECD ends every line, the last included, with CRLF). A cut exactly after a line break
  cannot be seen in the body.
"""
from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd

from pipeline.sources.api_parsing import ApiFormatError

REQUIRED = ("STRUCTURE_ID", "TIME_PERIOD", "OBS_VALUE")
NOT_APPLICABLE = "_Z"


def split_code(cell: str) -> tuple[str, str]:
    """``"GBR: United Kingdom"`` -> ``("GBR", "United Kingdom")``; ``"2021"`` -> ``("2021", "")``."""
    code, sep, label = cell.partition(": ")
    return (code.strip(), label.strip()) if sep else (cell.strip(), "")


def _rows(body: bytes, url: str, expected: str) -> list[list[str]]:
    text = body.decode("utf-8-sig", errors="replace")
    stripped = text.strip()
    if not stripped:
        raise ApiFormatError(f"{url} returned an empty body; expected {expected}")
    if stripped.startswith("<"):
        title = stripped[:200].replace("\n", " ")
        raise ApiFormatError(f"{url} returned an HTML/XML page instead of {expected}: {title!r}")
    if stripped.startswith(("{", "[")):
        raise ApiFormatError(f"{url} returned JSON instead of {expected}: {stripped[:120]!r}; "
                             "check the Accept header")
    if not text.endswith("\n"):
        raise ApiFormatError(f"{url}: the answer ends mid-line ({len(body)} bytes, last "
                             f"{text[-40:]!r}): truncated; expected {expected}. Re-run to fetch again")
    try:
        return list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise ApiFormatError(f"{url}: CSV does not parse ({exc}): truncated or corrupted; "
                             f"expected {expected}") from exc


def parse_sdmx_csv(body: bytes, url: str, required: tuple[str, ...] = REQUIRED) -> pd.DataFrame:
    """An SDMX-CSV 2.0 body -> one row per observation.

    Parameters
    ----------
    body : bytes
        The answer as received (a BOM is tolerated).
    url : str
        The redacted URL, named in every error.
    required : tuple of str
        Column ids (codes, without labels) the answer must carry.

    Returns
    -------
    pandas.DataFrame
        One column per component id holding its code (``None`` for empty or ``_Z``), a
        ``<ID>_label`` column for each component that came with labels, ``OBS_VALUE`` as
        published (float, NaN when empty) and ``value = OBS_VALUE * 10**UNIT_MULT``.

    Raises
    ------
    ApiFormatError
        HTML or JSON instead of CSV, empty body, truncated or ragged CSV, missing columns,
        non-numeric values.
    """
    expected = "SDMX-CSV 2.0 (a header line then one line per observation)"
    rows = _rows(body, url, expected)
    header = [split_code(cell) for cell in rows[0]]
    ids = [code for code, _ in header]
    missing = [c for c in required if c not in ids]
    if missing:
        raise ApiFormatError(f"{url}: SDMX-CSV header lacks column(s) {missing} (has {ids[:20]}); "
                             f"expected {expected}. The format or the dataflow changed")
    data = rows[1:]
    bad = [(n + 2, len(r)) for n, r in enumerate(data) if len(r) != len(ids)]
    if bad:
        line, width = bad[0]
        raise ApiFormatError(f"{url}: line {line} has {width} fields where the header has {len(ids)} "
                             f"({len(bad)} such line(s)): truncated or corrupted answer; re-run to fetch again")
    columns: dict[str, object] = {}
    for j, (code, label) in enumerate(header):
        cells = [split_code(r[j]) for r in data]
        if code == "OBS_VALUE":
            columns[code] = _numbers([c for c, _ in cells], url, code)
            continue
        columns[code] = [None if c in ("", NOT_APPLICABLE) else c for c, _ in cells]
        if label or any(lab for _, lab in cells):
            columns[f"{code}_label"] = [lab or None for _, lab in cells]
    frame = pd.DataFrame(columns, index=pd.RangeIndex(len(data)))
    mult = _numbers([m or "" for m in frame["UNIT_MULT"]], url, "UNIT_MULT") \
        if "UNIT_MULT" in frame else np.zeros(len(frame))
    frame["value"] = frame["OBS_VALUE"].to_numpy(float) * 10.0 ** np.nan_to_num(mult)
    return frame


def _numbers(cells: list[str], url: str, column: str) -> np.ndarray:
    raw = pd.Series(cells, dtype=object)
    blank = raw.isin(["", NOT_APPLICABLE])
    values = pd.to_numeric(raw.where(~blank), errors="coerce")
    junk = values.isna() & ~blank & (raw != "NaN")
    if junk.any():
        raise ApiFormatError(f"{url}: {column} holds non-numbers, e.g. {raw[junk].iloc[0]!r} "
                             f"(line {int(junk.idxmax()) + 2}); the format changed or the answer is corrupted")
    return values.to_numpy(float)
