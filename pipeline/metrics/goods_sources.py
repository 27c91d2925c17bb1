"""Which source gives each country-year its goods totals and partner flows.

Several bilateral sources may describe the same country-year: the Comtrade/DTA panel (reported
exports, every fourth year to 2016), the Atlas sector file (2010-2020, mirror-reconciled), a
live Comtrade refresh, a user's BACI. The manifest's ``goods_totals`` list declares which of
them may give totals and in which order (``pipeline/sources/manifests/shared_datasets.yaml``).
For every country-year the first listed source that has flows of that country is taken, for
both directions, and no other: a total never adds two sources, which would double count.

Flows seen from the country ``c`` in year ``t`` from one source ``s``:

- exports: ``c``'s own export rows ``v(c -> p)``; where ``s`` has none for ``c, t`` and is
  ``mirror_complete``, its partners' import rows ``v(p <- c)`` (mirror exports);
- imports: ``c``'s own import rows; where ``s`` has none and is ``mirror_complete``, its
  partners' export rows to ``c`` (mirror imports, f.o.b.). The Atlas holds export rows only,
  so every Atlas import total is mirror (A's import from B equals B's export to A there).

Partners that are aggregates (``WLD``, ``ROW``, regions: sums of other rows) are dropped;
partners that are no economy (``UNS``, ``SPE``, ``BUN``, ``FRE``, ``ANS``, ...) stay, so that
totals hold all trade: :mod:`pipeline.metrics.concentration` keeps them out of rankings.
Countries (rows) are economies only.

The choice is per code, so a composite code (``BLX`` = Belgium + Luxembourg, the only Belgian
code of the Comtrade/DTA panel; ``composites:`` of ``country_groups.yaml``) would otherwise be
published beside its constituents in a year a better source reports them (2012, 2016: Atlas
``BEL``/``LUX`` and panel ``BLX``): a composite is no country row in a year where one of its
constituents is, from a source ranked as high or higher. Transitional codes of one economy are
aliases (``MNT`` -> ``MNE``, ``country_codes.yaml``) and resolve to one code before this choice.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from pipeline.metrics.product_flows import CLASSIFICATIONS_FILE, classifications
from pipeline.reference.codes import country_codes
from pipeline.reference.composites import composite_parts, inside_own_years
from pipeline.sources.base import SourceError
from pipeline.sources.files import DEFAULT_MANIFEST

SELECTED_COLUMNS = ["iso3", "year", "direction", "partner_iso3", "value_usd", "source", "mirror"]


@dataclass(frozen=True)
class TotalsSource:
    """One entry of the manifest's ``goods_totals`` list (see the manifest's header)."""

    source: str
    classification: str
    mirror_complete: bool


def load_totals_precedence(manifest: Path | str | None = None) -> list[TotalsSource]:
    """The declared sources of goods totals, best first, from ``manifest`` (default: the shared one).

    Raises
    ------
    SourceError
        Naming the manifest, when it has no ``goods_totals`` list, an entry lacks ``source``
        or ``classification``, names an undeclared classification or repeats a source.
    """
    path = Path(manifest or DEFAULT_MANIFEST)
    if not path.is_file():
        raise SourceError(f"manifest {path} not found: set TRADE_MANIFEST to an existing YAML file")
    entries = (yaml.safe_load(path.read_text()) or {}).get("goods_totals")
    fix = "list the sources of goods totals, best first, as in pipeline/sources/manifests/shared_datasets.yaml"
    if not entries:
        raise SourceError(f"manifest {path} has no `goods_totals:` list: {fix}")
    out, seen = [], set()
    for i, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not {"source", "classification"} <= set(entry):
            raise SourceError(f"manifest {path}: goods_totals entry #{i} ({entry!r}) needs `source` and "
                              f"`classification`: {fix}")
        if entry["classification"] not in classifications():
            raise SourceError(f"manifest {path}: goods_totals entry #{i} ({entry['source']}) names "
                              f"classification {entry['classification']!r}, not declared in {CLASSIFICATIONS_FILE}")
        if entry["source"] in seen:
            raise SourceError(f"manifest {path}: goods_totals lists {entry['source']} twice: keep one entry")
        seen.add(entry["source"])
        out.append(TotalsSource(str(entry["source"]), str(entry["classification"]),
                                bool(entry.get("mirror_complete", False))))
    return out


def _source_flows(rows: pd.DataFrame, spec: TotalsSource) -> pd.DataFrame:
    """Both directions of one source, seen from each country (columns :data:`SELECTED_COLUMNS`)."""
    # Product rows of one classification never overlap: their sum per pair is all goods.
    pairs = rows.groupby(["reporter_iso3", "partner_iso3", "year", "flow"], as_index=False, sort=False)[
        "value_usd"].sum()
    frames = []
    for direction, own, other in (("exports", "export", "import"), ("imports", "import", "export")):
        reported = pairs[pairs["flow"] == own].rename(columns={"reporter_iso3": "iso3"})
        parts = [reported.assign(mirror=False)]
        if spec.mirror_complete:
            mirror = pairs[pairs["flow"] == other].rename(
                columns={"reporter_iso3": "partner_iso3", "partner_iso3": "iso3"})
            covered = reported[["iso3", "year"]].drop_duplicates().assign(_reported=True)
            mirror = mirror.merge(covered, on=["iso3", "year"], how="left")
            parts.append(mirror[mirror["_reported"].isna()].drop(columns="_reported").assign(mirror=True))
        frames.append(pd.concat(parts, ignore_index=True).assign(direction=direction))
    return pd.concat(frames, ignore_index=True).assign(source=spec.source)[SELECTED_COLUMNS]


def _without_covered_composites(flows: pd.DataFrame) -> pd.DataFrame:
    """Drop a composite code's rows (as the country) in each year where a constituent has rows
    from a source ranked as high or higher (``_rank`` <=) and the code no longer stands for its
    constituents (:func:`~pipeline.reference.composites.inside_own_years`): one economy, one row a year."""
    links = pd.DataFrame([(code, part) for code, parts in composite_parts().items() for part in parts],
                         columns=["iso3", "part"])
    ranks = flows[["iso3", "year", "_rank"]].drop_duplicates()
    candidates = ranks.merge(links, on="iso3")
    covered = candidates.merge(ranks.rename(columns={"iso3": "part", "_rank": "_part_rank"}), on=["part", "year"])
    covered = covered.loc[covered["_part_rank"] <= covered["_rank"], ["iso3", "year"]].drop_duplicates()
    # ANT in 2010 stands for its constituents until October: not covered by Curacao's first rows.
    covered = covered[~inside_own_years(covered["iso3"], covered["year"])]
    if covered.empty:
        return flows
    drop = pd.MultiIndex.from_frame(flows[["iso3", "year"]]).isin(pd.MultiIndex.from_frame(covered))
    return flows[~drop]


def selected_flows(bilateral: pd.DataFrame, precedence: list[TotalsSource] | None = None) -> pd.DataFrame:
    """Partner flows of every country-year from its best source (module docstring).

    Parameters
    ----------
    bilateral : pandas.DataFrame
        Rows of ``bilateral_goods_trade`` (``reporter_iso3, partner_iso3, year, flow,
        product_classification, product_code, value_usd, source``), USD.
    precedence : list of TotalsSource, optional
        Best first; default :func:`load_totals_precedence` of the shared manifest.

    Returns
    -------
    pandas.DataFrame
        :data:`SELECTED_COLUMNS`: one row per country, year, direction and partner, ``value_usd``
        in USD, ``source`` the one source of that country-year, ``mirror`` True where the
        direction's flows are partners' reports.

    Raises
    ------
    SourceError
        When ``bilateral`` has rows but none of a declared source (names what is there).
    """
    precedence = load_totals_precedence() if precedence is None else precedence
    frames = []
    for rank, spec in enumerate(precedence):
        rows = bilateral[(bilateral["source"] == spec.source)
                         & (bilateral["product_classification"] == spec.classification)]
        if len(rows):
            frames.append(_source_flows(rows, spec).assign(_rank=rank))
    if not frames:
        if len(bilateral):
            present = sorted(bilateral[["source", "product_classification"]].drop_duplicates()
                             .astype(str).agg(":".join, axis=1))
            raise SourceError(
                f"bilateral_goods_trade holds {present} (source:classification) but no source declared "
                f"in the manifest's goods_totals ({[(s.source, s.classification) for s in precedence]}): "
                "declare the source there (TRADE_MANIFEST) to compute totals from it")
        return pd.DataFrame(columns=SELECTED_COLUMNS)
    flows = pd.concat(frames, ignore_index=True)
    codes = country_codes()
    keep = codes.is_economy(flows["iso3"]) & ~codes.is_aggregate(flows["partner_iso3"])
    flows = flows[keep & (flows["iso3"] != flows["partner_iso3"])]
    best = flows.groupby(["iso3", "year"])["_rank"].transform("min")
    flows = _without_covered_composites(flows[flows["_rank"] == best])
    return flows.groupby(["iso3", "year", "direction", "partner_iso3", "source", "mirror"], as_index=False,
                         sort=False)["value_usd"].sum()[SELECTED_COLUMNS]


def declared_exports(bilateral: pd.DataFrame, precedence: list[TotalsSource] | None = None) -> pd.DataFrame:
    """Each country-year's goods exports from its declared totals source (:func:`selected_flows`):
    ``iso3, year, exports_usd, source``, USD, partners that are no economy included (they are
    trade). Empty when ``bilateral`` holds no row of a declared source (a hand-built product
    table): there is then no declared total, never an error."""
    precedence = load_totals_precedence() if precedence is None else precedence
    declared = pd.Series(False, index=bilateral.index)
    for spec in precedence:
        declared |= (bilateral["source"] == spec.source) & (bilateral["product_classification"] == spec.classification)
    flows = selected_flows(bilateral[declared], precedence) if declared.any() else pd.DataFrame(
        columns=SELECTED_COLUMNS)
    exports = flows[flows["direction"] == "exports"]
    out = exports.groupby(["iso3", "year", "source"], as_index=False, observed=True)["value_usd"].sum()
    return out.rename(columns={"value_usd": "exports_usd"})[["iso3", "year", "exports_usd", "source"]]
