"""The one line a section shows when the warehouse does not cover the country: which table would
hold it, what that table covers here, and which source would cover the country."""
from __future__ import annotations

from pipeline.briefs.figures import country_name
from pipeline.briefs.reader import WarehouseView

# Where each table's coverage comes from in this warehouse (the catalog's source is in the methods).
ORIGIN = {
    "value_chain_exposure": "the WIOD 2013 release's input-output tables",
    "value_added_absorption": "the WIOD 2013 release's input-output tables",
    "services_exposure": "WIOD 2013 services flows (bulk mode) or OECD BaTIS (live mode)",
    "services_restrictiveness_profile": "the OECD STRI files of the warehouse",
    "agreement_impacts": "the gravity panels of the shipped scenarios",
    "end_use_trade": "HS product flows complete against world trade",
    "strategic_dependencies": "HS and Atlas product flows",
    "export_product_concentration": "the product files of the warehouse",
}

# What would cover a country a table of this warehouse leaves out (the source's own coverage).
ALTERNATIVES = {
    "country_trade_profile": "UN Comtrade (TRADE_SOURCES=live, COMTRADE_REPORTERS) reports every country that "
                             "files with it.",
    "country_group_exposure": "UN Comtrade (TRADE_SOURCES=live) or the Atlas sectors file cover any reporter.",
    "export_product_concentration": "HS product detail would: the Atlas HS2/HS4 file (31 countries here), BACI HS6 "
                                    "(every country, CEPII; here only its ZAF/AFG extract) or Comtrade AG4/AG6.",
    "end_use_trade": "End use needs HS detail of the country's imports from the whole world: the Atlas HS2/HS4 "
                     "file (31 countries here) or a full BACI HS6 download.",
    "strategic_dependencies": "The EC criteria need HS detail of imports and exports: the Atlas HS2/HS4 file "
                              "(31 countries here) or a full BACI HS6 download.",
    "value_chain_exposure": "OECD TiVA/ICIO (76 economies, TRADE_SOURCES=live) or a larger multi-regional "
                            "table declared in the manifest would, where it covers the country.",
    "value_added_absorption": "OECD TiVA/ICIO (76 economies) would, where it covers the country.",
    "services_exposure": "OECD BaTIS (TRADE_SOURCES=live) publishes services trade by EBOPS component for "
                         "about 200 economies.",
    "services_restrictiveness_profile": "The OECD STRI (sectoral, 50 economies; Digital STRI about 90) where "
                                        "the country is covered; live mode fetches the sectoral STRI.",
    "agreement_impacts": "A scenario on a panel that includes the country (ITPD-E, about 240 economies, is a "
                         "user download declared in the manifest) would give its effects.",
}


def not_covered(view: WarehouseView, table: str, iso3: str, what: str, column: str = "iso3") -> str:
    """``what`` is not shown: why (table absent, or the country outside its coverage) and what would."""
    name = country_name(iso3)
    alternative = ALTERNATIVES.get(table, "")
    if not view.has(table):
        return (f"{what}: the table {table} is not published in this warehouse (its branch did not run "
                f"under the settings of the last refresh). {alternative}").strip()
    covered = view.distinct(table, column)
    origin = f", from {ORIGIN[table]}," if table in ORIGIN else ""
    return (f"{what}: {table}{origin} covers {len(covered)} economies; {name} is not among them. "
            f"{alternative}").strip()
