"""The estimation panel of a scenario, in the columns the counterfactual uses.

Columns: ``exporter, importer, year, trade`` (millions of USD), ``rta`` (agreement dummy,
0 on domestic pairs), ``sector`` (the one sector the model runs on), and where the source has
them for every international pair ``ln_dist, contiguity, common_language, colony`` (for
filling pairs without trade; domestic pairs may lack them, as in the USITC gravity data).

Two sources:

- ``gravity_panel``: one panel of the canonical ``gravity_panel`` table (e.g. the Advanced
  Guide's ``yotov2016_agtpa``, or ``gegravity_wiod_2000_2014`` with the EIA ``FTA`` dummy);
- ``wiod_services``: a services gravity panel from the WIOD 2013 world input-output tables
  (canonical ``input_output`` table): the sales of the services industries ``c17..c35``
  (utilities, construction and services, ISIC rev.3 E-P) of ``i`` to every user in ``j``,
  domestic sales included (``i = j``),

      X_ij = sum_{k in services of i} ( sum_{l in j} z_kl + sum_{f in final demand of j} y_kf ),

  negative cells (inventory drawdowns) set to 0 after summing; with the agreement dummy of
  the pairs and years of another gravity panel (``agreements_from``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.gravity.ge.scenario import Scenario
from pipeline.gravity.panels import load_gravity_panel
from pipeline.sources.files import DEFAULT_MANIFEST

SERVICES_INDUSTRIES = [f"c{k}" for k in range(17, 36)]
GROSS_OUTPUT = "GO"


def _one_sector(panel: pd.DataFrame, panel_id: str | None, sector: str | None) -> pd.DataFrame:
    """The rows of ``sector``; with none given, the panel's only sector (the model has one)."""
    sectors = sorted(panel["sector"].astype(str).unique()) if "sector" in panel else []
    if sector is None:
        if len(sectors) > 1:
            raise ValueError(f"gravity panel {panel_id!r} has several sectors {sectors}: the GE "
                             "model has one; set data.sector in the scenario (e.g. "
                             f"sector: {sectors[-1]})")
        return panel
    if sector not in sectors:
        raise ValueError(f"gravity panel {panel_id!r} has no sector {sector!r}; its sectors: "
                         f"{sectors} (set data.sector to one of them)")
    return panel[panel["sector"].astype(str) == sector]


def prepare_gravity_panel(panel: pd.DataFrame, panel_id: str | None = None,
                          years: tuple[int, ...] | None = None,
                          sector: str | None = None) -> pd.DataFrame:
    """Canonical ``gravity_panel`` rows -> the counterfactual columns (module docstring)."""
    if panel_id is not None and "panel_id" in panel:
        panel = panel[panel["panel_id"] == panel_id]
    if years:
        panel = panel[panel["year"].isin(years)]
    if panel.empty:
        raise ValueError(f"gravity panel {panel_id!r} has no rows for years {years}")
    panel = _one_sector(panel, panel_id, sector)
    out = pd.DataFrame({
        "exporter": panel["exporter_iso3"].astype(str).to_numpy(),
        "importer": panel["importer_iso3"].astype(str).to_numpy(),
        "year": panel["year"].astype(int).to_numpy(),
        "trade": panel["trade_value_usd"].astype(float).to_numpy() / 1e6,
        "rta": panel["agreement"].astype(float).to_numpy(),
    })
    domestic = out["exporter"] == out["importer"]
    out.loc[domestic, "rta"] = 0.0  # the agreement dummy is about international pairs
    if out["rta"].isna().any():
        lacking = out[out["rta"].isna()]
        sample = (lacking["exporter"] + "->" + lacking["importer"] + " " + lacking["year"].astype(str))
        raise ValueError(f"gravity panel {panel_id!r}: {len(lacking)} international rows lack the "
                         f"agreement dummy (column `agreement`, e.g. {sample.head(5).tolist()}): fix "
                         "the source or its manifest (ITPD-E has none: map the USITC Dynamic "
                         "Gravity Dataset as its `covariates`)")
    international = ~domestic.to_numpy()
    for name, column in (("contiguity", "contiguity"), ("common_language", "common_language"),
                         ("colony", "colony"), ("ln_dist", "distance_km")):
        if column not in panel:
            continue
        values = pd.to_numeric(panel[column], errors="coerce").to_numpy(dtype=float)
        if not np.isnan(values[international]).any():
            out[name] = np.log(values) if name == "ln_dist" else values
    out["sector"] = str(panel["sector"].iloc[0]) if "sector" in panel else "TOTAL"
    return out.reset_index(drop=True)


def countries_without_domestic_flow(panel: pd.DataFrame) -> dict[str, str]:
    """Countries of a prepared panel lacking a positive domestic flow (``exporter = importer``)
    in any of its years, with the reason.

    General equilibrium needs each country's sales to itself (output and expenditure include
    them, and the domestic pairs anchor the trade costs: ``t_ii = 1``). A country without one is
    left out of the model, never given a zero: a missing domestic flow (ITPD-E's ``u`` flag, or
    no row) is missing data, not a country that buys nothing of its own.
    """
    years = sorted(panel["year"].unique())
    countries = sorted(set(panel["exporter"]) | set(panel["importer"]))
    domestic = panel[panel["exporter"] == panel["importer"]]
    positive = set(zip(domestic.loc[domestic["trade"] > 0, "exporter"],
                       domestic.loc[domestic["trade"] > 0, "year"]))
    zero = set(zip(domestic.loc[domestic["trade"] <= 0, "exporter"],
                   domestic.loc[domestic["trade"] <= 0, "year"]))
    out = {}
    for country in countries:
        absent = [y for y in years if (country, y) not in positive | zero]
        zeros = [y for y in years if (country, y) in zero]
        if absent or zeros:
            what = []
            if absent:
                what.append(f"no domestic flow (exporter = importer) in {_years(absent)}")
            if zeros:
                what.append(f"a domestic flow of 0 in {_years(zeros)}")
            out[country] = (" and ".join(what) + ": GE needs each country's sales to itself, "
                            "so it is left out (never given a zero)")
    return out


def _years(years: list) -> str:
    return ", ".join(str(int(y)) for y in years)


def services_gravity_panel(input_output: pd.DataFrame,
                           years: tuple[int, ...] | None = None) -> pd.DataFrame:
    """Services flows ``exporter, importer, year, trade`` (millions of USD) incl. domestic,
    from the long canonical ``input_output`` table (formula in the module docstring)."""
    frame = input_output
    if years:
        frame = frame[frame["year"].isin(years)]
    frame = frame[frame["row_sector"].isin(SERVICES_INDUSTRIES) & (frame["col_sector"] != GROSS_OUTPUT)]
    if frame.empty:
        raise ValueError(f"input_output has no services rows (industries c17..c35) for years "
                         f"{years}: check the WIOD 2013 files in the bulk directory")
    flows = (frame.groupby(["year", "row_iso3", "col_iso3"], observed=True)["value_usd"].sum()
             .clip(lower=0.0) / 1e6)
    # the long table keeps non-zero cells only: complete the grid with zero flows
    regions = sorted(set(frame["row_iso3"]) | set(frame["col_iso3"]))
    grid = pd.MultiIndex.from_product([sorted(frame["year"].unique()), regions, regions],
                                      names=flows.index.names)
    flows = flows.reindex(grid, fill_value=0.0).rename("trade").reset_index()
    return flows.rename(columns={"row_iso3": "exporter", "col_iso3": "importer"}).assign(
        sector="SERVICES")


def attach_agreements(flows: pd.DataFrame, agreements: pd.DataFrame, source: str) -> pd.DataFrame:
    """Add ``rta`` from a prepared gravity panel on ``(exporter, importer, year)``; pairs or
    years it lacks are an error naming a sample."""
    keyed = agreements[["exporter", "importer", "year", "rta"]]
    merged = flows.merge(keyed, on=["exporter", "importer", "year"], how="left")
    missing = merged["rta"].isna()
    if missing.any():
        sample = merged.loc[missing, ["exporter", "importer", "year"]].head(5).to_dict("records")
        raise ValueError(f"{int(missing.sum())} services flows have no agreement dummy in "
                         f"{source} (e.g. {sample}): choose years and countries it covers")
    merged.loc[merged["exporter"] == merged["importer"], "rta"] = 0.0
    return merged


def _read_input_output(bulk_dir: Path | str, years: tuple[int, ...] | None) -> pd.DataFrame:
    from pipeline.sources.files import DEFAULT_MANIFEST, FilesSource
    from pipeline.transform.canonical import finalize_input_output

    source = FilesSource(bulk_dir, DEFAULT_MANIFEST)
    items = [item for item in source.discover("input_output")
             if years is None or any(str(y) in Path(item.provenance.location).name for y in years)]
    if not items:
        raise ValueError(f"no input_output (WIOD 2013) files under {bulk_dir} for years {years}")
    return finalize_input_output([source.read(item) for item in items])


def scenario_panel(scenario: Scenario, bulk_dir: Path | str | None = None,
                   warehouse: Path | str | None = None, gravity_panel: pd.DataFrame | None = None,
                   input_output: pd.DataFrame | None = None,
                   manifest: Path | str | None = None) -> pd.DataFrame:
    """The prepared estimation panel of ``scenario``, from frames already loaded (Dagster
    passes ``core__gravity_panel`` / ``core__input_output``) or from files (read through
    ``manifest``, default the shipped one)."""
    def gravity(panel_id: str, years, sector: str | None = None) -> pd.DataFrame:
        frame = (gravity_panel if gravity_panel is not None
                 else load_gravity_panel(panel_id, bulk_dir=bulk_dir, warehouse=warehouse,
                                         manifest=manifest or DEFAULT_MANIFEST))
        return prepare_gravity_panel(frame, panel_id, years, sector)

    if scenario.source == "gravity_panel":
        return gravity(scenario.panel, scenario.years, scenario.sector)
    if input_output is None:
        if bulk_dir is None:
            raise ValueError(f"scenario {scenario.name}: the services panel is built from the "
                             "WIOD 2013 files: give --bulk-dir (e.g. ../shared/datasets)")
        input_output = _read_input_output(bulk_dir, scenario.years)
    flows = services_gravity_panel(input_output, scenario.years)
    return attach_agreements(flows, gravity(scenario.agreements_from, scenario.years),
                             scenario.agreements_from)
