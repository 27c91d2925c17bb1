"""The published table of the Advanced Guide's chapter 1, application 3 ("Estimating the effects
of regional trade agreements"): estimate, standard error and N per column, three decimals.

Sources (figures copied by hand, not computed by this project):

- Yotov, Piermartini, Monteiro & Larch (2016), *An Advanced Guide to Trade Policy Analysis*,
  WTO/UNCTAD, chapter 1, table of application 3 (columns OLS, PPML, INTRA, BRDR, LEAD, PHSNG,
  GLBZN; Stata ``RTAsEffects.do``: ``regress``/``ppml`` with dummies, ``cluster(pair_id)``).
- The R package tradepolicy's rendered chapter "Traditional gravity" (pachadotdev/tradepolicy,
  ``_freeze/01-traditional-gravity``, commit 342a655), which reruns the book's code and prints
  the same PPML columns to four decimals, and the totals (``deltamethod``) of PHSNG and GLBZN.
  Where it departs from the book's Stata code it is not used: its OLS errors (``felm``) leave
  out the absorbed effects' degrees of freedom (0.038 for ln DIST where the book's ``regress``
  prints 0.039), and its INTRA column uses another intra-national specification (RTA 0.592
  (0.362) where the book prints 0.409 (0.069)).

Each entry: term -> (estimate, standard error); ``None`` for a standard error this file does
not vouch for (the book's INTRA errors of the gravity covariates).
"""
from __future__ import annotations

BOOK_TABLE = {
    "traditional_ols": {"nobs": 25_689, "terms": {
        "ln_dist": (-1.216, 0.039), "contiguity": (0.223, 0.203),
        "common_language": (0.661, 0.082), "colony": (0.670, 0.149), "rta": (-0.004, 0.054)}},
    "traditional_ppml": {"nobs": 28_152, "terms": {
        "ln_dist": (-0.822, 0.031), "contiguity": (0.416, 0.083),
        "common_language": (0.250, 0.077), "colony": (-0.205, 0.114), "rta": (0.191, 0.066)}},
    "intranational": {"nobs": 28_566, "terms": {
        "ln_dist": (-0.800, None), "contiguity": (0.393, None),
        "common_language": (0.244, None), "colony": (-0.182, None), "rta": (0.409, 0.069)}},
    "pair_fe": {"nobs": 28_482, "terms": {"rta": (0.557, 0.102)}},
    "lead_test": {"nobs": 28_482, "terms": {"rta": (0.520, 0.086), "rta_lead4": (0.077, 0.092)}},
    "phasing_in": {"nobs": 28_482, "terms": {
        "rta": (0.291, 0.089), "rta_lag4": (0.414, 0.067), "rta_lag8": (0.169, 0.043),
        "rta_lag12": (0.119, 0.030), "total_rta": (0.993, 0.094)}},
    "globalization": {"nobs": 28_482, "terms": {
        "rta": (0.116, 0.087), "rta_lag4": (0.288, 0.062), "rta_lag8": (0.069, 0.048),
        "rta_lag12": (0.002, 0.029), "intl_border_1986": (-0.706, 0.048),
        "intl_border_1990": (-0.480, 0.043), "intl_border_1994": (-0.367, 0.033),
        "intl_border_1998": (-0.158, 0.023), "intl_border_2002": (-0.141, 0.017),
        "total_rta": (0.475, 0.109)}},
}
