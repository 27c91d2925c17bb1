"""The published table of the Advanced Guide's chapter 1, application 3 ("Estimating the effects
of regional trade agreements"): estimate, standard error and N per column, three decimals.

Sources:

- Yotov, Piermartini, Monteiro & Larch (2016), *An Advanced Guide to Trade Policy Analysis*,
  WTO/UNCTAD, chapter 1, table of application 3 (columns OLS, PPML, INTRA, BRDR, LEAD, PHSNG,
  GLBZN; Stata ``RTAsEffects.do``: ``regress``/``ppml`` with dummies, ``cluster(pair_id)``,
  every domestic pair its own cluster: ``replace pair_id = pair_id + 100000 if exporter ==
  importer``).
- The R package tradepolicy's rendered chapter "Traditional gravity" (pachadotdev/tradepolicy,
  ``_freeze/01-traditional-gravity``, commit 342a655), which reruns the book's code and prints
  to four decimals: OLS and PPML estimates, N of every column, and the RTA columns BRDR, LEAD,
  PHSNG, GLBZN with their errors and the totals (``deltamethod``) of PHSNG and GLBZN. These
  figures here agree with the rendered ones at the rendering's rounding. Two of its figures are
  not used: its OLS errors (``felm``) leave out the absorbed effects' degrees of freedom (ln DIST 0.038,
  where Stata's ``regress`` gives 0.039), and its INTRA column prints RTA 0.592 (0.362), ln
  DIST -0.576. That column uses the same split as the book (one intra-national effect per
  country, ``intl_brdr = pair_id`` for domestic pairs, a shared level for international
  ones), so the difference is a numerical one in tradepolicy's rendered chapter, not another
  specification.

Figures that were NOT read from a printed or rendered source we could open (the book's PDF is
not in the repository's reach; the WTO's chapter-1 application 3 has no Stata log in
pachadotdev/tradepolicy's ``00-application-files``, only the ``.do``):

- the OLS standard errors 0.039, 0.203, 0.082, 0.149, 0.054 (Stata ``regress`` conventions);
- the INTRA estimates of the gravity covariates -0.800, 0.393, 0.244, -0.182;
- the INTRA RTA 0.409 (0.069) is the book's as quoted in issue 13, not found in either source.

They equal an independent pyfixest 0.6 computation of the book's Stata code on the book's data,
not this project's code: ``fepois(trade ~ ln_dist + cntg + lang + clny + rta | exp_year +
imp_year + intra)`` on all 28,566 rows (``intra`` = exporter for domestic pairs, one level for
international ones; covariates set to zero on domestic rows, where
the intra effects absorb them anyway), ``CRV1`` by ``pair_id`` with domestic
pairs their own clusters: -0.8003, 0.3932, 0.2437, -0.1822, RTA 0.4085 (0.0699; pyfixest's
default small-sample factor adds (N-1)/(N-K) to ppmlhdfe's G/(G-1)); and ``feols(ln trade ~
... | exp_year + imp_year)``, ``CRV1`` by ``pair_id``, ``ssc(fixef_k="full")`` (Stata's
``regress`` with the dummies): s.e. 0.0390, 0.2029, 0.0821, 0.1494, 0.0540 (N = 25,689).

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
