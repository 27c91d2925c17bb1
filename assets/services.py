"""Services trade in TiSA-style sectors from the input-output table and BaTIS.

``out__services_exposure`` reads WIOD (``core__input_output``, bulk files) and BaTIS
(``core__services_trade``, OECD API) as optional inputs: either may be missing when the settings
cannot feed it (no TRADE_BULK_DIR; bulk mode), and BaTIS replaces WIOD in the years it covers.
The group exposure needs bilateral flows, so it uses WIOD only. The OECD STRI
(``core__services_restrictiveness``, optional too) gives each TiSA-style sector its restrictiveness
where an index covers the country and year.
"""
from __future__ import annotations

import dagster as dg
import pandas as pd

from assets.contract_gate import gate, output_metadata, published_asset
from assets.io_manager import OPTIONAL_INPUT
from assets.plots import bar_chart_md
from pipeline.metrics.restrictiveness import stri_by_services_sector
from pipeline.metrics.services import (combine_flows, services_exposure, services_flows_from_io,
                                       services_group_exposure)
from pipeline.reference.groups import membership_panel

SOURCE = "core__input_output (services industries c18..c35), services_sectors.yaml"
BATIS_SOURCE = "core__services_trade (OECD-WTO BaTIS, EBOPS 2010 SA..SL), services_sectors.yaml"
STRI_SOURCE = "core__services_restrictiveness (OECD STRI by sector, services_sectors.yaml stri:)"


@published_asset("services_exposure", "out",
                 ins={"core__input_output": dg.AssetIn(metadata=OPTIONAL_INPUT),
                      "core__services_trade": dg.AssetIn(metadata=OPTIONAL_INPUT),
                      "core__services_restrictiveness": dg.AssetIn(metadata=OPTIONAL_INPUT)})
def out__services_exposure(core__input_output: pd.DataFrame | None, core__services_trade: pd.DataFrame | None,
                           core__services_restrictiveness: pd.DataFrame | None):
    """Per country, year and TiSA-style sector: services exports and imports (USD), balance =
    exports - imports, and Balassa RCA within services = (X_ck/X_c)/(X_wk/X_w). From BaTIS
    (EBOPS 2010 by BoP transaction) in the years it covers, else from WIOD (sales of the sector's
    industries to foreign users); the `source` column says which. `stri`: the OECD STRI of the
    sector (mean composite of its STRI sectors; the MFN sectoral index, else the intra-EEA one,
    named in `stri_index`) where an index covers the country and year."""
    flows = None if core__input_output is None else combine_flows(services_flows_from_io(core__input_output), None)
    used = [s for s, t in ((SOURCE, core__input_output), (BATIS_SOURCE, core__services_trade),
                           (STRI_SOURCE, core__services_restrictiveness)) if t is not None]
    stri = None if core__services_restrictiveness is None else stri_by_services_sector(core__services_restrictiveness)
    try:
        table = services_exposure(flows, stri=stri, batis=core__services_trade)
    except ValueError as exc:
        raise dg.Failure(description=f"{exc}: set TRADE_BULK_DIR for WIOD, or run live for BaTIS") from None
    frame = yield from gate("out__services_exposure", table, "services_exposure", "; ".join(used))
    year = int(frame["year"].max())
    latest = frame[(frame["year"] == year) & (frame["sector_id"] == "financial_insurance")
                   & (frame["exports_usd"] > 1e9)]
    meta = output_metadata(frame, "; ".join(used))
    meta["plot"] = bar_chart_md(latest.nlargest(15, "rca"), "iso3", "rca",
                                f"Revealed comparative advantage in financial and insurance "
                                f"services, {year} (exports > $1bn)")
    yield dg.Output(frame, metadata=meta)


@published_asset("services_group_exposure", "out")
def out__services_group_exposure(core__input_output: pd.DataFrame,
                                 core__country_groups: pd.DataFrame):
    """Share of each country's services exports (imports) in each sector sold to (bought from)
    the members of each group, membership taken in that year; 0..1, null where the country's
    total of the sector is missing or 0."""
    flows = combine_flows(services_flows_from_io(core__input_output), None)
    years = sorted(flows["year"].astype(int).unique())
    frame = services_group_exposure(flows, membership_panel(core__country_groups, years))
    frame = yield from gate("out__services_group_exposure", frame, "services_group_exposure",
                            f"{SOURCE}, core__country_groups")
    year = int(frame["year"].max())
    latest = frame[(frame["year"] == year) & (frame["group_id"] == "EU")
                   & (frame["sector_id"] == "transport") & ~frame["is_member"]]
    meta = output_metadata(frame, f"{SOURCE}, core__country_groups")
    meta["plot"] = bar_chart_md(latest.nlargest(15, "export_share"), "iso3", "export_share",
                                f"Non-members' transport services exports sold to the EU, {year}")
    yield dg.Output(frame, metadata=meta)


SERVICES_ASSETS = [out__services_exposure, out__services_group_exposure]
