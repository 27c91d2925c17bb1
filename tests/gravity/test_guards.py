"""Guards against specification errors and bad input, on the real Yotov et al. (2016) panel.

What ppmlhdfe (Correia, Guimaraes & Zylkin 2020, "Fast Poisson estimation with
high-dimensional fixed effects", section on collinearity) and pyfixest do: a regressor
collinear with the fixed effects or the other regressors is dropped and named; bad input is
refused with the column, option or code and the fix. Each test here failed on the code before
issue 13 (it reported -6.0e12 for an absorbed GDP, merged missing clusters into one, raised
OverflowError, ran a misspelled option, accepted USX, dropped a lag from a total).
"""
from __future__ import annotations

import numpy as np
import pytest

from pipeline.gravity import fit_ols, fit_ppml
from pipeline.gravity.__main__ import main as gravity_main
from pipeline.gravity.ge.scenario import ScenarioError, parse_scenario
from pipeline.gravity.panels import load_gravity_panel
from pipeline.gravity.specs import estimate_specs, prepare_panel
from tests.gravity.book_chapter1 import BOOK_TABLE

EXP_YEAR, IMP_YEAR = ("exporter_iso3", "year"), ("importer_iso3", "year")
THREE_WAY = [EXP_YEAR, IMP_YEAR, "pair"]


@pytest.fixture(scope="module")
def panel(shared_datasets):
    raw = load_gravity_panel("yotov2016_agtpa", bulk_dir=shared_datasets)
    frame = prepare_panel(raw, years=[1986, 1990, 1994, 1998, 2002, 2006])
    # the exporter's GDP proxy of the book's application 1: its total shipments in the year
    frame["ln_y"] = np.log(frame.groupby(["exporter_iso3", "year"])["trade"].transform("sum"))
    return frame


def test_exporter_gdp_beside_exporter_year_effects_is_dropped_and_named(panel):
    res = fit_ppml(panel, "trade", ["ln_y", "rta"], THREE_WAY, cluster="pair")
    assert res.omitted == ["ln_y"]
    assert res.omitted_reasons == {"ln_y": "collinear with the fixed effects"}
    # what is left is the book's pair-effects column (0.557, 0.102)
    assert abs(res.params["rta"] - 0.557) <= 0.0005 and abs(res.std_errors["rta"] - 0.102) <= 0.0005


def test_distance_beside_pair_effects_is_dropped(panel):
    res = fit_ppml(panel, "trade", ["rta", "ln_dist"], THREE_WAY, cluster="pair")
    assert res.omitted_reasons == {"ln_dist": "collinear with the fixed effects"}
    assert list(res.params.index) == ["rta"]


def test_a_regressor_with_a_large_level_is_estimated_not_dropped(panel):
    """ln_dist + 1e5: the exporter-year effects absorb the shift, so every estimate and error
    is the book's (chapter 1, application 3, PPML and OLS columns; pyfixest: ln_dist -0.8216
    PPML, -1.2159 OLS). The screen once compared the within norm with the uncentred one and
    dropped the column (PPML rta 0.741 instead of 0.191). Hand-built shift of real rows."""
    intl = panel[panel["intl_border"] == 1].assign(ln_dist=lambda f: f["ln_dist"] + 1e5)
    gravity = ["ln_dist", "contiguity", "common_language", "colony", "rta"]
    for fit, column in ((fit_ppml, "traditional_ppml"), (fit_ols, "traditional_ols")):
        res = fit(intl, "trade", gravity, [EXP_YEAR, IMP_YEAR], cluster="pair")
        assert res.omitted == [], column
        for term, (estimate, se) in BOOK_TABLE[column]["terms"].items():
            assert abs(res.params[term] - estimate) <= 0.0005, (column, term)
            assert abs(res.std_errors[term] - se) <= 0.0005, (column, term)


def test_absorbed_columns_are_dropped_whatever_their_level(panel):
    """A shifted absorbed column and a constant are still dropped (every FE set spans the
    constant); the rest is the book's pair-effects column."""
    frame = panel.assign(ln_y_shift=panel["ln_y"] + 1e5, one=1.0)
    res = fit_ppml(frame, "trade", ["ln_y_shift", "one", "rta"], THREE_WAY, cluster="pair")
    assert res.omitted_reasons == {"ln_y_shift": "collinear with the fixed effects",
                                   "one": "collinear with the fixed effects"}
    assert abs(res.params["rta"] - 0.557) <= 0.0005 and abs(res.std_errors["rta"] - 0.102) <= 0.0005


def test_ols_drops_an_absorbed_column_without_shifting_the_others(panel):
    intl = panel[panel["intl_border"] == 1]
    gravity = ["ln_dist", "contiguity", "common_language", "colony", "rta"]
    res = fit_ols(intl, "trade", ["ln_y", *gravity], [EXP_YEAR, IMP_YEAR], cluster="pair")
    assert res.omitted_reasons == {"ln_y": "collinear with the fixed effects"}
    book = BOOK_TABLE["traditional_ols"]["terms"]
    for term, (estimate, se) in book.items():  # still the book's OLS column, errors included
        assert abs(res.params[term] - estimate) <= 0.0005
        assert abs(res.std_errors[term] - se) <= 0.0005


def test_regressors_collinear_with_each_other(panel):
    frame = panel.assign(rta_copy=2 * panel["rta"])
    res = fit_ppml(frame, "trade", ["rta", "rta_copy"], THREE_WAY, cluster="pair")
    assert res.omitted_reasons == {"rta_copy": "collinear with rta"}


def test_omitted_term_is_published_with_its_reason_and_total_refused(panel):
    frame = panel.assign(rta_lag12=0)  # a lag that a user's panel lacks, filled with zeros
    with pytest.raises(ValueError, match=r"total_rta sums .* \['rta_lag12'\] were omitted"):
        estimate_specs(frame, ["phasing_in"])


def test_missing_cluster_values_are_refused(panel):
    frame = panel.assign(pair=panel["pair"].where(panel.index % 50 != 0))
    with pytest.raises(ValueError, match=r"cluster column 'pair' is missing in 572 rows"):
        fit_ppml(frame, "trade", ["rta"], [EXP_YEAR, IMP_YEAR], cluster="pair")
    with pytest.raises(ValueError, match=r"cluster column 'pair' is missing"):
        fit_ols(frame, "trade", ["rta"], [EXP_YEAR, IMP_YEAR], cluster="pair")


def test_non_numeric_regressor_is_refused(panel):
    frame = panel.assign(rta=panel["rta"].map({0: "no", 1: "yes"}))
    with pytest.raises(ValueError, match=r"column 'rta' is not numeric \(values such as"):
        fit_ppml(frame, "trade", ["rta"], [EXP_YEAR, IMP_YEAR])


def test_all_zero_outcome_is_refused_without_overflow(panel):
    frame = panel.assign(trade=0.0)
    for fit in (fit_ppml, fit_ols):
        with pytest.raises(ValueError, match="'trade' is zero in all 28566 rows"):
            fit(frame, "trade", ["ln_dist"])


def test_negative_outcome_names_the_rows(panel):
    frame = panel.assign(trade=panel["trade"].where(panel.index != 7, -1.0))
    with pytest.raises(ValueError, match=r"1 negative values \(first rows: \[7\]\)"):
        fit_ppml(frame, "trade", ["rta"], [EXP_YEAR, IMP_YEAR])


def test_unknown_separation_option_is_refused(panel):
    with pytest.raises(ValueError, match=r"unknown separation check\(s\) \['reLU'\]"):
        fit_ppml(panel, "trade", ["rta"], [EXP_YEAR, IMP_YEAR], separation=("fe", "reLU"))


SCENARIO = {"name": "x", "data": {"source": "gravity_panel", "panel": "yotov2016_agtpa"},
            "baseline_year": 1994, "reference_country": "DEU",
            "agreement": {"members": ["CAN", "MEX", "USA"], "status": 0}}


@pytest.mark.parametrize("code, kind", [("USX", "no ISO 3166-1 country"), ("WLD", "an aggregate"),
                                        ("UNS", "a reporting category")])
def test_scenario_code_that_is_no_country_is_an_error(code, kind):
    doc = {**SCENARIO, "agreement": {"members": ["CAN", code], "status": 0}}
    with pytest.raises(ScenarioError, match=rf"agreement.members: {code} \({kind}"):
        parse_scenario(doc)
    with pytest.raises(ScenarioError, match=rf"reference_country: {code}"):
        parse_scenario({**SCENARIO, "reference_country": code})


def test_simulate_with_usx_exits_non_zero_and_writes_nothing(tmp_path, shared_datasets, capsys):
    path = tmp_path / "typo.yaml"
    path.write_text("name: typo\ndata: {source: gravity_panel, panel: yotov2016_agtpa}\n"
                    "baseline_year: 1994\nreference_country: DEU\n"
                    "agreement: {members: [CAN, MEX, USX], status: 0}\n")
    out = tmp_path / "out.parquet"
    code = gravity_main(["simulate", "--scenario", str(path), "--out", str(out),
                         "--bulk-dir", str(shared_datasets)])
    assert code == 1 and not out.exists()
    assert "USX (no ISO 3166-1 country)" in capsys.readouterr().err


def test_real_country_absent_from_the_data_is_kept_as_a_warning():
    """ZAF is a country (the WIOD panels lack it): parsing accepts it; the run leaves it out."""
    doc = {**SCENARIO, "agreement": {"members": ["BRA", "ZAF"], "status": 1}}
    assert parse_scenario(doc).members == ("BRA", "ZAF")
    # an old alias of a country that still exists (ROM = Romania in the Yotov data) parses
    assert parse_scenario({**SCENARIO, "agreement": {"members": ["ROM"], "status": 1}}).members
