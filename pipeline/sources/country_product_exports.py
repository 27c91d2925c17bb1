"""Reader of ``country_product_exports``: each country's exports to the world by product.

Such files (Open Trade Statistics via the economiccomplexity package: HS 2007 headings, 1962,
1980, 2017) have no partner, so they are not bilateral trade: they are a product source of their
own (a country's export basket) and, summed over countries, world trade weights per product.
Manifest entries with ``table: country_product_exports`` say which files feed it.
"""
from __future__ import annotations

import pandas as pd

from pipeline.reference.codes import country_codes
from pipeline.sources.base import SourceError
from pipeline.sources.files import FilesSource, read_file_input

TABLE = "country_product_exports"
COLUMNS = ["iso3", "year", "product_classification", "product_code", "value_usd", "source"]


def read_country_product_exports(source: FilesSource) -> pd.DataFrame:
    """All files the manifest maps to :data:`TABLE`, in canonical columns (USD, ISO3 upper case).

    Explicit missing values (NA) are absent rows; codes that are no economy (``WLD``, ``ANS``
    ...) are dropped; a code the country list does not know raises, naming file and codes.
    Returns :data:`COLUMNS` (empty when no file matches).
    """
    frames = []
    codes = country_codes()
    for item in source.discover(TABLE):
        frame = read_file_input(item)
        frame["iso3"] = codes.canonical(frame["iso3"].astype(str).str.upper())
        unknown = sorted(set(frame["iso3"]) - codes.valid)
        if unknown:
            raise SourceError(f"{item.provenance.location} (dataset {item.spec['id']}): country codes {unknown[:10]} "
                              "are not in pipeline/reference/country_codes.yaml: declare them there (non_iso "
                              "or not_economies) or fix the file")
        frame["value_usd"] = pd.to_numeric(frame["value_usd"], errors="coerce")
        frame = frame[frame["value_usd"].notna() & codes.is_economy(frame["iso3"])]
        frames.append(frame.astype({"year": int, "product_code": str})[COLUMNS])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
