"""USITC's ITPD-E as downloaded, read into gravity-panel rows (total or broad-sector panels).

Source: Borchert, Larch, Shikher & Yotov, *The International Trade and Production Database for
Estimation (ITPD-E)*, USITC Economics Working Paper 2020-05-C; the layout is the user guide's
"File Format" page (https://www.usitc.gov/data/gravity/itpde_guide/file_format) and the
variable lists of releases 2 and 3
(https://www.usitc.gov/data/gravity/gravity_portal_itpd_e_variables.htm). ``ITPD_E_RXX.csv``
has one row per exporter, importer, year and ITPD industry (170 industries in four broad
sectors), with the columns

    exporter_iso3, exporter_name, importer_iso3, importer_name, year, industry_id,
    industry_descr, broad_sector, trade, flag_mirror, flag_zero

(release 2 adds ``exporter_dynamic_code``/``importer_dynamic_code``, release 3 calls them
``*_iso3_dynamic``: not used). ``trade`` is in millions of current US dollars; trade is
domestic when exporter and importer are the same country. ``flag_mirror`` is 1 where the
mirror value is used; ``flag_zero`` is ``p`` (positive), ``r`` (zero in the raw data) or
``u`` (missing: unknown, assigned zero).

Aggregation (manifest ``aggregate``: ``total`` or ``broad_sector``, the user's choice), for
exporter i, importer j, year t and sector s (all industries, or one broad sector):

    X_ijt^s = sum over industries k of s with flag_zero in {p, r} of trade_ijt^k

A flow none of whose industries is known (all ``u``) is missing: a domestic one gets no row,
never a zero (the GE model then names the country and leaves it out:
:func:`pipeline.gravity.ge.data.countries_without_domestic_flow`); an international one is 0,
as ITPD-E assigns it. ``flag_mirror`` is read but not carried (a sum mixes both kinds).

Before aggregating, every industry row is checked against the ``gravity_panel`` contract
(``sector`` = the industry): codes, a non-negative number in ``trade``, one row per exporter,
importer, year and industry. A sum would hide a negative value or a duplicated row.

Gravity covariates and the agreement dummy are not in ITPD-E: the manifest entry's
``covariates`` maps the USITC Dynamic Gravity Dataset (Gurevich & Herman 2018; columns
``year, iso3_o, iso3_d, distance, contiguity, common_language, colony_ever, agree_pta,
agree_fta, ...``), merged on ISO3 codes and year as the ITPD-E guide advises.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.sources.base import SourceError, require_columns, sha256_of

LAYOUT = ["exporter_iso3", "importer_iso3", "year", "industry_id", "broad_sector", "trade",
          "flag_mirror", "flag_zero"]
FLAGS = {"p", "r", "u"}
KNOWN = ("p", "r")
KEY = ["exporter_iso3", "importer_iso3", "year", "sector"]
DGD_KEY = ["year", "iso3_o", "iso3_d"]
AGGREGATES = ("total", "broad_sector")


def read_itpd_e(path: Path, spec: dict[str, Any]) -> pd.DataFrame:
    """One ITPD-E file -> gravity-panel rows (canonical columns, ``trade_value_usd`` in USD),
    aggregated as the manifest entry says, with its covariates merged."""
    mode = spec.get("aggregate", "total")
    if mode not in AGGREGATES:
        raise SourceError(f"manifest entry {spec['id']}: aggregate {mode!r} unknown; use one of "
                          f"{list(AGGREGATES)}")
    require_columns(path, spec, pd.read_csv(path, nrows=0).columns, LAYOUT)
    parts, first_line = [], 2  # line 1 is the header
    chunks = pd.read_csv(path, usecols=LAYOUT, dtype=str, keep_default_na=False,
                         chunksize=int(spec.get("chunk_rows", 2_000_000)))
    for chunk in chunks:
        chunk.index = pd.RangeIndex(first_line, first_line + len(chunk))  # file line numbers
        first_line += len(chunk)
        parts.append(_sum_industries(_checked_rows(chunk, spec, path), chunk, spec, mode, path))
    sums = pd.concat(parts).groupby(KEY, sort=True)[["trade", "known"]].sum().reset_index()
    domestic = sums["exporter_iso3"] == sums["importer_iso3"]
    sums = sums[~domestic | (sums["known"] > 0)]  # a domestic flow nobody knows stays missing
    out = pd.DataFrame({
        **{c: sums[c].to_numpy() for c in KEY},
        "trade_value_usd": sums["trade"].to_numpy() * float(spec.get("unit_multiplier", 1e6)),
    })
    if spec.get("covariates"):
        out = out.merge(read_covariates(spec, set(out["year"])), how="left",
                        on=["exporter_iso3", "importer_iso3", "year"])
    return out.assign(source=spec["id"])


def _checked_rows(chunk: pd.DataFrame, spec: dict[str, Any], path: Path) -> pd.DataFrame:
    """The industry rows in gravity-panel columns, refused unless they pass its contract."""
    from pipeline.contracts import check_frame, load_contract
    from pipeline.reference.codes import country_codes

    codes = country_codes()
    bad_flags = ~chunk["flag_zero"].isin(FLAGS)
    if bad_flags.any():
        raise SourceError(f"{path} (dataset {spec['id']}): flag_zero must be p, r or u (ITPD-E "
                          f"file format); lines {chunk.index[bad_flags][:5].tolist()} have "
                          f"{sorted(set(chunk.loc[bad_flags, 'flag_zero']))[:5]}. Use the file "
                          "as the USITC released it")
    # trade stays in the file's unit (millions) for the check: its rules do not depend on scale
    rows = pd.DataFrame({
        "panel_id": spec["id"],
        "exporter_iso3": codes.canonical(chunk["exporter_iso3"]),
        "importer_iso3": codes.canonical(chunk["importer_iso3"]),
        "year": chunk["year"], "sector": chunk["industry_id"], "trade_value_usd": chunk["trade"],
        "source": spec["id"],
    }, index=chunk.index)
    conformed, report = check_frame(rows, load_contract("gravity_panel"),
                                    f"{path} lines {chunk.index[0]}-{chunk.index[-1]}")
    if not report.passed:
        raise SourceError(f"{path} (dataset {spec['id']}): its industry rows break the "
                          "gravity_panel contract, checked before aggregation because a sum would "
                          "hide them (rows are the file's line numbers; sector = industry_id):\n"
                          + report.message())
    unknown_values = (chunk["flag_zero"] == "u") & (conformed["trade_value_usd"] != 0)
    if unknown_values.any():
        raise SourceError(f"{path} (dataset {spec['id']}): flag_zero u means unknown, assigned "
                          f"zero, but lines {chunk.index[unknown_values][:5].tolist()} carry a "
                          "value; fix the flag or the value")
    return conformed


def _sum_industries(rows: pd.DataFrame, chunk: pd.DataFrame, spec: dict[str, Any], mode: str,
                    path: Path) -> pd.DataFrame:
    """Known trade and the number of known industries per flow and sector of one chunk."""
    if mode == "total":
        sector = pd.Series("TOTAL", index=rows.index)
    else:
        labels = spec.get("broad_sectors") or {}
        sector = chunk["broad_sector"].map(labels)
        if sector.isna().any():
            unmapped = sorted(set(chunk.loc[sector.isna(), "broad_sector"]))
            raise SourceError(f"{path} (dataset {spec['id']}): broad_sector {unmapped} is not in "
                              f"the manifest entry's broad_sectors {sorted(labels)}; add it there "
                              "(label: sector id)")
    known = chunk["flag_zero"].isin(KNOWN)
    frame = rows[["exporter_iso3", "importer_iso3", "year"]].assign(
        sector=sector.to_numpy(), trade=rows["trade_value_usd"].where(known, 0.0),
        known=known.astype(int))
    return frame.groupby(KEY, sort=False)[["trade", "known"]].sum().reset_index()


def read_covariates(spec: dict[str, Any], years: set) -> pd.DataFrame:
    """The manifest entry's covariate files (USITC Dynamic Gravity Dataset layout) as
    ``exporter_iso3, importer_iso3, year`` and the canonical columns of ``covariates.columns``;
    rows of other years dropped; one row per key (duplicates that disagree are refused)."""
    from pipeline.reference.codes import country_codes

    cov = spec["covariates"]
    mapping = cov.get("columns") or {}
    files = cov.get("files") or []
    if not files:
        raise SourceError(f"manifest entry {spec['id']}: covariates pattern {cov.get('pattern')!r} "
                          "matched no file; download the USITC Dynamic Gravity Dataset there")
    frames = []
    for item in files:
        path = Path(item["location"])
        if sha256_of(path) != item["sha256"]:
            raise SourceError(f"{path} changed since it was discovered (sha256 differs): re-run "
                              "the raw asset so provenance and data describe the same bytes")
        wanted = DGD_KEY + list(mapping.values())
        require_columns(path, spec, pd.read_csv(path, nrows=0).columns, wanted)
        for chunk in pd.read_csv(path, usecols=wanted, chunksize=2_000_000, low_memory=False):
            frames.append(chunk[chunk["year"].isin(years)])
    frame = pd.concat(frames, ignore_index=True)
    codes = country_codes()
    out = pd.DataFrame({"exporter_iso3": codes.canonical(frame["iso3_o"]),
                        "importer_iso3": codes.canonical(frame["iso3_d"]),
                        "year": frame["year"].astype(int),
                        **{target: frame[column] for target, column in mapping.items()}})
    out = out.drop_duplicates()
    clash = out.duplicated(["exporter_iso3", "importer_iso3", "year"], keep=False)
    if clash.any():
        sample = out.loc[clash, ["exporter_iso3", "importer_iso3", "year"]].head(5).to_dict("records")
        raise SourceError(f"manifest entry {spec['id']}: the covariate files give {int(clash.sum())} "
                          f"rows with different values for the same pair and year (e.g. {sample}): "
                          "keep one dynamic code per ISO3 code in the file")
    return out
