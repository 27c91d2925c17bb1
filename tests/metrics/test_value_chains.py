"""Value-chain accounting: the Miller & Blair textbook example, identities on real WIOD, and the
TiVA FD_VA absorption (OECD 2021, Guide to OECD's TiVA Indicators, section 6) recomputed here
from the raw WIOD arrays with plain numpy."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.metrics.io_tables import calc_a, calc_l, calc_v, io_table_from_long, leontief_solve
from pipeline.metrics.value_chain_tables import value_chain_tables
from pipeline.metrics.value_chains import absorption_by_group, calc_exports, calc_value_added_flows
from pipeline.reference.groups import load_country_groups, membership_panel
from pipeline.sources.files import FilesSource
from pipeline.transform.canonical import finalize_input_output


def test_miller_blair_two_sector_example():
    """Miller & Blair (2009), Input-Output Analysis, section 2.3: Z, x -> A and L."""
    z = np.array([[150.0, 500.0], [200.0, 100.0]])
    x = np.array([1000.0, 2000.0])
    a = calc_a(z, x)
    np.testing.assert_allclose(a, [[0.15, 0.25], [0.20, 0.05]])
    np.testing.assert_allclose(calc_l(a), [[1.2541, 0.3300], [0.2640, 1.1221]], atol=5e-5)
    np.testing.assert_allclose(calc_v(a), [0.65, 0.70])
    f = np.array([[350.0], [1700.0]])  # final demand x - Z 1
    np.testing.assert_allclose(leontief_solve(a, f).ravel(), x)


@pytest.fixture(scope="module")
def wiod(shared_datasets) -> pd.DataFrame:
    source = FilesSource(shared_datasets)
    items = [i for i in source.discover("input_output")
             if any(y in i.provenance.location for y in ("2003", "2004", "2011"))]
    return finalize_input_output([source.read(i) for i in items])


@pytest.fixture(scope="module")
def table_2011(wiod, shared_datasets):
    table = io_table_from_long(wiod[wiod["year"] == 2011])
    raw = np.load(shared_datasets / "wiod2013_bquast/wiot_2011.npz")
    np.testing.assert_allclose(table.z, raw["inter"] * 1e6)  # pivot undoes the long form
    return table


def test_a_year_read_from_parquet_pivots_to_the_raw_table(wiod, shared_datasets):
    """The Arrow table one warehouse partition yields (what the value-chain asset pivots) gives
    back the raw npz: Z, x, and F summed over each region's 5 final-demand categories."""
    import pyarrow as pa

    table = io_table_from_long(pa.Table.from_pandas(wiod[wiod["year"] == 2004], preserve_index=False))
    raw = np.load(shared_datasets / "wiod2013_bquast/wiot_2004.npz")
    np.testing.assert_allclose(table.z, raw["inter"] * 1e6)
    np.testing.assert_allclose(table.x, raw["output"] * 1e6)
    np.testing.assert_allclose(table.f, raw["final"].reshape(len(table.x), 41, 5).sum(axis=2) * 1e6)


def test_a_table_not_square_in_regions_is_refused_naming_the_region(wiod):
    """A using region that never supplies (an ICIO file cut short of its last rows, say)."""
    year = wiod[wiod["year"] == 2011]
    with pytest.raises(ValueError, match=r"input_output 2011: using regions \['USA'\] never supply"):
        io_table_from_long(year[year["row_iso3"] != "USA"])


def test_dva_plus_fva_is_gross_exports(table_2011):
    """Exact because v L = 1' (v = 1 - 1'A); not a rounding-level approximation."""
    vas, _, exgr = calc_value_added_flows(table_2011)
    np.testing.assert_allclose(vas.sum(axis=0), exgr, rtol=1e-9)


def test_world_value_added_equals_world_final_demand(table_2011):
    """All value added is absorbed by some final demand: sum v L F = 1'F exactly (v L = 1'),
    and world value added (x - Z'1) equals world final demand up to the table's rounding
    (WIOD 2013 cells rounded to USD millions: rows balance to about 0.2%)."""
    _, vad, _ = calc_value_added_flows(table_2011)
    assert vad.sum() == pytest.approx(table_2011.f.sum(), rel=1e-9)
    world_va = (table_2011.x - table_2011.z.sum(axis=0)).sum()
    assert world_va == pytest.approx(table_2011.f.sum(), rel=5e-3)


def test_gross_exports_match_the_raw_table(table_2011, shared_datasets):
    """EXGR of Germany straight from the npz: foreign intermediate + foreign final use."""
    raw = np.load(shared_datasets / "wiod2013_bquast/wiot_2011.npz")
    k = table_2011.regions.index("DEU")
    rows = slice(35 * k, 35 * (k + 1))
    inter = np.delete(raw["inter"][rows], np.s_[35 * k:35 * (k + 1)], axis=1).sum()
    final = np.delete(raw["final"][rows], np.s_[5 * k:5 * (k + 1)], axis=1).sum()
    assert calc_exports(table_2011)[:, k].sum() == pytest.approx((inter + final) * 1e6, rel=1e-12)


@pytest.fixture(scope="module")
def tables(wiod):
    return value_chain_tables(wiod, membership_panel(load_country_groups(), [2003, 2004, 2011]))


def test_country_tables_are_consistent(tables):
    out = tables
    totals, partners, absorbed = out["totals"], out["partners"], out["absorption"]
    # 40 economies a year: WIOD's rest of the world is a partner, not a row of its own
    assert len(totals) == 3 * 40
    by_country = partners.groupby(["iso3", "year"])[["fva_from_partner_usd", "dvx_via_partner_usd"]].sum()
    merged = totals.set_index(["iso3", "year"]).join(by_country)
    np.testing.assert_allclose(merged["fva_from_partner_usd"], merged["fva_usd"], rtol=1e-9)
    np.testing.assert_allclose(merged["dvx_via_partner_usd"], merged["dvx_usd"], rtol=1e-9)
    assert totals["gvc_backward_pct"].between(0, 100).all()
    # small open economies import more of their export content than large ones
    latest = totals[totals["year"] == 2011].set_index("iso3")
    assert latest.loc["LUX", "gvc_backward_pct"] > latest.loc["USA", "gvc_backward_pct"]
    # Poland joined the EU on 1 May 2004: an outsider in 2003, a member in 2004
    pol = absorbed[(absorbed["iso3"] == "POL") & (absorbed["group_id"] == "EU")].set_index("year")
    assert not pol.loc[2003, "is_member"] and pol.loc[2004, "is_member"]
    # groups with no other member in the table (SADC, ECOWAS ... are all inside WIOD's RoW)
    # have no absorption figure at all; every other one is a share
    uncovered = absorbed["members_covered"] - absorbed["is_member"].astype(int) <= 0
    assert absorbed.loc[~uncovered, "va_absorbed_share"].between(0, 1).all()
    assert absorbed.loc[uncovered & (absorbed["members_total"] > absorbed["is_member"].astype(int)),
                        "va_absorbed_share"].isna().all()
    assert absorbed["va_absorbed_domestic_share"].between(0, 1).all()


def test_rest_of_the_world_is_a_partner_not_a_country(tables, table_2011):
    """Project rule: only CountryCodes.is_economy codes are countries. ROW (WIOD's rest of the
    world) has no iso3 row in any table (the old code published it, and it topped the chart of
    suppliers of foreign value added, 878 bn USD in 2011), but stays a partner: the partners'
    sum, ROW included, is still each economy's FVA."""
    for name in ("totals", "industries", "partners", "absorption"):
        assert "ROW" not in set(tables[name]["iso3"]), name
    partners = tables["partners"]
    assert "ROW" in set(partners["partner_iso3"])
    vas, _, _ = calc_value_added_flows(table_2011)
    k, row = table_2011.regions.index("DEU"), table_2011.regions.index("ROW")
    deu_row = partners[(partners.year == 2011) & (partners.iso3 == "DEU") & (partners.partner_iso3 == "ROW")]
    assert deu_row["fva_from_partner_usd"].item() == pytest.approx(vas[row, k], rel=1e-12)


def test_absorption_by_group_leaves_a_members_own_demand_out_by_hand():
    """Hand-built VAD (source x final user, USD): group {A, B}. A member's group absorption is
    what the other member absorbs (A: 20 of 100), a non-member's what both absorb (C: 5 + 7)."""
    vad = pd.DataFrame([[70.0, 20.0, 10.0], [30.0, 50.0, 20.0], [5.0, 7.0, 88.0]],
                       index=["A", "B", "C"], columns=["A", "B", "C"])
    members = pd.DataFrame({"group_id": "G", "iso3": ["A", "B"], "year": 2000})
    out = absorption_by_group(vad, 2000, members).set_index("iso3")
    np.testing.assert_allclose(out["va_absorbed_usd"], [20.0, 30.0, 12.0])
    np.testing.assert_allclose(out["va_absorbed_share"], [0.20, 0.30, 0.12])
    np.testing.assert_allclose(out["va_absorbed_domestic_usd"], [70.0, 50.0, 88.0])
    np.testing.assert_allclose(out["va_absorbed_domestic_share"], [0.70, 0.50, 0.88])
    assert out["is_member"].tolist() == [True, True, False]
    assert (out["members_covered"] == 2).all() and (out["members_total"] == 2).all()


def test_a_group_the_table_does_not_cover_is_null_not_zero_by_hand():
    """Hand-built VAD as above. Group H = {X, Y}: no member in the table, so nobody's value
    added absorbed by H is known (the old code wrote 0). Group K = {A, X}: A's only fellow
    member X is folded into the rest of the world: null for A; B and C see A's demand. Group
    S = {C}: C has no other member, so its group absorption is an exact 0."""
    vad = pd.DataFrame([[70.0, 20.0, 10.0], [30.0, 50.0, 20.0], [5.0, 7.0, 88.0]],
                       index=["A", "B", "C"], columns=["A", "B", "C"])
    members = pd.DataFrame({"group_id": ["H", "H", "K", "K", "S"], "iso3": ["X", "Y", "A", "X", "C"],
                            "year": 2000})
    out = absorption_by_group(vad, 2000, members).set_index(["group_id", "iso3"])
    assert out.loc["H", ["va_absorbed_usd", "va_absorbed_share"]].isna().all().all()
    assert (out.loc["H", "members_covered"] == 0).all() and (out.loc["H", "members_total"] == 2).all()
    k = out.loc["K"]
    assert np.isnan(k.loc["A", "va_absorbed_usd"]) and np.isnan(k.loc["A", "va_absorbed_share"])
    np.testing.assert_allclose(k.loc[["B", "C"], "va_absorbed_usd"], [30.0, 5.0])
    assert (k["members_covered"] == 1).all() and (k["members_total"] == 2).all()
    assert out.loc[("S", "C"), "va_absorbed_usd"] == 0.0
    np.testing.assert_allclose(out.loc[("S", "A"), "va_absorbed_share"], 0.10)


def test_members_folded_into_the_rest_of_the_world_are_counted_as_not_covered(tables):
    """WIOD 2013 has 40 economies; the rest sit in ROW. OECD members missing from it, from the
    accession dates (OECD, list of members): CHE, ISL, NOR, NZL throughout, and CHL, ISR (both
    2010) in 2011; BRICS 2011 lacks ZAF (joined 2011). members_covered makes the gap visible."""
    absorbed = tables["absorption"].drop_duplicates(["year", "group_id"]).set_index(["year", "group_id"])
    assert absorbed.loc[(2003, "OECD"), ["members_total", "members_covered"]].tolist() == [30, 26]
    assert absorbed.loc[(2011, "OECD"), ["members_total", "members_covered"]].tolist() == [34, 28]
    assert absorbed.loc[(2011, "BRICS"), ["members_total", "members_covered"]].tolist() == [5, 4]
    assert absorbed.loc[(2011, "G7"), ["members_total", "members_covered"]].tolist() == [7, 7]


# The EU's members from the accession treaties: EU-15 (1995) and the ten of 1 May 2004, written
# out here rather than read from the project's groups file, so the check is independent of it.
EU15 = "AUT BEL DEU DNK ESP FIN FRA GBR GRC IRL ITA LUX NLD PRT SWE".split()
EU25 = EU15 + "CYP CZE EST HUN LTU LVA MLT POL SVK SVN".split()


def _fd_va_from_raw(shared_datasets, year: int) -> tuple[list[str], np.ndarray]:
    """TiVA FD_VA by origin, ``VAD[s, d] = sum_{i in s} v_i (L F)_{i,d}`` in USD million, straight
    from the raw WIOD npz: A = Z / x (columns), v = 1 - 1'A, L F by a dense solve, final demand
    summed over d's 5 categories. Written from the definition, not from the pipeline."""
    root = shared_datasets / "wiod2013_bquast"
    regions = (root / "countries.txt").read_text().split()
    raw = np.load(root / f"wiot_{year}.npz")
    z, f, x = (raw[k].astype(float) for k in ("inter", "final", "output"))
    a = np.divide(z, x, out=np.zeros_like(z), where=x > 0)
    v = 1.0 - a.sum(axis=0)
    final_by_user = f.reshape(len(x), len(regions), 5).sum(axis=2)
    lf = np.linalg.solve(np.eye(len(x)) - a, final_by_user)
    vad = (v[:, None] * lf).reshape(len(regions), 35, len(regions)).sum(axis=1)
    return regions, vad


def test_poland_eu_absorption_is_the_other_members_fd_va_and_has_no_accession_jump(tables, shared_datasets):
    """Poland's value added absorbed by the final demand of the EU's other members, 2003 (EU-15)
    and 2004 (EU-25 less Poland). The old code counted Poland's own demand in 2004 (0.913, of
    which 0.738 domestic): the share must move smoothly, 0.155 -> 0.174."""
    absorbed = tables["absorption"]
    pol = absorbed[(absorbed["iso3"] == "POL") & (absorbed["group_id"] == "EU")].set_index("year")
    for year, eu in ((2003, EU15), (2004, EU25)):
        regions, vad = _fd_va_from_raw(shared_datasets, year)
        p = regions.index("POL")
        others = [regions.index(c) for c in eu if c != "POL"]
        va = vad[p].sum()
        assert pol.loc[year, "va_absorbed_usd"] == pytest.approx(vad[p, others].sum() * 1e6, rel=1e-9)
        assert pol.loc[year, "va_absorbed_share"] == pytest.approx(vad[p, others].sum() / va, rel=1e-9)
        assert pol.loc[year, "va_absorbed_domestic_share"] == pytest.approx(vad[p, p] / va, rel=1e-9)
    assert pol.loc[2003, "va_absorbed_share"] == pytest.approx(0.155, abs=5e-4)
    assert pol.loc[2004, "va_absorbed_share"] == pytest.approx(0.174, abs=5e-4)
    assert pol.loc[2004, "va_absorbed_domestic_share"] == pytest.approx(0.738, abs=5e-4)
    # Germany, a member in both years: the EU-25 adds the ten newcomers' demand, a small step
    deu = absorbed[(absorbed["iso3"] == "DEU") & (absorbed["group_id"] == "EU")].set_index("year")
    assert 0 < deu.loc[2004, "va_absorbed_share"] - deu.loc[2003, "va_absorbed_share"] < 0.03


def test_industry_detail_adds_up_to_country_totals(wiod):
    out = value_chain_tables(wiod)
    industries, totals = out["industries"], out["totals"].set_index(["iso3", "year"])
    assert len(industries) == 3 * 40 * 35
    summed = industries.groupby(["iso3", "year"])[["exgr_usd", "dva_usd", "fva_usd", "dvx_usd"]].sum()
    for column in summed.columns:
        np.testing.assert_allclose(summed[column], totals.loc[summed.index, column], rtol=1e-9)
    np.testing.assert_allclose(industries["dva_usd"] + industries["fva_usd"], industries["exgr_usd"],
                               rtol=1e-9, atol=1.0)
    # upstream: Australian mining (c2) feeds other countries' exports more than it imports
    # inputs; downstream: Chinese electrical equipment (c14) the other way round (both in USD)
    aus = industries[(industries["iso3"] == "AUS") & (industries["year"] == 2011)].set_index("sector")
    assert aus.loc["c2", "dvx_usd"] > 2 * aus.loc["c2", "fva_usd"]
    chn = industries[(industries["iso3"] == "CHN") & (industries["year"] == 2011)].set_index("sector")
    assert chn.loc["c14", "fva_usd"] > chn.loc["c14", "dvx_usd"]


def test_industry_forward_share_is_tiva_exgr_dvafxsh_over_the_countrys_gross_exports(wiod, shared_datasets):
    """OECD 2021, Guide to OECD's TiVA Indicators, 5.12: EXGR_DVAFXSH by industry divides the
    industry's value added in foreign exports by the COUNTRY's total gross exports, so an
    economy's industry shares add up to its country share. The old code divided by the
    industry's own exports (264 of 1,330 industries above 100%, TWN c17 2011 at 91,020%)."""
    out = value_chain_tables(wiod)
    industries, totals = out["industries"], out["totals"].set_index(["iso3", "year"])
    summed = industries.groupby(["iso3", "year"])["gvc_forward_pct"].sum()
    np.testing.assert_allclose(summed, totals.loc[summed.index, "gvc_forward_pct"], rtol=1e-9)
    assert industries["gvc_forward_pct"].max() < 100
    # TWN's gross exports hand-summed from the raw npz: foreign intermediate + foreign final use
    raw = np.load(shared_datasets / "wiod2013_bquast/wiot_2011.npz")
    k = (shared_datasets / "wiod2013_bquast/countries.txt").read_text().split().index("TWN")
    rows = slice(35 * k, 35 * (k + 1))
    exgr = (np.delete(raw["inter"][rows], np.s_[35 * k:35 * (k + 1)], axis=1).sum()
            + np.delete(raw["final"][rows], np.s_[5 * k:5 * (k + 1)], axis=1).sum()) * 1e6
    twn = industries[(industries.iso3 == "TWN") & (industries.year == 2011)].set_index("sector")
    assert twn.loc["c17", "gvc_forward_pct"] == pytest.approx(100 * twn.loc["c17", "dvx_usd"] / exgr, rel=1e-9)
    assert twn.loc["c17", "gvc_forward_pct"] < 5
