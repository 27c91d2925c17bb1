"""One economy, one row a year (issue 12 part 2): a composite or dissolved reporting code
(``composites:`` of country_groups.yaml: BLX = Belgium + Luxembourg, ANT = Netherlands Antilles,
dissolved 2010-10-10 into Curacao, Sint Maarten and the BES islands) is never published beside
its constituents after the dates it stands for them. The Atlas still reports ANT as an exporter
in 2011 and 2018, years in which it also reports Curacao and Sint Maarten: the product tables
must not show both. In 2010 ANT is the real reporter (until October: 1.63 bn USD of exports)
beside Curacao's first mirror row (1.7 M USD of imports): both stay."""
from __future__ import annotations

import pandas as pd

from pipeline.reference.composites import without_covered_composites

ATLAS = "atlas_bilateral_sections_2010_2020/atlas_bilateral_sections_2010_2020.csv.gz"


def test_a_composite_goes_where_a_constituent_has_a_row_and_stays_alone():
    # Hand-built: BLX beside BEL in 1980 goes; BLX alone in 1990 stays; BEL stays.
    frame = pd.DataFrame({"iso3": ["BLX", "BEL", "BLX", "FRA"], "year": [1980, 1980, 1990, 1990], "v": [1, 2, 3, 4]})
    out = without_covered_composites(frame)
    assert out[["iso3", "year"]].values.tolist() == [["BEL", 1980], ["BLX", 1990], ["FRA", 1990]]
    # Dated composites: ANT beside Curacao stays in 2010 (dissolved 2010-10-10), goes in 2011.
    dated = pd.DataFrame({"iso3": ["ANT", "CUW", "ANT", "CUW"], "year": [2010, 2010, 2011, 2011]})
    assert without_covered_composites(dated).values.tolist() == [["ANT", 2010], ["CUW", 2010], ["CUW", 2011]]
    # Per classification: a constituent in another classification does not count.
    frame["product_classification"] = ["A", "B", "A", "A"]
    out = without_covered_composites(frame, by=("year", "product_classification"))
    assert "BLX" in set(out["iso3"]) and len(out) == 4


def test_netherlands_antilles_not_beside_curacao_in_the_product_tables(shared_datasets, product_table,
                                                                      product_bilateral):
    raw = pd.read_csv(shared_datasets / ATLAS, usecols=["year", "exporter"])
    exporters = raw.groupby("year")["exporter"].agg(set)
    both = [y for y, codes in exporters.items() if "ANT" in codes and {"CUW", "SXM"} & codes]
    assert {2011, 2018} <= set(both)   # the raw file reports both: the test can fail
    from pipeline.metrics.dependency import rca_table
    sectors = product_table[product_table["product_classification"] == "ATLAS_SECTION"]
    assert not ((sectors["iso3"] == "ANT") & sectors["year"].isin(both)).any()
    assert {"CUW", "SXM"} <= set(sectors.loc[sectors["year"] == 2018, "iso3"])
    assert ((sectors["iso3"] == "ANT") & (sectors["year"] == 2010)).any()   # before its dissolution
    rca = rca_table(product_bilateral)
    assert not ((rca["iso3"] == "ANT") & rca["year"].isin(both)).any()
    assert (rca["iso3"] == "CUW").any()


def test_netherlands_antilles_2010_keeps_its_goods_totals(totals_bilateral):
    """The declared goods totals of 2010 hold ANT (Atlas, 1.63 bn USD of exports until its
    dissolution), not only Curacao's 1.7 M USD mirror row; from 2011 on, only the successors."""
    from pipeline.metrics.goods_sources import selected_flows

    flows = selected_flows(totals_bilateral)
    exports = flows[flows["direction"] == "exports"].groupby(["iso3", "year"])["value_usd"].sum()
    assert exports[("ANT", 2010)] > 1.5e9
    assert ("ANT", 2011) not in exports.index and ("ANT", 2018) not in exports.index
    assert exports[("CUW", 2011)] > 1e9
