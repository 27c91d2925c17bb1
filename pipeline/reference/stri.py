"""The OECD STRI indices, policy areas and sectors (``stri.yaml`` beside this module).

:func:`stri_reference` loads and checks the file: every STRI sector has a name here and exactly
one TiSA-style sector in ``services_sectors.yaml`` (``stri:``), and every MEASURE code of an index
names a declared policy area. :func:`policy_area_of` maps the OECD's codes to policy areas; a code
the index does not declare is kept as it is, so that the contract gate of
``services_restrictiveness`` counts and names it (``@stri_policy_areas``).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

from pipeline.reference.services_sectors import concordance

STRI_FILE = Path(__file__).with_name("stri.yaml")


@dataclass(frozen=True)
class StriReference:
    whole_economy: str                       # sector_id of an index without sectors (TOTAL)
    measures: dict[str, dict[str, str]]      # index_id -> {MEASURE code: policy_area}
    sectoral: dict[str, bool]                # index_id -> has a sector dimension
    policy_areas: dict[str, str]             # policy_area -> name
    sectors: dict[str, str]                  # STRI sector code -> name

    @property
    def sector_codes(self) -> list[str]:
        """Every sector_id the table may hold: the STRI sectors and the whole economy."""
        return [*self.sectors, self.whole_economy]


@lru_cache(maxsize=2)
def stri_reference(path: Path = STRI_FILE) -> StriReference:
    doc = yaml.safe_load(Path(path).read_text())
    areas = dict(doc["policy_areas"])
    indices = doc["indices"]
    for index_id, spec in indices.items():
        unknown = sorted(set(spec["measures"].values()) - set(areas))
        if unknown or "composite" not in spec["measures"].values():
            raise ValueError(f"{path}: index {index_id} maps codes to undeclared policy areas {unknown} "
                             "(or has no composite): declare them under policy_areas")
    tisa = set(concordance("stri")["code"])
    if tisa != set(doc["sectors"]):
        raise ValueError(f"{path}: STRI sectors without a TiSA-style sector in services_sectors.yaml: "
                         f"{sorted(set(doc['sectors']) - tisa)}; named nowhere here: {sorted(tisa - set(doc['sectors']))}")
    return StriReference(whole_economy=str(doc["whole_economy"]),
                         measures={k: dict(v["measures"]) for k, v in indices.items()},
                         sectoral={k: bool(v["sectoral"]) for k, v in indices.items()},
                         policy_areas=areas, sectors=dict(doc["sectors"]))


def policy_area_of(index_ids: pd.Series, codes: pd.Series) -> pd.Series:
    """The policy area of each (index, MEASURE code); an undeclared code (or index) stays as it is."""
    measures = stri_reference().measures
    pairs = pd.Series(list(zip(index_ids, codes)), index=codes.index)
    mapped = pairs.map(lambda p: measures.get(p[0], {}).get(p[1]))
    return mapped.fillna(codes)
