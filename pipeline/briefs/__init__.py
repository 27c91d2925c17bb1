"""Country briefs: one self-contained HTML page and a JSON companion per country, read from the
published warehouse (never recomputed). No Dagster here: ``assets/briefs.py`` wraps it."""
from pipeline.briefs.build import (UnknownCountry, build_brief, every_figure, existing_headlines,
                                   parse_countries, write_briefs)
from pipeline.briefs.reader import WarehouseNotPublished, WarehouseView

__all__ = ["UnknownCountry", "WarehouseNotPublished", "WarehouseView", "build_brief",
           "every_figure", "existing_headlines", "parse_countries", "write_briefs"]
