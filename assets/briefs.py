"""Country briefs (issue 19): one self-contained HTML page and a JSON companion per country of
TRADE_BRIEF_COUNTRIES, and an index, under ``<warehouse>/briefs/``.

The asset reads the tables its run staged (else the published ones), filtered per country
(:mod:`pipeline.briefs`), and writes the briefs into the run's staging directory, so the run's
one atomic switch publishes them with its tables and a failed run publishes none
(:mod:`pipeline.briefs.publish`). Its inputs are declared as ``deps``: nothing is loaded whole.
"""
from __future__ import annotations

from pathlib import Path

import dagster as dg

from assets.resources import BriefsResource
from pipeline.briefs import every_figure
from pipeline.briefs.publish import BRIEFS_DIR, publish_briefs, stage_briefs
from pipeline.briefs.sections_trade import headline_frame
from pipeline.warehouse import lock

BRIEF_INPUTS = ["out__country_trade_profile", "out__country_group_exposure", "out__export_product_concentration",
                "out__revealed_comparative_advantage", "out__end_use_trade", "out__strategic_dependencies",
                "out__country_scorecard", "out__value_chain_exposure", "out__value_added_absorption",
                "out__services_exposure", "out__services_restrictiveness", "out__agreement_impacts"]


def headline_markdown(briefs: dict) -> str:
    """One row per country: its three headline figures (value and year), for the UI."""
    lines = ["| country | " + " | ".join(["figure 1", "figure 2", "figure 3"]) + " |", "|---|---|---|---|"]
    for iso3, brief in briefs.items():
        cells = [f"{f['label']}: {f['display']} ({f['year']})" for f in brief["headline"]]
        lines.append(f"| {brief['name']} ({iso3}) | " + " | ".join(cells + [""] * (3 - len(cells))) + " |")
    return "\n".join(lines)


@dg.asset(name="out__country_briefs", group_name="out", deps=BRIEF_INPUTS, kinds={"html", "json"},
          required_resource_keys={"warehouse_io_manager", "briefs"})
def out__country_briefs(context) -> dg.MaterializeResult:
    """Country briefs: for each country of TRADE_BRIEF_COUNTRIES a self-contained HTML page
    (`briefs/<ISO3>.html`, plots embedded, prints to PDF) and its JSON companion holding every
    figure shown with its table, column, year, source and definition; `briefs/index.html` lists
    them with three headline numbers each. Sections without data say which source would cover
    the country. Published with the run's tables (one atomic switch)."""
    root = Path(context.resources.warehouse_io_manager.root)
    resource: BriefsResource = context.resources.briefs
    countries = resource.codes()
    if lock.held_by(root) == context.run_id:
        _, made = stage_briefs(root, context.run_id, countries)
        when = "with the run's other tables when the whole run has passed"
    else:  # materialized on its own, outside a run that holds the warehouse
        made = publish_briefs(root, countries)
        when = "now"
    out = root / BRIEFS_DIR
    metadata = {f"brief_{iso3}": dg.MetadataValue.path(str(out / f"{iso3}.html")) for iso3 in made}
    metadata["index"] = dg.MetadataValue.path(str(out / "index.html"))
    metadata["headlines"] = dg.MetadataValue.md(headline_markdown(made))
    first = next(iter(made))
    frame = headline_frame(made[first]["sections"])
    metadata[f"preview_{first}"] = dg.MetadataValue.md(frame.head(20).to_markdown(index=False))
    metadata["countries"] = len(made)
    metadata["figures"] = sum(len(list(every_figure(b["sections"]))) for b in made.values())
    metadata["published"] = when
    return dg.MaterializeResult(metadata=metadata)


BRIEF_ASSETS = [out__country_briefs]
