"""Good frames for the services contracts: WIOD 1995, computed by the pipeline."""
from __future__ import annotations

import pandas as pd

from pipeline.metrics.services import (combine_flows, services_exposure, services_flows_from_io,
                                       services_group_exposure)
from pipeline.reference.groups import load_country_groups, membership_panel
from pipeline.sources.files import FilesSource
from pipeline.transform import canonical


def services_good_frames(source: FilesSource) -> dict[str, pd.DataFrame]:
    first = source.discover("input_output")[:1]
    io = canonical.finalize_input_output([source.read(i) for i in first])
    membership = membership_panel(load_country_groups(), sorted(io["year"].unique()))
    flows = combine_flows(services_flows_from_io(io), None)
    frames = {"services_exposure": services_exposure(flows),
              "services_group_exposure": services_group_exposure(flows, membership)}
    return {k: v.head(200).reset_index(drop=True) for k, v in frames.items()}


def batis_canonical(datasets) -> pd.DataFrame:
    """The canonical ``services_trade`` rows of the BaTIS-shaped test answer (real 2016 services
    exports by EBOPS category, UN Comtrade; see tests/oecd_server.py), as the pipeline finalizes them."""
    from tests.oecd_server import batis_rows

    rows = batis_rows(datasets)
    frame = pd.DataFrame({"reporter_iso3": rows["REF_AREA"], "partner_iso3": "WLD",
                          "year": rows["TIME_PERIOD"].astype(int), "ebops2010_code": rows["SERVICE"],
                          "flow": "export", "value_usd": rows["OBS_VALUE"] * 1e6})
    return canonical.finalize_services_trade([frame])


def oecd_good_frames(datasets, value_chain_totals: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """``services_trade`` from the real BaTIS-shaped rows; ``value_added_trade`` as TiVA's
    EXGR_FVA share computed from WIOD (the values the test OECD server answers with)."""
    totals = value_chain_totals
    tiva = pd.DataFrame({"iso3": totals["iso3"], "partner_iso3": "WLD", "year": totals["year"].astype(int),
                         "indicator_code": "EXGR_FVA", "unit": "pct", "value": totals["gvc_backward_pct"]})
    return {"services_trade": batis_canonical(datasets).head(200),
            "value_added_trade": canonical.finalize_value_added_trade([tiva]).head(200)}


def stri_good_frames(source: FilesSource) -> dict[str, pd.DataFrame]:
    """``services_restrictiveness`` from the two real STRI files (Digital STRI and intra-EEA rows),
    and ``services_restrictiveness_profile`` computed on them (economy and group rows)."""
    from pipeline.metrics.restrictiveness import restrictiveness_profile

    stri = canonical.finalize_services_restrictiveness([source.read(i) for i in source.discover("services_restrictiveness")])
    stri = stri.astype({"value": float, "year": int})
    profile = restrictiveness_profile(stri, membership_panel(load_country_groups(), sorted(stri["year"].unique())))
    mixed = pd.concat([stri[stri["index_id"] == "digital"].head(100), stri[stri["index_id"] == "intra_eea"].head(100)])
    both = pd.concat([profile[profile["unit_type"] == "economy"].head(150), profile[profile["unit_type"] == "group"].head(50)])
    return {"services_restrictiveness": mixed.reset_index(drop=True),
            "services_restrictiveness_profile": both.reset_index(drop=True)}
