"""ITPD-E as the USITC releases it (pipeline/sources/itpde.py), read through the manifest entry
``itpd_e`` with no code change.

Fixtures are real shared rows written by the test, in a temporary bulk directory, in the ITPD-E
release 2 layout (USITC, "File Format", https://www.usitc.gov/data/gravity/itpde_guide/file_format;
variable list of release 2) and, for the covariates, in the Dynamic Gravity Dataset's:

- the Advanced Guide's 69-country panel (manufacturing incl. domestic flows, millions of USD,
  1986-2006): one ITPD-E row per exporter, importer and year (broad sector Manufacturing),
  flag_zero p for positive and r for its zeros; its distance, contiguity, language, colony and
  RTA dummy as DGD's distance, contiguity, common_language, colony_ever, agree_pta;
- ppmlhdfe's 35-country panel, whose MANUF and NONMANUF categories become two industries
  (its own labels as broad sectors, mapped in a copy of the manifest entry): its TOTAL rows are
  the outside figure the aggregation must reproduce.
"""
from __future__ import annotations

import copy
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest
import yaml

from pipeline.gravity.__main__ import main as gravity_main
from pipeline.gravity.ge.data import scenario_panel
from pipeline.gravity.ge.run import resolve_bloc, resolve_members, run_scenario
from pipeline.gravity.ge.scenario import SCENARIO_DIR, load_scenario, parse_scenario
from pipeline.reference.codes import country_codes
from pipeline.sources.base import SourceError
from pipeline.sources.files import DEFAULT_MANIFEST, FilesSource

R02 = ["exporter_iso3", "exporter_dynamic_code", "exporter_name", "importer_iso3",
       "importer_dynamic_code", "importer_name", "year", "industry_id", "industry_descr",
       "broad_sector", "trade", "flag_mirror", "flag_zero"]


def write_itpde(flows: pd.DataFrame, folder: Path, name: str = "ITPD_E_R02.csv") -> Path:
    """``flows``: exporter, importer, year, industry_id, industry_descr, broad_sector, trade
    (millions of USD), flag_zero; written with every release-2 column, in its order."""
    names = country_codes()
    frame = flows.assign(
        exporter_iso3=flows["exporter"], exporter_dynamic_code=flows["exporter"],
        exporter_name=flows["exporter"].map(lambda c: names.name(c)),
        importer_iso3=flows["importer"], importer_dynamic_code=flows["importer"],
        importer_name=flows["importer"].map(lambda c: names.name(c)), flag_mirror=0)
    folder.mkdir(parents=True, exist_ok=True)
    frame[R02].to_csv(folder / name, index=False)
    return folder / name


@pytest.fixture(scope="module")
def agtpa(shared_datasets) -> pd.DataFrame:
    return pd.read_csv(shared_datasets / "yotov2016_agtpa/agtpa_applications.csv.gz")


def agtpa_as_itpde(agtpa: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "exporter": agtpa["exporter"], "importer": agtpa["importer"], "year": agtpa["year"],
        "industry_id": 0, "industry_descr": "Manufacturing, all industries (Advanced Guide panel)",
        "broad_sector": "Manufacturing", "trade": agtpa["trade"],
        "flag_zero": np.where(agtpa["trade"] > 0, "p", "r")})


def write_bulk(root: Path, agtpa: pd.DataFrame, flows: pd.DataFrame | None = None) -> Path:
    """ITPD-E flows (default: the whole 69-country panel) and the panel's covariates in DGD layout."""
    write_itpde(agtpa_as_itpde(agtpa) if flows is None else flows, root / "itpd_e")
    dgd = pd.DataFrame({
        "year": agtpa["year"], "iso3_o": agtpa["exporter"], "dynamic_code_o": agtpa["exporter"],
        "iso3_d": agtpa["importer"], "dynamic_code_d": agtpa["importer"],
        "colony_ever": agtpa["clny"], "contiguity": agtpa["cntg"], "distance": agtpa["dist"],
        "common_language": agtpa["lang"], "agree_pta": agtpa["rta"]})
    (root / "usitc_dgd").mkdir(parents=True, exist_ok=True)
    dgd.to_csv(root / "usitc_dgd" / "release_2.1_1986_2006.csv", index=False)
    return root


def read_panel(root: Path, manifest: Path = DEFAULT_MANIFEST) -> pd.DataFrame:
    source = FilesSource(root, manifest)
    [item] = source.discover("gravity_panel")
    assert item.provenance.dataset_id == "itpd_e"
    return source.read(item)


def ttip_on_itpde() -> dict:
    """The shipped ttip_agtpa scenario file, pointed at the ITPD-E panel (draws off: points)."""
    doc = yaml.safe_load((SCENARIO_DIR / "ttip_agtpa.yaml").read_text())
    doc["name"], doc["data"]["panel"], doc["monte_carlo"] = "ttip_itpde", "itpd_e", {"draws": 0}
    return doc


def simulate(doc: dict, bulk: Path, manifest: Path | None = None):
    scenario = parse_scenario(doc)
    panel = scenario_panel(scenario, bulk_dir=bulk, manifest=manifest)
    return run_scenario(scenario, panel, resolve_members(scenario),
                        unchanged_within=resolve_bloc(scenario))


def manifest_with(root: Path, **changes) -> Path:
    """A copy of the shipped manifest with only the itpd_e entry, changed as asked (the user's
    own TRADE_MANIFEST)."""
    manifest = yaml.safe_load(DEFAULT_MANIFEST.read_text())
    entry = copy.deepcopy(next(e for e in manifest["datasets"] if e["id"] == "itpd_e"))
    entry.update(changes)
    manifest["datasets"] = [entry]
    path = root / "manifest.yaml"
    path.write_text(yaml.safe_dump(manifest))
    return path


def test_itpde_layout_reads_back_the_panel_with_its_covariates(tmp_path, agtpa, shared_datasets):
    panel = read_panel(write_bulk(tmp_path, agtpa))
    assert len(panel) == len(agtpa) == 99_981 and set(panel["sector"]) == {"TOTAL"}
    source = FilesSource(shared_datasets)
    book = source.read(next(i for i in source.discover("gravity_panel")
                            if i.provenance.dataset_id == "yotov2016_agtpa"))
    book = book.assign(exporter_iso3=country_codes().canonical(book["exporter_iso3"]),
                       importer_iso3=country_codes().canonical(book["importer_iso3"]))
    keys = ["exporter_iso3", "importer_iso3", "year"]
    both = panel.merge(book, on=keys, suffixes=("", "_book"), validate="one_to_one")
    assert len(both) == len(panel)
    for column in ("trade_value_usd", "distance_km", "contiguity", "common_language", "colony",
                   "agreement"):
        # the CSV round trip of the millions may move the last bit
        np.testing.assert_allclose(both[column].astype(float), both[f"{column}_book"].astype(float),
                                   rtol=1e-15, atol=0, err_msg=column)


@pytest.mark.parametrize("aggregate, sector", [("total", "TOTAL"), ("broad_sector", "MANUF")])
def test_any_scenario_file_runs_on_itpde_with_no_code_change(tmp_path, agtpa, shared_datasets,
                                                            aggregate, sector):
    """ttip_agtpa pointed at the ITPD-E copy of its panel gives the same GE to 1e-9, as a total
    panel (the shipped entry) or as broad sectors (a user's manifest) with `sector: MANUF`."""
    bulk = write_bulk(tmp_path, agtpa)
    doc = ttip_on_itpde()
    manifest = None
    if aggregate == "broad_sector":
        manifest = manifest_with(tmp_path, aggregate="broad_sector")
        doc["data"]["sector"] = "MANUF"
    ours = simulate(doc, bulk, manifest).results
    doc = ttip_on_itpde()
    doc["data"]["panel"] = "yotov2016_agtpa"
    book = simulate(doc, shared_datasets).results
    assert (ours["panel_id"] == "itpd_e").all() and (ours["sector"] == sector).all()
    assert list(ours["iso3"]) == list(book["iso3"]) and len(ours) == 69
    numbers = [c for c in ours if c.startswith("pct_change") and not c.endswith(("_p05", "_p95"))]
    np.testing.assert_allclose(ours[numbers], book[numbers], atol=1e-9)


def test_country_without_domestic_flow_is_named_and_left_out(tmp_path, agtpa, capsys):
    """Mauritius has no domestic row in 2006; Senegal's domestic flows are ITPD-E's unknowns
    (flag_zero u, assigned zero) in every year: both are left out of GE with the reason, never
    simulated with a zero."""
    flows = agtpa_as_itpde(agtpa)
    flows = flows[~((flows["exporter"] == "MUS") & (flows["importer"] == "MUS") & (flows["year"] == 2006))]
    sen = (flows["exporter"] == "SEN") & (flows["importer"] == "SEN")
    flows.loc[sen, ["trade", "flag_zero"]] = [0.0, "u"]
    bulk = write_bulk(tmp_path, agtpa, flows)
    panel = read_panel(bulk)
    domestic = panel[panel["exporter_iso3"] == panel["importer_iso3"]]
    assert "SEN" not in set(domestic["exporter_iso3"])  # unknown, so no row rather than a zero
    run = simulate(ttip_on_itpde(), bulk)
    assert set(run.left_out) == {"MUS", "SEN"} and len(run.countries) == 67
    assert "no domestic flow (exporter = importer) in 2006" in run.left_out["MUS"]
    assert "1986, 1990, 1994, 1998, 2002, 2006" in run.left_out["SEN"]
    assert not {"MUS", "SEN"} & set(run.results["iso3"])
    assert "MUS: no domestic flow" in run.results["countries_left_out"].iloc[0]
    path = tmp_path / "ttip_itpde.yaml"
    path.write_text(yaml.safe_dump(ttip_on_itpde()))
    assert gravity_main(["simulate", "--scenario", str(path), "--bulk-dir", str(bulk),
                         "--countries", "KEN", "NGA", "ZAF"]) == 0
    out = capsys.readouterr().out
    assert "left out: Mauritius (MUS): no domestic flow (exporter = importer) in 2006" in out
    assert "left out: Senegal (SEN)" in out and " KEN " in out and " ZAF " in out


@pytest.fixture(scope="module")
def ppmlhdfe(shared_datasets) -> pd.DataFrame:
    return pd.read_csv(shared_datasets / "ppmlhdfe_fta_35countries/EXAMPLE_TRADE_FTA_DATA.csv.gz")


def two_sector_bulk(root: Path, ppmlhdfe: pd.DataFrame, aggregate: str) -> tuple[Path, Path]:
    """ppmlhdfe's MANUF and NONMANUF rows (thousands of USD) as two ITPD-E industries in
    millions, and a manifest whose itpd_e entry maps its labels and aggregates as asked."""
    parts = ppmlhdfe[ppmlhdfe["category"] != "TOTAL"]
    label = {"MANUF": "Manufacturing", "NONMANUF": "Non-manufacturing"}
    write_itpde(pd.DataFrame({
        "exporter": parts["isoexp"], "importer": parts["isoimp"], "year": parts["year"],
        "industry_id": parts["category"].map({"MANUF": 1, "NONMANUF": 2}),
        "industry_descr": parts["category"], "broad_sector": parts["category"].map(label),
        "trade": parts["trade"] / 1000, "flag_zero": np.where(parts["trade"] > 0, "p", "r")}),
        root / "itpd_e")
    shipped = yaml.safe_load(DEFAULT_MANIFEST.read_text())
    labels = next(e for e in shipped["datasets"] if e["id"] == "itpd_e")["broad_sectors"]
    # several chunks of 4,000 rows, summed across them; no covariates (not needed for sums)
    return root, manifest_with(root, aggregate=aggregate, chunk_rows=4000, covariates=None,
                               broad_sectors={**labels, "Non-manufacturing": "NONMANUF"})


@pytest.mark.parametrize("aggregate", ["total", "broad_sector"])
def test_aggregates_equal_the_panels_own_totals(tmp_path, ppmlhdfe, aggregate):
    """Total: the sum over the two industries equals ppmlhdfe's published TOTAL category;
    broad sectors: each equals its category (USD, relative 1e-12)."""
    panel = read_panel(*two_sector_bulk(tmp_path, ppmlhdfe, aggregate))
    expected = ppmlhdfe if aggregate == "broad_sector" else ppmlhdfe[ppmlhdfe["category"] == "TOTAL"]
    expected = expected[expected["category"] != "TOTAL"] if aggregate == "broad_sector" else expected
    expected = expected.rename(columns={"isoexp": "exporter_iso3", "isoimp": "importer_iso3",
                                        "category": "sector"})
    expected["exporter_iso3"] = country_codes().canonical(expected["exporter_iso3"])
    expected["importer_iso3"] = country_codes().canonical(expected["importer_iso3"])
    keys = ["exporter_iso3", "importer_iso3", "year", "sector"]
    both = panel.merge(expected, on=keys, how="outer", indicator=True, validate="one_to_one")
    assert (both["_merge"] == "both").all() and len(both) == len(expected)
    np.testing.assert_allclose(both["trade_value_usd"], both["trade"] * 1000, rtol=1e-12, atol=1e-6)


def test_unknown_industries_are_left_out_of_the_sum(tmp_path, ppmlhdfe):
    """An industry flagged u (unknown) adds nothing; an international flow with no known
    industry is ITPD-E's assigned zero."""
    root, manifest = two_sector_bulk(tmp_path, ppmlhdfe, "total")
    path = root / "itpd_e" / "ITPD_E_R02.csv"
    frame = pd.read_csv(path)
    aus_aut = (frame["exporter_iso3"] == "AUS") & (frame["importer_iso3"] == "AUT") & (frame["year"] == 1988)
    manuf = aus_aut & (frame["industry_id"] == 1)
    frame.loc[manuf, ["trade", "flag_zero"]] = [0.0, "u"]
    aus_bra = (frame["exporter_iso3"] == "AUS") & (frame["importer_iso3"] == "BRA") & (frame["year"] == 1988)
    frame.loc[aus_bra, ["trade", "flag_zero"]] = [0.0, "u"]
    frame.to_csv(path, index=False)
    panel = read_panel(root, manifest).set_index(["exporter_iso3", "importer_iso3", "year"])
    total = ppmlhdfe.set_index(["isoexp", "isoimp", "year", "category"])["trade"]
    assert panel.loc[("AUS", "AUT", 1988), "trade_value_usd"] == pytest.approx(
        total[("AUS", "AUT", 1988, "NONMANUF")] * 1000, rel=1e-12)
    assert panel.loc[("AUS", "BRA", 1988), "trade_value_usd"] == 0.0


def _broken(tmp_path, agtpa, change) -> Path:
    flows = agtpa_as_itpde(agtpa)
    change(flows)
    return write_bulk(tmp_path, agtpa, flows)


def test_negative_trade_is_stopped_at_the_contract(tmp_path, agtpa):
    """A negative industry value is refused by the gravity_panel contract before any sum could
    hide it; the error names the file, the rule, the column and the file line."""
    def negative(flows):
        flows.loc[7, "trade"] = -5.0

    with pytest.raises(SourceError) as caught:
        read_panel(_broken(tmp_path, agtpa, negative))
    message = str(caught.value)
    assert "ITPD_E_R02.csv" in message and "gravity_panel contract" in message
    assert "expect_column_values_to_be_between failed on column trade_value_usd: 1 of" in message
    assert "'exporter_iso3': 'ARG'" in message and "'sector': '0'" in message
    assert "lines 2-" in message  # rows are reported with the file's line numbers


@pytest.mark.parametrize("change, expected", [
    (lambda f: f.rename(columns={"trade": "trade_value"}, inplace=True), "lacks column(s) ['trade']"),
    (lambda f: f.drop(columns="flag_zero", inplace=True), "lacks column(s) ['flag_zero']"),
    (lambda f: f.__setitem__("flag_zero", f["flag_zero"].str.upper()), "flag_zero must be p, r or u"),
])
def test_renamed_or_unknown_layout_is_refused(tmp_path, agtpa, change, expected):
    flows = agtpa_as_itpde(agtpa)
    change(flows)
    root = tmp_path / "bulk"
    (root / "itpd_e").mkdir(parents=True)
    names = country_codes()
    flows = flows.assign(exporter_iso3=flows["exporter"], importer_iso3=flows["importer"],
                         exporter_name=flows["exporter"].map(lambda c: names.name(c)),
                         importer_name=flows["importer"].map(lambda c: names.name(c)), flag_mirror=0)
    flows.drop(columns=["exporter", "importer"]).to_csv(root / "itpd_e" / "ITPD_E_R02.csv", index=False)
    write_bulk(tmp_path / "cov", agtpa)
    (root / "usitc_dgd").mkdir()
    (root / "usitc_dgd" / "release_2.1_1986_2006.csv").write_bytes(
        (tmp_path / "cov" / "usitc_dgd" / "release_2.1_1986_2006.csv").read_bytes())
    with pytest.raises(SourceError, match=expected.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("]", r"\]")):
        read_panel(root)


def test_duplicated_industry_row_is_stopped_at_the_contract(tmp_path, agtpa):
    def duplicate(flows):
        flows.loc[len(flows)] = flows.loc[3]

    with pytest.raises(SourceError, match="expect_compound_columns_to_be_unique"):
        read_panel(_broken(tmp_path, agtpa, duplicate))


def test_missing_covariate_files_are_named(tmp_path, agtpa):
    root = write_bulk(tmp_path, agtpa)
    (root / "usitc_dgd" / "release_2.1_1986_2006.csv").unlink()
    with pytest.raises(SourceError, match="covariates pattern 'usitc_dgd/release_\\*.csv\\*' "
                                          "matches no file"):
        FilesSource(root).discover("gravity_panel")


OTHER_GRAVITY_PANELS = "yotov2016_agtpa,gegravity_sample_2006,gegravity_wiod_2000_2014,hmr2010_gravity_2006," \
    "ppmlhdfe_fta_35countries"


def _materialize(bulk: Path, warehouse: Path):
    from assets.bulk_tables import bulk_table_assets
    from assets.io_manager import ParquetWarehouseIOManager, RawProvenanceIOManager
    from assets.resources import BulkFilesResource, SourceModeResource

    wanted = {"raw_files__gravity_panel", "core__gravity_panel"}
    assets = [a for a in bulk_table_assets() if a.key.to_user_string() in wanted]
    return dg.materialize(assets, raise_on_error=False, resources={
        # The directory holds ITPD-E only: the manifest's other gravity panels are disabled, as a
        # user running on ITPD-E alone would (TRADE_DISABLED_DATASETS).
        "bulk_files": BulkFilesResource(bulk_dir=str(bulk), disabled_datasets=OTHER_GRAVITY_PANELS),
        "sources": SourceModeResource(mode="bulk", bulk_dir=str(bulk), warehouse_dir=str(warehouse)),
        "warehouse_io_manager": ParquetWarehouseIOManager(root=str(warehouse)),
        "raw_io_manager": RawProvenanceIOManager(root=str(warehouse))})


def test_dagster_publishes_itpde_behind_the_contract_and_refuses_a_bad_file(tmp_path, agtpa):
    """Through raw_files__gravity_panel and core__gravity_panel: a good ITPD-E file is
    published with its contract check passed; a file with a negative value fails the run and
    leaves the published table as it was."""
    from pipeline.warehouse.parquet import read_table

    warehouse = tmp_path / "warehouse"
    good = _materialize(write_bulk(tmp_path / "good", agtpa), warehouse)
    assert good.success and all(c.passed for c in good.get_asset_check_evaluations())
    published = read_table(warehouse, "gravity_panel")
    assert set(published["panel_id"]) == {"itpd_e"} and len(published) == 99_981
    before = sorted((p, p.stat().st_mtime_ns) for p in warehouse.joinpath("gravity_panel").rglob("*.parquet"))

    def negative(flows):
        flows.loc[11, "trade"] = -1.0

    bad = _materialize(_broken(tmp_path / "bad", agtpa, negative), warehouse)
    assert not bad.success
    failure = next(e for e in bad.all_events if e.event_type_value == "STEP_FAILURE")
    assert "gravity_panel contract" in str(failure.event_specific_data.error)
    after = sorted((p, p.stat().st_mtime_ns) for p in warehouse.joinpath("gravity_panel").rglob("*.parquet"))
    assert after == before
