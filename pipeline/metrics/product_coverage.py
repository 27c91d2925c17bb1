"""Whether a product source's exports can stand as a country's merchandise exports (issue 12 part 5).

A product source (Atlas sectors, the Atlas HS subset, a BACI extract, Open Trade Statistics
HS4 exports to the world) is compared with a reference total of the country's merchandise
exports that is not product detail, in this order:

1. World Bank WDI ``TX.VAL.MRCH.CD.WT`` (merchandise exports, current USD) from
   ``core__macro_indicators``;
2. else the declared goods-totals source of the country-year: the one source
   :func:`pipeline.metrics.goods_sources.selected_flows` picks by the manifest's
   ``goods_totals`` precedence (Atlas sectors 2010-2020, the Comtrade/DTA panel where no better
   source covers the country), named by its dataset id.

Rows of a source that is not the declared totals (the Comtrade/DTA panel's ``TOTAL`` rows in
2012 and 2016, partial for many reporters: Hong Kong 2016 at 1/20 of the Atlas) are never the
reference. The used reference is named in ``coverage_reference`` and in ``coverage_note``.

Bands of :math:`coverage_{i,t} = \\sum_k x_{i,k,t} / X^{ref}_{i,t}`:

- below :data:`MIN_COVERAGE`: too little of the country's exports (the BACI extract holds 56 %
  of South Africa's 2021 exports), not the country's figure;
- above :data:`NOTE_ABOVE`: noted (re-exports, mirror flows, the source's own caveat in the
  manifest); above :data:`MAX_COVERAGE` not the country's figure (Syria 2017 in Open Trade
  Statistics: 15.2 times WDI).

Coverage never removes a row of a world-complete classification (Atlas sectors): its indices
are always published (and used by the scorecard); coverage informs ``is_country_figure`` and
the note only.
"""
from __future__ import annotations

import pandas as pd

# Mirror-reconciled sources (Atlas, BACI) differ from reported totals by 10-15 % either way
# (Atlas sectors / WDI: median 0.98, quartiles 0.88 and 1.11): 0.8 keeps them and refuses
# partial extracts (the BACI file holds 56 % of South Africa's 2021 exports).
MIN_COVERAGE = 0.80
# Above 1.25 times the reference a note says why the source may hold more (re-exports, mirror
# data); above 2 times it is no longer read as the country's exports.
NOTE_ABOVE = 1.25
MAX_COVERAGE = 2.0
# A partial classification's flows of a country are a product source of its own only when they
# reach partners that take at least this share of its exports in the world-complete reference.
MIN_PARTNER_COVERAGE = 0.95

WDI_MERCHANDISE_EXPORTS = "TX.VAL.MRCH.CD.WT"
REFERENCE_WDI = f"WDI {WDI_MERCHANDISE_EXPORTS}"
COVERAGE_COLUMNS = ["iso3", "year", "reference_exports_usd", "coverage_share", "coverage_reference",
                    "is_country_figure", "coverage_note"]
WORLD_COMPLETE_NOTE = ("product_hhi and product_theil kept: the classification holds every exporter of the "
                       "world in one consistent source")


def partner_coverage(flows: pd.DataFrame, reference: pd.DataFrame | None) -> pd.DataFrame:
    """Share of each exporter's exports (in ``reference``, a world-complete classification of
    the same year) that go to partners the partial source ``flows`` reports at all.

    :math:`p_{i,t} = \\sum_{j \\in P^{C}_{i,t}} V^{ref}_{i,j,t} / \\sum_j V^{ref}_{i,j,t}` with
    :math:`P^{C}_{i,t}` the partners of i in ``flows``. The Atlas HS subset holds every flow of
    31 countries (1.0 for them) and, for anyone else, only its exports to those 31 (a fraction);
    a BACI extract of South Africa reaches about 210 partners (about 1.0) though its values are
    about 56 % of the country's exports (that is :func:`export_coverage`'s business). NaN where
    the reference has no exports of i that year. Returns ``iso3, year, partner_coverage_share``.
    """
    pairs = flows[["exporter_iso3", "importer_iso3", "year"]].drop_duplicates()
    if reference is None or reference.empty:
        own = pairs[["exporter_iso3", "year"]].drop_duplicates().assign(partner_coverage_share=float("nan"))
        return own.rename(columns={"exporter_iso3": "iso3"})
    ref = reference.groupby(["exporter_iso3", "importer_iso3", "year"], as_index=False)["value_usd"].sum()
    reached = ref.merge(pairs, on=["exporter_iso3", "importer_iso3", "year"])
    reached = reached.groupby(["exporter_iso3", "year"])["value_usd"].sum()
    total = ref.groupby(["exporter_iso3", "year"])["value_usd"].sum()
    own = pairs[["exporter_iso3", "year"]].drop_duplicates().set_index(["exporter_iso3", "year"])
    own["partner_coverage_share"] = (reached / total.where(total > 0)).reindex(own.index)
    return own.reset_index().rename(columns={"exporter_iso3": "iso3"})


def reference_exports(macro: pd.DataFrame | None, declared: pd.DataFrame | None) -> pd.DataFrame:
    """Each country's merchandise exports from a source that is not product detail: WDI
    ``TX.VAL.MRCH.CD.WT`` where published, else the declared goods-totals source of the
    country-year (``declared``: ``iso3, year, exports_usd, source`` from
    :func:`pipeline.metrics.goods_sources.declared_exports`). Returns ``iso3, year,
    reference_exports_usd, coverage_reference`` (:data:`REFERENCE_WDI` or the source's id)."""
    frames = []
    if macro is not None and len(macro):
        wdi = macro[macro["indicator_code"] == WDI_MERCHANDISE_EXPORTS]
        wdi = wdi.rename(columns={"value": "reference_exports_usd"})[["iso3", "year", "reference_exports_usd"]]
        frames.append(wdi[wdi["reference_exports_usd"] > 0].assign(coverage_reference=REFERENCE_WDI))
    if declared is not None and len(declared):
        own = declared.rename(columns={"exports_usd": "reference_exports_usd", "source": "coverage_reference"})
        frames.append(own.loc[own["reference_exports_usd"] > 0,
                              ["iso3", "year", "reference_exports_usd", "coverage_reference"]])
    if not frames:
        return pd.DataFrame(columns=["iso3", "year", "reference_exports_usd", "coverage_reference"])
    out = pd.concat(frames, ignore_index=True).astype({"iso3": str, "year": int, "coverage_reference": str})
    return out.drop_duplicates(["iso3", "year"], keep="first").reset_index(drop=True)  # WDI first


def _caveat(sources: str, caveats: dict[str, str]) -> str:
    texts = [f"{s} caveat: {caveats[s]}" for s in sources.split("; ") if s in caveats]
    return "; ".join(texts)


def _note(share: float, reference: str, year: int) -> str:
    """The coverage band's sentence (empty inside the band)."""
    if pd.isna(share):
        return (f"no reference total (neither {REFERENCE_WDI} nor a declared goods-totals source for {year}): "
                "coverage unknown, not the country's figure")
    where = f"{reference} {year}"
    if share < MIN_COVERAGE:
        return (f"covers {share:.1%} of merchandise exports ({where}), below {MIN_COVERAGE:.0%}: "
                "not the country's figure")
    if share <= NOTE_ABOVE:
        return ""
    verdict = (f"above {MAX_COVERAGE:g}x: not the country's figure" if share > MAX_COVERAGE else
               f"above {NOTE_ABOVE:g}x, at most {MAX_COVERAGE:g}x: kept as the country's figure")
    return (f"exports are {share:.2f}x the merchandise exports of {where}, {verdict}; the source may count "
            "re-exports or mirror (partner-reported) flows that the reference leaves out")


def export_coverage(exports: pd.DataFrame, reference: pd.DataFrame, caveats: dict[str, str] | None = None,
                    world_complete: bool = False) -> pd.DataFrame:
    """Whether a product source's exports can stand as the country's figure (module docstring).

    ``exports``: ``iso3, year, exports_usd, source`` (the source's dataset id, ``a; b`` for
    several); ``reference`` from :func:`reference_exports`; ``caveats``: dataset id -> the
    caveat its manifest entry declares, quoted in every note of that source's rows.
    ``is_country_figure`` is true for :data:`MIN_COVERAGE` <= coverage <= :data:`MAX_COVERAGE`.
    On a ``world_complete`` classification a row that is not the country's figure says that its
    indices are kept all the same. Returns :data:`COVERAGE_COLUMNS`.
    """
    caveats = caveats or {}
    out = exports[["iso3", "year", "exports_usd", "source"]].merge(reference, on=["iso3", "year"], how="left")
    out["coverage_share"] = out["exports_usd"] / out["reference_exports_usd"]
    out["is_country_figure"] = out["coverage_share"].between(MIN_COVERAGE, MAX_COVERAGE).astype(bool)
    out["coverage_reference"] = out["coverage_reference"].fillna("none")
    notes = []
    for share, ref, year, sources, figure in zip(out["coverage_share"], out["coverage_reference"], out["year"],
                                                 out["source"], out["is_country_figure"]):
        parts = [_note(share, ref, int(year))]
        if parts[0]:
            parts.append(_caveat(str(sources), caveats))
            if world_complete and not figure:
                parts.append(WORLD_COMPLETE_NOTE)
        notes.append("; ".join(p for p in parts if p))
    out["coverage_note"] = notes
    return out[COVERAGE_COLUMNS]
