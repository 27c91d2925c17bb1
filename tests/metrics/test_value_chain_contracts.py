"""The value-chain tables pass their contracts on real WIOD years, and a broken frame fails."""
from __future__ import annotations

import pytest

from pipeline.contracts import check_frame, load_contract
from pipeline.metrics.value_chain_tables import value_chain_tables
from pipeline.reference.groups import load_country_groups, membership_panel
from tests.metrics.wiod_years import wiod_long

TABLES = {"country": "value_chain_exposure", "industry": "value_chain_industry_exposure",
          "partner": "value_chain_partner_exposure", "group": "value_added_absorption_by_group"}


@pytest.fixture(scope="module")
def tables(shared_datasets):
    years = (1995, 2011)
    return value_chain_tables(wiod_long(shared_datasets, years),
                              membership_panel(load_country_groups(), years))


@pytest.mark.parametrize("key", sorted(TABLES))
def test_tables_pass_their_contracts(tables, key):
    _, report = check_frame(tables[key], load_contract(TABLES[key]), "WIOD 1995, 2011")
    assert report.passed, report.message()


def test_contract_rejects_a_backward_share_above_100(tables):
    bad = tables["country"].copy()
    bad.loc[0, "gvc_backward_pct"] = 140.0
    _, report = check_frame(bad, load_contract("value_chain_exposure"), "edited")
    assert not report.passed
    assert any(f.column == "gvc_backward_pct" for f in report.findings)
