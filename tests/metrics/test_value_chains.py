"""TiVA indicators on the real WIOD 2013 tables: accounting identities and group membership."""
from __future__ import annotations

import numpy as np
import pytest

from pipeline.metrics.io_tables import mrio_from_long
from pipeline.metrics.leontief import calc_A, calc_L, calc_v
from pipeline.metrics.value_chain_tables import value_chain_tables
from pipeline.metrics.value_chains import calc_exports, calc_value_chains
from pipeline.reference.groups import load_country_groups, membership_panel
from tests.metrics.wiod_years import wiod_long


@pytest.fixture(scope="module")
def wiod_2003_2004(shared_datasets):
    return wiod_long(shared_datasets, (2003, 2004))


@pytest.fixture(scope="module")
def year_2004(wiod_2003_2004):
    mrio = mrio_from_long(wiod_2003_2004, 2004)
    return mrio, calc_value_chains(mrio)


def test_dva_plus_fva_equals_gross_exports(year_2004):
    # FVA is summed from the foreign rows of diag(v) L diag(e), not taken as EXGR - DVA, so the
    # identity checks v L = 1'. With v = 1 - 1'A it is exact algebra whatever the rounding of
    # the table, so only floating point remains: 1e-9 of each industry's exports (+1 USD).
    mrio, vc = year_2004
    np.testing.assert_allclose(vc.dva + vc.fva, vc.exgr, rtol=1e-9, atol=1.0)
    assert vc.exgr.sum() == pytest.approx(9.94e12, rel=0.01)  # world gross exports 2004, USD


def test_world_value_added_equals_world_final_demand_up_to_rounding(year_2004):
    # sum(VA) - sum(FD) = sum(x - Z1 - Y1): the rows of WIOD 2013 (rounded to millions USD by
    # the R package) do not balance exactly; the world gap must equal that row imbalance and
    # stay under 0.5% of world final demand (it is about 0.14% in 2004).
    mrio, vc = year_2004
    gap = vc.value_added.sum() - vc.final_demand.sum()
    assert gap == pytest.approx(mrio.row_imbalance().sum(), rel=1e-9)
    assert abs(gap) < 0.005 * vc.final_demand.sum()


def test_lu_path_matches_explicit_leontief_inverse(year_2004):
    mrio, vc = year_2004
    A = calc_A(mrio.Z, mrio.x)
    VS = calc_v(A)[:, None] * calc_L(A) * calc_exports(mrio)[None, :]
    region = mrio.region_of_row
    same = region[:, None] == region[None, :]
    np.testing.assert_allclose(vc.dva, (VS * same).sum(axis=0), rtol=1e-8, atol=1.0)
    np.testing.assert_allclose(vc.dvx, (VS * ~same).sum(axis=1), rtol=1e-8, atol=1.0)


def test_fva_by_source_is_dvx_by_exporter_from_an_independent_solve(year_2004):
    # Two different solves (L' V and L E) must tell the same bilateral story.
    _, vc = year_2004
    dvx = vc.dvx_by_exporter.copy()
    np.fill_diagonal(dvx, 0.0)
    np.testing.assert_allclose(vc.fva_by_source, dvx, rtol=1e-8, atol=10.0)
    assert vc.fva.sum() == pytest.approx(vc.dvx.sum(), rel=1e-9)
    # Each region's final demand decomposes fully into value added of some origin (v L = 1').
    np.testing.assert_allclose(vc.va_absorbed.sum(axis=0), vc.final_demand, rtol=1e-9)


@pytest.fixture(scope="module")
def tables(wiod_2003_2004):
    years = [2003, 2004]
    membership = membership_panel(load_country_groups(), years)
    return value_chain_tables(wiod_2003_2004, membership)


def test_country_shares_in_range(tables):
    country = tables["country"]
    assert len(country) == 2 * 41 and not country.isna().any().any()
    for col in ("gvc_backward_pct", "gvc_forward_pct"):
        assert country[col].between(0, 100).all(), country.loc[~country[col].between(0, 100)]
    deu = country[(country.iso3 == "DEU") & (country.year == 2004)].iloc[0]
    # OECD TiVA puts Germany's foreign content of exports near a fifth in the mid-2000s.
    assert 15 < deu.gvc_backward_pct < 30
    partner = tables["partner"]
    sums = partner.groupby(["iso3", "year"])[["fva_partner_share", "dvx_partner_share"]].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0, rtol=1e-9)


def test_eu_enlargement_of_2004_shows_in_that_year(tables):
    group = tables["group"]
    eu = group[group.group_id == "EU"].set_index(["iso3", "year"])
    assert not eu.loc[("POL", 2003), "is_member"] and eu.loc[("POL", 2004), "is_member"]
    assert eu.loc[("DEU", 2003), "is_member"]
    # Poland's value added absorbed by EU final demand jumps when Poland itself joins (its
    # own final demand then counts as the EU's).
    assert eu.loc[("POL", 2004), "va_absorbed_share"] > eu.loc[("POL", 2003), "va_absorbed_share"] + 0.5
    for col in ("va_absorbed_share", "fva_group_share", "dvx_group_share"):
        assert group[col].between(0, 1 + 1e-9).all(), col
