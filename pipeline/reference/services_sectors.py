"""TiSA-style services sectors and their concordances (``services_sectors.yaml`` beside this).

:func:`services_sectors` returns one row per sector; :func:`concordance` one row per code of a
classification (``ebops2010``, ``isic_rev3``, ``wiod2013`` or ``stri``) with its ``sector_id``.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

SECTORS_FILE = Path(__file__).with_name("services_sectors.yaml")
CLASSIFICATIONS = ("ebops2010", "isic_rev3", "wiod2013", "stri")


def _load(path: Path) -> dict:
    doc = yaml.safe_load(path.read_text())
    if not isinstance(doc, dict) or not isinstance(doc.get("sectors"), dict):
        raise ValueError(f"{path}: expected a top-level `sectors:` mapping")
    return doc["sectors"]


def services_sectors(path: Path = SECTORS_FILE) -> pd.DataFrame:
    """Columns ``sector_id, name, note``, in file order."""
    return pd.DataFrame([{"sector_id": k, "name": v["name"], "note": v.get("note", "")}
                         for k, v in _load(path).items()])


def concordance(classification: str, path: Path = SECTORS_FILE) -> pd.DataFrame:
    """``code, sector_id`` for one classification; raises if a code maps to two sectors."""
    if classification not in CLASSIFICATIONS:
        raise ValueError(f"unknown classification {classification!r}; use one of {CLASSIFICATIONS}")
    rows = [{"code": str(code), "sector_id": sector}
            for sector, spec in _load(path).items() for code in spec.get(classification) or []]
    frame = pd.DataFrame(rows, columns=["code", "sector_id"])
    dup = frame[frame["code"].duplicated(keep=False)]
    if not dup.empty:
        raise ValueError(f"{path}: {classification} codes mapped to several sectors: "
                         f"{dup.to_dict('records')}; give each code one sector")
    return frame
