"""Which country codes the pipeline accepts, and which of them are aggregates.

Current ISO 3166-1 alpha-3 codes come from ``pycountry``; ``country_codes.yaml`` beside this
module declares the aliases (old codes of countries that still exist), the non-ISO codes of
real reporting areas (``SUN``, ``YUG``, ``ANT``, ``BLX`` ...), the reporting categories that
are no economy (``UNS`` areas n.e.s., ``SPE``, ``BUN``, ``FRE``, Atlas ``ANS``) and the
aggregates (``WLD``, ``ROW``, regions and income groups). Contracts refer to the union as
``@country_codes``; metrics count as countries only :meth:`CountryCodes.is_economy` codes.
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
    not_economies: dict[str, str]
    aggregates: dict[str, str]

    @property
    def valid(self) -> frozenset[str]:
        """Every code a canonical table may hold: ISO, declared non-ISO and aggregates."""
        return self.iso | frozenset(self.non_iso) | frozenset(self.not_economies) | frozenset(self.aggregates)

    def is_aggregate(self, codes: pd.Series) -> pd.Series:
        return codes.isin(list(self.aggregates))

    def is_economy(self, codes: pd.Series) -> pd.Series:
        """True for codes of economies (current ISO or historical such as ``BLX``, ``SUN``);
        False for aggregates and for reporting categories (``UNS``, ``SPE``, ``BUN``, ``FRE``,
        ``ANS``): those may stay in totals but are never a country or a partner."""
        return ~codes.isin(list(self.aggregates) + list(self.not_economies))

    def canonical(self, codes: pd.Series) -> pd.Series:
        """Rewrite aliases (``ROM`` -> ``ROU``); leave every other code as it is.

        Only the rows holding an alias are rewritten (``Series.replace`` over millions of rows
        of strings compares each with every alias: ~3 s per column of WIOD)."""
        if isinstance(codes.dtype, pd.CategoricalDtype):
            return codes.replace(self.aliases)
        aliased = codes.isin(list(self.aliases))
        if not aliased.any():
            return codes.copy()
        return codes.where(~aliased, codes.map(self.aliases))

    def name(self, code: str) -> str:
        if code in self.aggregates:
            return self.aggregates[code]
        if code in self.non_iso:
            return self.non_iso[code]
        if code in self.not_economies:
            return self.not_economies[code]
        country = pycountry.countries.get(alpha_3=code)
        return country.name if country else code


@lru_cache(maxsize=1)
def country_codes() -> CountryCodes:
    spec = yaml.safe_load(CODES_FILE.read_text())
    return CountryCodes(
        iso=frozenset(c.alpha_3 for c in pycountry.countries),
        aliases={k: v["iso3"] for k, v in spec["aliases"].items()},
        non_iso=dict(spec["non_iso"]),
        not_economies=dict(spec["not_economies"]),
        aggregates={k: v["name"] for k, v in spec["aggregates"].items()},
    )
