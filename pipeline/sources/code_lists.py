"""Manifest features for files written in a provider's own codes: a code list that ships with
the data, and codes that lost their leading zeros.

CEPII's BACI is the case in point (CEPII, "BACI: description", http://www.cepii.fr/DATA_DOWNLOAD/
baci/doc/DescriptionBACI.html; file names as in the V202401b release, e.g. ``BACI_HS92_Y2019_
V202401b.csv``, ``country_codes_V202401b.csv``, ``product_codes_HS92_V202401b.csv``). A year file
has the columns ``t, i, j, k, v, q``: year, exporter and importer as CEPII's numeric country codes
(close to UN M49, not ISO: 251 France, 380 Italy, 490 "Other Asia, nes" = Taiwan, 699 India,
757 Switzerland, 842 USA), the HS6 product, the value in thousands of current USD and the
quantity in metric tons. CEPII advises against reading ``k`` as a number, "which would remove
the leading zeros of the HS codes"; a file that went through a tool that did so holds 10121
for 010121. The numeric codes map to ISO3 through the release's own ``country_codes_V*.csv``:
``country_code, country_name, country_iso2, country_iso3`` since V202401 (earlier lists:
``country_code, country_name_abbreviation, country_name_full, iso_2digit_alpha,
iso_3digit_alpha``; the ``iso3_nes`` labels such as S19 are CEPII's, resolved to ISO3 by
``pipeline/reference/country_codes.yaml``).

Manifest keys (on a ``csv`` entry):

``pad: {column: width}``
    left-pad the all-digit codes of ``column`` with zeros to ``width`` characters (HS6: 6);
    any other text is left as written for the contract to name.
``code_lists: [{file, key, value, columns, encoding}]``
    replace the codes of each of ``columns`` by the ``value`` column of the list ``file`` (a
    glob next to the data file, e.g. ``country_codes_V*.csv``; exactly one must match) whose
    ``key`` column holds them. ``value`` may list alternatives (the first present in the
    header is used), for lists whose header changed between releases. The list is read as
    ``encoding`` (default latin-1: every byte decodes, and code columns are ASCII in either
    encoding). A code the list does not hold stops the read, naming the file, column, codes,
    rows and the fix; codes are never dropped or guessed.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.sources.base import SourceError, sha256_of


def code_list_files(entry: dict[str, Any], path: Path) -> dict[str, Any]:
    """The entry with, for each of its ``code_lists``, the one list file next to ``path``
    (location and sha256), so that reading uses the same bytes as were discovered."""
    if not entry.get("code_lists"):
        return entry
    resolved = []
    for spec in entry["code_lists"]:
        found = sorted(p for p in path.parent.glob(spec["file"]) if p.is_file())
        if len(found) != 1:
            what = "no file" if not found else f"{len(found)} files ({[p.name for p in found]})"
            raise SourceError(
                f"{path} (dataset {entry['id']}): its code list {spec['file']!r} matches {what} in "
                f"{path.parent}; keep exactly one there: the list of the same release as the data "
                "(for BACI, the country_codes_V*.csv of the release's zip)")
        resolved.append({**spec, "location": str(found[0]), "sha256": sha256_of(found[0])})
    return {**entry, "code_lists": resolved}


def claimed_lists(entry: dict[str, Any], data_files: list[Path]) -> set[Path]:
    """The code-list files that ``data_files`` of ``entry`` use (not "skipped" files)."""
    return {p for spec in entry.get("code_lists") or [] for f in data_files
            for p in f.parent.glob(spec["file"]) if p.is_file()}


def apply_code_lists(frame: pd.DataFrame, spec: dict[str, Any], path: Path) -> pd.DataFrame:
    """``frame`` with every ``code_lists`` column translated and every ``pad`` column padded."""
    for column, width in (spec.get("pad") or {}).items():
        if column in frame:
            frame[column] = _on_uniques(frame[column], lambda u, w=int(width): _padded(u, w))
    for listing in spec.get("code_lists") or []:
        mapping = _read_list(listing, spec)
        for column in listing["columns"]:
            translated = _on_uniques(frame[column], lambda u: _normalized(u).map(mapping))
            unknown = translated.isna()
            if unknown.any():
                counts = _normalized(frame.loc[unknown, column]).value_counts()
                lines = (frame.index[unknown.to_numpy()][:5] + 2).tolist()  # file lines: header is line 1
                raise SourceError(
                    f"{path} (dataset {spec['id']}): column {column} holds {len(counts)} code(s) that "
                    f"{Path(listing['location']).name} does not list: "
                    + ", ".join(f"{c} ({n:,} rows)" for c, n in counts.head(10).items())
                    + f"; {int(unknown.sum()):,} rows in all, e.g. lines {lines}. Put the code list of the "
                    f"same release next to the data file (the numeric codes change between releases), "
                    f"or add the code(s) with their {listing['value']} to the list. No row was read")
            frame[column] = translated
    return frame


PLACEHOLDERS = {"N/A", "NA", "N.A.", "NAN", "NULL", "-", "..."}


def _read_list(listing: dict[str, Any], spec: dict[str, Any]) -> pd.Series:
    path = Path(listing["location"])
    if sha256_of(path) != listing["sha256"]:
        raise SourceError(f"{path} changed since it was discovered (sha256 differs): re-run the raw "
                          "asset so provenance and data describe the same bytes")
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=listing.get("encoding", "latin-1"))
    values = listing["value"] if isinstance(listing["value"], list) else [listing["value"]]
    value = next((v for v in values if v in table.columns), None)
    if listing["key"] not in table.columns or value is None:
        raise SourceError(f"{path} (code list of dataset {spec['id']}) lacks column {listing['key']!r} or "
                          f"any of {values}; header is {list(table.columns)}. Use the list of the release, "
                          "or name its columns under `code_lists` in the manifest entry")
    keys, labels = _normalized(table[listing["key"]]), table[value].str.strip()
    # A placeholder ("N/A": CEPII's older lists for areas without an ISO code, 490 Taiwan among
    # them) is no code: only an override gives one, else the read stops naming the code.
    labels = labels.mask(labels.str.upper().isin(PLACEHOLDERS), "")
    for code, label in (listing.get("overrides") or {}).items():
        labels = labels.mask(keys == _normalized(pd.Series([str(code)])).iloc[0], str(label))
    keep = labels != ""
    twice = keys[keep][keys[keep].duplicated()].unique().tolist()
    if twice:
        raise SourceError(f"{path} (code list of dataset {spec['id']}): codes {twice[:10]} are listed more "
                          "than once; keep one line per code")
    return pd.Series(labels[keep].to_numpy(), index=keys[keep].to_numpy())


def _on_uniques(values: pd.Series, transform) -> pd.Series:
    """``transform`` applied once per distinct value (a BACI year: 10 million rows, about 240
    country and 5,000 product codes), spread back to every row."""
    positions, uniques = pd.factorize(values, use_na_sentinel=False)
    done = np.asarray(transform(pd.Series(uniques, dtype=object)), dtype=object)
    return pd.Series(done[positions], index=values.index)


def _normalized(codes: pd.Series) -> pd.Series:
    """Codes as text without padding: ``"004"``, ``"4"`` and ``4`` are the same code."""
    text = codes.astype(str).str.strip()
    digits = text.str.fullmatch(r"\d+")
    return text.where(~digits, text.str.lstrip("0").replace("", "0"))


def _padded(codes: pd.Series, width: int) -> pd.Series:
    text = codes.astype(str).str.strip()
    digits = text.str.fullmatch(r"\d+") & (text.str.len() < width)
    return text.where(~digits, text.str.zfill(width))
