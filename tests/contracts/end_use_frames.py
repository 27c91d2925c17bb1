"""Good frame for the end-use contract: real 2019 Atlas rows through the pipeline."""
from __future__ import annotations

import pandas as pd

from pipeline.metrics.end_use import end_use_trade
from pipeline.metrics.end_use_classes import BEC_SNA_FILE, HS_BEC_FILE
from pipeline.reference.groups import load_country_groups, membership_panel
from pipeline.sources.country_product_exports import read_country_product_exports
from pipeline.sources.files import FilesSource


def end_use_good_frames(datasets, products_2019: pd.DataFrame) -> dict[str, pd.DataFrame]:
    membership = membership_panel(load_country_groups(), [2019])
    frame = end_use_trade(products_2019, membership, datasets / HS_BEC_FILE, datasets / BEC_SNA_FILE,
                          read_country_product_exports(FilesSource(datasets)))
    return {"end_use_trade": frame.head(200).reset_index(drop=True)}
