"""USITC ``gegravity`` (``OneSectorGE``, v0.3) on its own 30-country 2006 sample and example
experiment (a CAN-JPN agreement, sigma 5, reference importer DEU): the peer that the GE tests
compare against and ``benchmarks/bench_ge.py`` times. One definition for both."""
from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

COST_VARIABLES = ["lndist", "contiguity", "common_language", "pta", "international", "constant"]
COLUMNS = {  # gegravity country_results column -> ours
    "factory gate price change (percent)": "pct_change_producer_price",
    "omr change (percent)": "pct_change_omr",
    "imr change (percent)": "pct_change_imr",
    "GDP change (percent)": "pct_change_real_gdp",
    "output change (percent)": "pct_change_output",
    "foreign exports change (percent)": "pct_change_exports",
}


def load_sample(datasets: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """gegravity's sample data (with a constant) and the published ppmlhdfe estimates."""
    folder = datasets / "gegravity_sample_2006"
    data = pd.read_csv(folder / "sample_data_set.csv").assign(constant=1)
    return data, pd.read_csv(folder / "reference_ppml_estimates.csv")


def experiment(frame: pd.DataFrame) -> pd.DataFrame:
    """gegravity's example: CAN and JPN sign an agreement (``pta`` = 1 between them)."""
    out = frame.copy()
    pair = out["exporter"].isin(["CAN", "JPN"]) & out["importer"].isin(["CAN", "JPN"])
    out.loc[pair & (out["exporter"] != out["importer"]), "pta"] = 1
    return out


def run_gegravity(data: pd.DataFrame, estimates: pd.DataFrame):
    """The whole gegravity job: baseline from the cost variables, the experiment, results."""
    import gegravity

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = gegravity.BaselineData(data, imp_var_name="importer", exp_var_name="exporter",
                                      year_var_name="year", trade_var_name="trade",
                                      expend_var_name="E", output_var_name="Y")
        coeffs = gegravity.CostCoeffs(estimates=estimates, identifier_col="variable",
                                      coeff_col="estimate", stderr_col="std_error")
        model = gegravity.OneSectorGE(baseline=base, cost_coeff_values=coeffs,
                                      cost_variables=COST_VARIABLES, year="2006",
                                      reference_importer="DEU", sigma=5, quiet=True)
        model.build_baseline(omr_rescale=1)
        model.define_experiment(experiment(model.baseline_data))
        model.simulate()
    return model
