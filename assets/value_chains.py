"""Value-chain (OECD TiVA) outputs from the canonical input-output table (issue 4, part 2).

Each asset recomputes the decomposition (about 0.2 s per WIOD year) rather than sharing an
unpublished intermediate, so every published table stays behind its own contract gate.
"""
from __future__ import annotations

import base64
import io

import dagster as dg
import pandas as pd

from assets.contract_gate import gate, output_metadata, published_asset
from assets.plots import bar_chart_md
from pipeline.metrics.value_chain_tables import value_chain_tables
from pipeline.reference.groups import membership_panel

SOURCE = "core__input_output, core__country_groups"


def _tables(core__input_output: pd.DataFrame, core__country_groups: pd.DataFrame) -> dict:
    years = sorted(core__input_output["year"].astype(int).unique())
    return value_chain_tables(core__input_output, membership_panel(core__country_groups, years))


def scatter_md(frame: pd.DataFrame, x: str, y: str, label: str, title: str) -> dg.MetadataValue:
    """Labelled scatter plot as a PNG inside markdown."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5), dpi=90)
    ax.scatter(frame[x], frame[y], s=18, color="#3b6ea5")
    for _, row in frame.iterrows():
        ax.annotate(str(row[label]), (row[x], row[y]), fontsize=7, xytext=(2, 2),
                    textcoords="offset points")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    encoded = base64.b64encode(buffer.getvalue()).decode()
    return dg.MetadataValue.md(f"![{title}](data:image/png;base64,{encoded})")


def _participation_plot(country: pd.DataFrame) -> dg.MetadataValue:
    latest = country[(country["year"] == country["year"].max()) & (country["iso3"] != "ROW")]
    return scatter_md(latest, "gvc_backward_pct", "gvc_forward_pct", "iso3",
                      f"GVC participation {int(country['year'].max())}: backward (FVA/EXGR) "
                      "vs forward (DVX/EXGR), %")


@published_asset("value_chain_exposure", "out")
def out__value_chain_exposure(core__input_output: pd.DataFrame, core__country_groups: pd.DataFrame):
    """Per country and year (OECD TiVA): gross exports EXGR, domestic (DVA) and foreign (FVA)
    value added in them, domestic value added in partners' exports (DVX), and GVC
    participation: backward = 100 FVA/EXGR, forward = 100 DVX/EXGR, participation = sum.
    From VS = diag(v) L diag(e), v = 1 - 1'A, L = (I - A)^-1; USD."""
    frame = _tables(core__input_output, core__country_groups)["country"]
    frame = yield from gate("out__value_chain_exposure", frame, "value_chain_exposure", SOURCE)
    meta = output_metadata(frame, SOURCE)
    meta["plot"] = _participation_plot(frame)
    yield dg.Output(frame, metadata=meta)


@published_asset("value_chain_industry_exposure", "out")
def out__value_chain_industry_exposure(core__input_output: pd.DataFrame,
                                       core__country_groups: pd.DataFrame):
    """The TiVA indicators per country, industry and year: EXGR, DVA, FVA by exporting
    industry; DVX by the industry whose value added partners re-export; USD and %."""
    frame = _tables(core__input_output, core__country_groups)["industry"]
    frame = yield from gate("out__value_chain_industry_exposure", frame,
                            "value_chain_industry_exposure", SOURCE)
    latest = frame[(frame["year"] == frame["year"].max()) & (frame["exgr_usd"] > 5e9)
                   & (frame["iso3"] != "ROW")]
    top = latest.nlargest(15, "gvc_backward_pct").assign(
        label=lambda f: f["iso3"] + " " + f["sector"])
    meta = output_metadata(frame, SOURCE)
    meta["plot"] = bar_chart_md(top, "label", "gvc_backward_pct",
                                f"Highest foreign content of exports by industry, "
                                f"{int(frame['year'].max())} (exports > $5bn)")
    yield dg.Output(frame, metadata=meta)


@published_asset("value_chain_partner_exposure", "out")
def out__value_chain_partner_exposure(core__input_output: pd.DataFrame,
                                      core__country_groups: pd.DataFrame):
    """Per country, partner and year: the partner's value added in the country's exports (FVA
    by source), the country's value added in the partner's exports (DVX by destination), and
    the country's value added absorbed by the partner's final demand; USD and shares 0..1."""
    frame = _tables(core__input_output, core__country_groups)["partner"]
    frame = yield from gate("out__value_chain_partner_exposure", frame,
                            "value_chain_partner_exposure", SOURCE)
    latest = frame[(frame["year"] == frame["year"].max()) & (frame["iso3"] != "ROW")
                   & (frame["partner_iso3"] != "ROW")]
    top = latest.nlargest(15, "fva_partner_share").assign(
        label=lambda f: f["iso3"] + " <- " + f["partner_iso3"])
    meta = output_metadata(frame, SOURCE)
    meta["plot"] = bar_chart_md(top, "label", "fva_partner_share",
                                f"Largest single-partner shares of foreign content, "
                                f"{int(frame['year'].max())}")
    yield dg.Output(frame, metadata=meta)


@published_asset("value_added_absorption_by_group", "out")
def out__value_added_absorption_by_group(core__input_output: pd.DataFrame,
                                         core__country_groups: pd.DataFrame):
    """Per country, group and year (membership of that year): value added absorbed by the
    group's final demand, the group's share of the country's FVA and of its DVX; USD, 0..1."""
    frame = _tables(core__input_output, core__country_groups)["group"]
    frame = yield from gate("out__value_added_absorption_by_group", frame,
                            "value_added_absorption_by_group", SOURCE)
    latest = frame[(frame["year"] == frame["year"].max()) & (frame["group_id"] == "EU")
                   & ~frame["is_member"] & (frame["iso3"] != "ROW")]
    meta = output_metadata(frame, SOURCE)
    meta["plot"] = bar_chart_md(latest.nlargest(15, "va_absorbed_share"), "iso3",
                                "va_absorbed_share",
                                f"Non-members' value added absorbed by EU final demand, "
                                f"{int(frame['year'].max())}")
    yield dg.Output(frame, metadata=meta)


VALUE_CHAIN_ASSETS = [out__value_chain_exposure, out__value_chain_industry_exposure,
                      out__value_chain_partner_exposure, out__value_added_absorption_by_group]
