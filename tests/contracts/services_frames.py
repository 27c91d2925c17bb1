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
