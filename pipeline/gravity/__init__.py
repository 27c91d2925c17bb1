"""Structural gravity: PPML with high-dimensional fixed effects and general-equilibrium counterfactuals.

>>> from pipeline.gravity import fit_ppml
>>> res = fit_ppml(data, outcome="trade", regressors=["rta"],
...                fixed_effects=[("exporter", "year"), ("importer", "year"), "pair"],
...                cluster="pair_id")
>>> res.params["rta"], res.std_errors["rta"], res.nobs, res.converged, res.dropped_obs
"""
from pipeline.gravity.inference import lincom
from pipeline.gravity.ols import fit_ols
from pipeline.gravity.ppml import fit_ppml
from pipeline.gravity.result import FitResult

__all__ = ["FitResult", "fit_ols", "fit_ppml", "lincom"]
