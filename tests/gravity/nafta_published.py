"""Published results of the Advanced Guide's NAFTA application (Yotov, Piermartini, Monteiro &
Larch 2016, chapter 2, application 2, "Impact of regional trade agreements", table of p. 116),
as replicated by the R package ``tradepolicy`` (Vargas Sepulveda, pachadotdev/tradepolicy,
vignette ``02-general-equilibrium``, section "Impact of regional trade agreements", step IV:
the table the vignette says "matches the Stata code"; values rounded to 2 decimals).

Every value is the percent effect of NAFTA, i.e. the 1994 baseline relative to the world
without NAFTA: ``100 (z_BLN / z_CFL - 1)``; the producer price column is the book's
``(1 - p_CFL / p_BLN) 100``. Columns: exports conditional GE (``change_xi_cfl``), exports full
GE (``change_xi_full``), real GDP (``change_rgdp_full``), inward MR (``change_imr_full``),
outward MR (``change_omr_full``), factory-gate price (``change_p_i_full``).

The book's Stata log (``Chapter2/Applications/2_RTAsEffects/Results/RTAsEffects.log`` in the
same repository) gives the stage-1 PPML: RTA 0.5571853 (28,482 observations, 84 excluded,
7 symmetric pair effects dropped) and the stage-2 PPML of the pair effects on 4,678 pairs:
ln_DIST -0.8475027, CNTG 0.2940831, LANG 0.3632659, CLNY 0.2394163.
"""
COUNTRIES = (
    "ARG AUS AUT BEL BGR BOL BRA CAN CHE CHL CHN CMR COL CRI CYP DEU DNK ECU EGY ESP FIN FRA GBR "
    "GRC HKG HUN IDN IND IRL IRN ISL ISR ITA JOR JPN KEN KOR KWT LKA MAC MAR MEX MLT MMR MUS MWI "
    "MYS NER NGA NLD NOR NPL PAN PHL POL PRT QAT ROU SEN SGP SWE THA TTO TUN TUR TZA URY USA ZAF"
).split()  # the vignette writes Romania as ROM; the canonical panel as ROU

EXPORTS_CONDITIONAL = [
    -0.66, -0.49, -0.07, -0.09, -0.05, -0.46, -0.65, 35.0, -0.14, -0.81, -0.34, -0.13, -1.8,
    -1.03, -0.09, -0.14, -0.06, -0.93, -0.31, -0.13, -0.09, -0.13, -0.23, -0.08, -0.2, -0.04,
    -0.19, -0.3, -0.1, -0.13, -0.23, -0.38, -0.12, -0.28, -0.35, -0.22, -0.41, -0.23, -0.3,
    -0.21, -0.08, 41.65, -0.13, -0.13, -0.06, -0.18, -0.22, -0.11, -0.37, -0.07, -0.24, -0.22,
    -0.6, -0.29, -0.05, -0.06, -0.19, -0.08, -0.08, -0.15, -0.11, -0.25, -0.86, -0.04, -0.14,
    -0.16, -0.41, 14.49, -0.31]
EXPORTS_FULL = [
    -0.68, -0.51, -0.1, -0.12, -0.07, -0.48, -0.69, 37.46, -0.17, -0.83, -0.38, -0.16, -1.73,
    -1.04, -0.11, -0.17, -0.09, -0.89, -0.33, -0.15, -0.11, -0.15, -0.25, -0.11, -0.23, -0.07,
    -0.24, -0.33, -0.13, -0.16, -0.25, -0.41, -0.15, -0.3, -0.42, -0.24, -0.45, -0.26, -0.33,
    -0.24, -0.1, 43.52, -0.15, -0.18, -0.09, -0.19, -0.26, -0.36, -0.39, -0.09, -0.25, -0.24,
    -0.62, -0.33, -0.07, -0.08, -0.22, -0.1, -0.1, -0.19, -0.13, -0.29, -0.88, -0.07, -0.16,
    -0.17, -0.43, 14.89, -0.34]
REAL_GDP = [
    -0.01, -0.01, -0.01, -0.0, -0.0, -0.02, -0.01, 3.4, -0.01, -0.03, -0.01, -0.01, -0.03,
    -0.07, -0.0, -0.01, -0.01, -0.02, -0.01, -0.01, -0.01, -0.01, -0.01, -0.0, -0.02, -0.0,
    -0.01, -0.01, -0.03, -0.0, -0.01, -0.02, -0.01, -0.0, -0.01, -0.0, -0.02, -0.01, -0.01,
    -0.05, -0.0, 3.81, -0.02, -0.0, -0.01, -0.01, -0.03, -0.06, -0.0, -0.01, -0.01, -0.01,
    -0.02, -0.03, -0.0, -0.0, -0.01, -0.0, -0.0, -0.03, -0.01, -0.01, -0.08, -0.0, -0.0, -0.01,
    -0.02, 0.33, -0.01]
IMR = [
    0.01, 0.02, 0.0, 0.0, 0.0, 0.03, -0.01, -1.48, 0.0, 0.01, -0.01, 0.01, 0.09, 0.06, 0.01, 0.0,
    0.0, 0.08, 0.02, 0.0, -0.0, 0.0, 0.01, 0.01, 0.01, -0.0, -0.0, 0.01, 0.01, 0.01, 0.02, 0.02,
    0.0, 0.02, -0.02, 0.02, -0.01, 0.01, 0.02, 0.02, 0.0, -2.4, 0.01, 0.01, 0.01, 0.02, 0.01,
    0.09, 0.03, 0.0, 0.02, 0.02, 0.03, 0.01, 0.0, 0.0, 0.01, 0.0, 0.01, 0.01, 0.0, -0.0, 0.02,
    0.0, 0.0, 0.02, 0.01, -0.18, 0.01]
OMR = [
    0.0, -0.01, 0.01, 0.0, 0.0, -0.01, 0.02, -2.14, 0.01, 0.03, 0.03, -0.0, -0.07, 0.01, -0.01,
    0.01, 0.01, -0.06, -0.02, 0.01, 0.01, 0.01, 0.01, -0.0, 0.01, 0.01, 0.01, 0.0, 0.02, -0.01,
    -0.01, 0.0, 0.01, -0.02, 0.03, -0.02, 0.03, 0.0, -0.01, 0.03, -0.0, -1.52, 0.01, -0.01, 0.0,
    -0.01, 0.03, -0.04, -0.03, 0.01, -0.0, -0.01, -0.0, 0.02, 0.0, 0.0, 0.01, 0.0, -0.01, 0.02,
    0.01, 0.02, 0.07, -0.0, 0.0, -0.01, 0.01, -0.17, -0.0]
PRODUCER_PRICE = [
    -0.0, 0.01, -0.01, -0.0, -0.0, 0.01, -0.02, 1.84, -0.01, -0.03, -0.02, 0.0, 0.06, -0.01,
    0.01, -0.01, -0.01, 0.05, 0.01, -0.01, -0.01, -0.0, -0.0, 0.0, -0.01, -0.0, -0.01, -0.0,
    -0.02, 0.01, 0.01, -0.0, -0.01, 0.02, -0.03, 0.02, -0.02, -0.0, 0.0, -0.02, 0.0, 1.3, -0.01,
    0.01, -0.0, 0.01, -0.02, 0.03, 0.02, -0.01, 0.0, 0.01, 0.0, -0.02, -0.0, -0.0, -0.01, -0.0,
    0.01, -0.02, -0.01, -0.01, -0.06, 0.0, -0.0, 0.01, -0.01, 0.15, 0.0]

RTA_COEFFICIENT = 0.5571853
STAGE1_NOBS, STAGE1_EXCLUDED, PAIRS_FILLED = 28482, 84, 14
# The stage-1 regression is the chapter-1 "pair effects" column (same panel, 28,482 obs.): the
# book's table prints RTA 0.557 (0.102), clustered by pair_id with every domestic pair its own
# cluster (RTAsEffects.do: `replace pair_id = pair_id + 100000 if exporter == importer`); 2,415
# pair_id levels less the 7 pairs the log drops (no trade in any year) leave 2,408 clusters.
STAGE1_STD_ERROR, STAGE1_CLUSTERS = 0.102, 2415 - 7
STAGE2 = {"ln_dist": -0.8475027, "contiguity": 0.2940831, "common_language": 0.3632659,
          "colony": 0.2394163}
