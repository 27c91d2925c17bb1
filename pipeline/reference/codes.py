"""Which country codes the pipeline accepts, and which of them are aggregates.

Current ISO 3166-1 alpha-3 codes come from ``pycountry``; ``country_codes.yaml`` beside this
module declares the aliases (old codes of countries that still exist), the non-ISO codes of
real reporting areas (``SUN``, ``YUG``, ``ANT``, ``BLX`` ...) and the aggregates (``WLD``,
``ROW``, regions and income groups). Contracts refer to the union as ``@country_codes``.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pycountry
import yaml

CODES_FILE = Path(__file__).with_name("country_codes.yaml")


@dataclass(frozen=True)
class CountryCodes:
    iso: frozenset[str]
    aliases: dict[str, str]
    non_iso: dict[str, str]
    aggregates: dict[str, str]

    @property
    def valid(self) -> frozenset[str]:
        """Every code a canonical table may hold: ISO, declared non-ISO and aggregates."""
        return self.iso | frozenset(self.non_iso) | frozenset(self.aggregates)

    def is_aggregate(self, codes: pd.Series) -> pd.Series:
        return codes.isin(list(self.aggregates))

    def canonical(self, codes: pd.Series) -> pd.Series:
        """Rewrite aliases (``ROM`` -> ``ROU``); leave every other code as it is."""
        return codes.replace(self.aliases)

    def name(self, code: str) -> str:
        if code in self.aggregates:
            return self.aggregates[code]
        if code in self.non_iso:
            return self.non_iso[code]
        country = pycountry.countries.get(alpha_3=code)
        return country.name if country else code


@lru_cache(maxsize=1)
def country_codes() -> CountryCodes:
    spec = yaml.safe_load(CODES_FILE.read_text())
    return CountryCodes(
        iso=frozenset(c.alpha_3 for c in pycountry.countries),
        aliases={k: v["iso3"] for k, v in spec["aliases"].items()},
        non_iso=dict(spec["non_iso"]),
        aggregates={k: v["name"] for k, v in spec["aggregates"].items()},
    )
