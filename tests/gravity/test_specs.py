"""The Advanced Guide's chapter-1 table (application 3) through the shipped specifications.

Every column of the book's table (Yotov et al. 2016, ch. 1, "Estimating the effects of
regional trade agreements": OLS, PPML, INTRA, BRDR, LEAD, PHSNG, GLBZN) is estimated by
the ``estimate`` command (``estimate_specs``) on the real ``yotov2016_agtpa`` panel and compared with the published
estimate, standard error (three decimals, the book's rounding) and N in
:mod:`tests.gravity.book_chapter1`.
"""
from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from pipeline.gravity.panels import load_gravity_panel
from pipeline.gravity.specs import SPECS, prepare_panel
from tests.conftest import REPO_ROOT
from tests.gravity.book_chapter1 import BOOK_TABLE

BOOK_YEARS = [1986, 1990, 1994, 1998, 2002, 2006]
ROUNDING = 0.0005 + 1e-9  # half a unit of the book's third decimal


@pytest.fixture(scope="module")
def panel(shared_datasets):
    raw = load_gravity_panel("yotov2016_agtpa", bulk_dir=shared_datasets)
    return prepare_panel(raw, years=BOOK_YEARS)


@pytest.fixture(scope="module")
def command(shared_datasets, tmp_path_factory):
    """The book's table as a user gets it: ``python -m pipeline.gravity estimate --spec all``
    (the book's years by default), its output and the table it wrote (estimated once for the
    module: every column of the book is checked on it)."""
    out = tmp_path_factory.mktemp("estimates") / "estimates.parquet"
    run = subprocess.run(
        [sys.executable, "-m", "pipeline.gravity", "estimate", "--bulk-dir", str(shared_datasets),
         "--panel", "yotov2016_agtpa", "--spec", "all", "--out", str(out)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    return run, pd.read_parquet(out)


@pytest.fixture(scope="module")
def table(command):
    return command[1].set_index(["spec", "term"])


def test_the_registry_is_the_book_table():
    assert list(SPECS) == list(BOOK_TABLE)


@pytest.mark.parametrize("spec", list(BOOK_TABLE))
def test_column_matches_the_book(table, spec):
    """Estimates, standard errors (clustered by the symmetric pair) and N as published."""
    ours = table.loc[spec]
    book = BOOK_TABLE[spec]
    assert (ours["nobs"] == book["nobs"]).all(), (spec, ours["nobs"].unique(), book["nobs"])
    assert set(ours.index) == set(book["terms"])  # no term more, none missing
    for term, (estimate, se) in book["terms"].items():
        assert abs(ours.loc[term, "estimate"] - estimate) <= ROUNDING, (spec, term, ours.loc[term])
        if se is not None:
            assert abs(ours.loc[term, "std_error"] - se) <= ROUNDING, (spec, term, ours.loc[term])
    assert ours["omitted_reason"].isna().all()


def test_symmetric_pairs_are_the_books_pair_ids(panel, shared_datasets):
    """One pair id per unordered pair, domestic pairs their own: the book's 2,415 pair_id."""
    raw = pd.read_csv(shared_datasets / "yotov2016_agtpa/agtpa_applications.csv.gz",
                      usecols=["exporter", "importer", "pair_id", "year"])
    raw = raw[raw["year"].isin(BOOK_YEARS)]
    assert panel["pair"].nunique() == raw["pair_id"].nunique() == 2415
    # the same partition of the rows: each book pair_id maps to exactly one of our pairs
    ours = panel.sort_values(["exporter_iso3", "importer_iso3", "year"])["pair"].to_numpy()
    raw = raw.replace({"ROM": "ROU"}).sort_values(["exporter", "importer", "year"])
    both = pd.DataFrame({"book": raw["pair_id"].to_numpy(), "ours": ours})
    assert (both.groupby("book")["ours"].nunique() == 1).all()


def test_canonical_panel_is_the_book_data(panel, shared_datasets):
    """Units converted to USD by the manifest and back to millions here: same numbers."""
    raw = pd.read_csv(shared_datasets / "yotov2016_agtpa/agtpa_applications.csv.gz")
    raw = raw[raw["year"].isin(BOOK_YEARS)]
    assert len(panel) == len(raw)
    assert panel["trade"].sum() == pytest.approx(raw["trade"].sum(), rel=1e-12)


def test_estimate_command_prints_the_book_table(command):
    run, written = command
    assert "0.5572" in run.stdout and "0.1022" in run.stdout and "rta_lead4" in run.stdout
    # dropped observations are reported: 14 symmetric pairs that never trade, 6 years each
    assert "separated" in run.stdout and "84" in run.stdout
    assert list(dict.fromkeys(written["spec"])) == list(BOOK_TABLE)
    book = written.set_index(["spec", "term"]).loc[("intranational", "rta")]
    assert abs(book["estimate"] - 0.409) <= ROUNDING and abs(book["std_error"] - 0.069) <= ROUNDING


def test_estimate_command_names_an_unknown_panel(shared_datasets):
    run = subprocess.run(
        [sys.executable, "-m", "pipeline.gravity", "estimate", "--bulk-dir", str(shared_datasets),
         "--panel", "no_such_panel"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert "no_such_panel" in run.stderr and "yotov2016_agtpa" in run.stderr
