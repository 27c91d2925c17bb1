"""Small good frames for every contract, cut from the real shared datasets."""
from __future__ import annotations

import pandas as pd
import pytest

from pipeline.gravity.specs import estimate_specs, prepare_panel
from pipeline.metrics.commodity import FLAG_FILE, load_sitc_map
from pipeline.metrics.dependency import product_concentration_table, rca_table, strategic_table
from pipeline.metrics.scorecard import country_scorecard
from pipeline.metrics.strategic import load_strategic_config
from pipeline.metrics.trade_profile import country_group_exposure, country_trade_profile
from pipeline.metrics.value_chain_tables import value_chain_tables
from pipeline.reference.groups import load_country_groups, membership_panel
from pipeline.sources.files import FilesSource
from pipeline.transform import canonical
from tests.contracts.agreement_impacts_frames import agreement_impacts_good_frames
from tests.contracts.end_use_frames import end_use_good_frames
from tests.contracts.services_frames import oecd_good_frames, services_good_frames, stri_good_frames


@pytest.fixture(scope="session")
def good_frames(shared_datasets) -> dict[str, pd.DataFrame]:
    source = FilesSource(shared_datasets)

    def read(table, finalize, n=400, pick=None):
        items = source.discover(table)
        items = [i for i in items if pick is None or i.provenance.dataset_id == pick][:1]
        return finalize([source.read(items[0])]).head(n).reset_index(drop=True)

    bilateral_all = canonical.finalize_bilateral_goods_trade(
        [source.read(i) for table in ("bilateral_goods_trade", "bilateral_product_trade")
         for i in source.discover(table)]
    )
    bilateral = bilateral_all[bilateral_all["year"] == 2016].reset_index(drop=True)
    macro = read("macro_indicators", canonical.finalize_macro_indicators, n=None)
    yotov = read("gravity_panel", canonical.finalize_gravity_panel, n=None, pick="yotov2016_agtpa")
    estimates = estimate_specs(prepare_panel(yotov, years=[1994, 1998, 2002]),
                               ["traditional_ppml", "intranational", "lead_test"]).assign(panel_id="yotov2016_agtpa")
    io_2011 = read("input_output", canonical.finalize_input_output, n=None)
    groups = load_country_groups()
    chains = value_chain_tables(io_2011, membership_panel(groups, io_2011["year"].unique()))
    membership = membership_panel(groups, [2016])
    profile = country_trade_profile(bilateral, macro)
    exposure = country_group_exposure(bilateral, membership)
    products = bilateral_all[bilateral_all["year"] == 2019].reset_index(drop=True)
    concentration = product_concentration_table(products, load_sitc_map(shared_datasets / FLAG_FILE), macro)
    evaluated = strategic_table(products, membership_panel(groups, [2019]), load_strategic_config())
    scorecard = country_scorecard(profile, exposure, concentration, evaluated, macro)
    return {
        "export_product_concentration": concentration.head(200),
        "revealed_comparative_advantage": rca_table(products).head(200),
        # Flagged and unflagged rows, economies and the EU as one unit (group rows have no iso3).
        "strategic_dependencies": pd.concat([evaluated.head(150), evaluated[evaluated["unit_type"] == "group"]],
                                            ignore_index=True),
        "country_scorecard": scorecard[scorecard["year"] == 2016].head(200).reset_index(drop=True),
        "bilateral_goods_trade": bilateral[bilateral["source"] == "penppml_comtrade_dta"].head(400).reset_index(drop=True),
        "bilateral_product_trade": bilateral[bilateral["source"] != "penppml_comtrade_dta"].head(400).reset_index(drop=True),
        "macro_indicators": macro.head(400),
        "gravity_panel": yotov.head(400),
        "gravity_estimates": estimates,
        "value_chain_exposure": chains["totals"],
        "value_chain_partner_exposure": chains["partners"].head(200),
        "value_chain_industry_exposure": chains["industries"].head(200),
        "value_added_absorption": chains["absorption"].head(200),
        "input_output": read("input_output", canonical.finalize_input_output),
        "country_groups": groups.assign(
            start_date=groups["start_date"].dt.date, end_date=groups["end_date"].dt.date
        ),
        "country_trade_profile": profile.head(200),
        "country_group_exposure": exposure.head(200),
        **services_good_frames(source),
        **stri_good_frames(source),
        **oecd_good_frames(shared_datasets, chains["totals"]),
        **agreement_impacts_good_frames(shared_datasets),
        **end_use_good_frames(shared_datasets, products),
    }
