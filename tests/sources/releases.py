"""Real shared rows written back in the layouts users download: a CEPII BACI release folder and
an OECD ICIO 2023 year file. Built at test time in a temporary directory; nothing is copied
into the repository and no value is invented (the exceptions, zeros where WIOD has no such
column, are named below).

BACI (CEPII, DescriptionBACI; file names of the V202401b release): the ZAF/AFG extract's rows
become ``BACI_HS92_Y2021_V202401b.csv`` with the columns ``t,i,j,k,v,q``: ``i``/``j`` the
extract's own CEPII numeric codes (``exporter_code``/``importer_code``), ``k`` the HS6 code
written as a number (its leading zero lost, as a tool that read it as a number writes it), ``v``
and ``q`` the extract's text unchanged. ``country_codes_V202401b.csv`` (header of V202401b:
``country_code,country_name,country_iso2,country_iso3``) lists each code the extract uses with
the ISO3 code the extract gives it; names and ISO2 come from the shared V202201 list where it has
the code. ``product_codes_HS92_V202401b.csv`` (``code,description``) holds the UN's HS 1992
descriptions of the codes used (shared concordances).

ICIO (pipeline/sources/icio.py): one WIOD 2013 year in the ICIO 2023 extended layout, with
ICIO-style labels ``AUS_c1`` (WIOD's industry codes; WIOD's RoW written ROW), ``TLS``/``VA``/``OUT`` rows, final-demand
columns ``AUS_HFCE`` ... ``AUS_DPABR`` (WIOD's CONS_h, CONS_np, CONS_g, GFCF, INVEN; DPABR,
which WIOD does not have, is zero) and ``OUT``. China and Mexico are split as the extended
version splits them: each WIOD cell of a Chinese row goes, whole, to CN1 or CN2 by the parity
of its column (industry number or final-demand category), each cell of a Chinese column to CN1
or CN2 by the parity of its row industry; CN1 carries the output (OUT), CN2 zero. Every WIOD
value is written exactly once, so summing the split gives WIOD back. The TLS row is zero and
VA is each column's OUT less its intermediate inputs (WIOD's extract has no VA row).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.sources.wiod import FINAL_DEMAND, read_wiod_npz

BACI_DIR = "baci_hs6_bilateral_zaf_afg"
BACI92 = f"{BACI_DIR}/baci_hs92_2021_v202301_exports_zaf_afg.csv.gz"
VERSION = "V202401b"
ICIO_FD = dict(zip(FINAL_DEMAND, ["HFCE", "NPISH", "GGFC", "GFCF", "INVNT"]))
SPLIT = {"CHN": ("CN1", "CN2"), "MEX": ("MX1", "MX2")}


def shared_extract(shared: Path, relative: str = BACI92) -> pd.DataFrame:
    return pd.read_csv(shared / relative, dtype=str, keep_default_na=False)


def write_baci_release(shared: Path, folder: Path, relative: str = BACI92, edition: str = "HS92") -> Path:
    """The extract ``relative`` as a BACI release folder (module docstring); the year file's path."""
    rows = shared_extract(shared, relative)
    folder.mkdir(parents=True, exist_ok=True)
    year = rows["year"].iloc[0]
    data = folder / f"BACI_{edition}_Y{year}_{VERSION}.csv"
    pd.DataFrame({"t": rows["year"], "i": rows["exporter_code"], "j": rows["importer_code"],
                  "k": rows["hs6"].astype(int), "v": rows["value_kusd"], "q": rows["quantity_tonnes"]}
                 ).to_csv(data, index=False)
    pairs = pd.concat([rows[["exporter_code", "exporter_iso3"]].set_axis(["code", "iso3"], axis=1),
                       rows[["importer_code", "importer_iso3"]].set_axis(["code", "iso3"], axis=1)])
    pairs = pairs.drop_duplicates().assign(code=lambda f: f["code"].astype(int)).sort_values("code")
    old = pd.read_csv(shared / BACI_DIR / "country_codes_V202201.csv", encoding="latin-1", dtype=str,
                      keep_default_na=False).assign(code=lambda f: f["country_code"].astype(int))
    listing = pairs.merge(old, on="code", how="left").fillna("")
    pd.DataFrame({"country_code": listing["code"], "country_name": listing["country_name_full"],
                  "country_iso2": listing["iso_2digit_alpha"], "country_iso3": listing["iso3"]}
                 ).to_csv(folder / f"country_codes_{VERSION}.csv", index=False)
    descriptions = pd.read_csv(shared / "concordances/code_descriptions_hs_sitc_bec.csv.gz", dtype=str)
    nomenclature = {"HS92": "HS1992", "HS17": "HS2017"}[edition]
    used = descriptions[(descriptions["classification"] == nomenclature) & descriptions["code"].isin(set(rows["hs6"]))]
    used.rename(columns={"desc": "description"})[["code", "description"]].to_csv(
        folder / f"product_codes_{edition}_{VERSION}.csv", index=False)
    return data


def wiod_long(shared: Path, year: int) -> pd.DataFrame:
    """One WIOD year through the project's WIOD reader (values in millions, as in the file)."""
    path = shared / f"wiod2013_bquast/wiot_{year}.npz"
    return read_wiod_npz(path, {"id": "wiod2013", "unit_multiplier": 1})


def icio_regions(cells: pd.DataFrame) -> pd.DataFrame:
    """WIOD's region codes as ICIO writes them (WIOD's RoW is ICIO's ROW)."""
    return cells.replace({"row_iso3": {"RoW": "ROW"}, "col_iso3": {"RoW": "ROW"}})


def write_icio_from_wiod(shared: Path, folder: Path, year: int, name: str | None = None,
                         split_final: bool = False) -> Path:
    """WIOD ``year`` as an ICIO 2023 extended year file ``folder/<year>.csv`` (module docstring);
    with ``split_final`` China's and Mexico's final-demand columns are split too (CN1_HFCE ...)."""
    cells = icio_regions(wiod_long(shared, year))
    industries = list(dict.fromkeys(cells.loc[cells["col_sector"] == "GO", "row_sector"]))
    regions = list(dict.fromkeys(cells["row_iso3"]))
    number = {s: i for i, s in enumerate(industries)} | {c: i for i, c in enumerate(FINAL_DEMAND)}
    go = cells["col_sector"] == "GO"
    final = cells["col_sector"].isin(FINAL_DEMAND)

    def part(region: pd.Series, by: pd.Series) -> pd.Series:
        """The region's label for each cell: CN1/CN2 by the parity of ``by``, else the region."""
        first = region.map(lambda r: SPLIT.get(r, (r, r))[0])
        second = region.map(lambda r: SPLIT.get(r, (r, r))[1])
        return first.where(by.map(number) % 2 == 0, second)

    row_region = part(cells["row_iso3"], cells["col_sector"]).where(~go, cells["row_iso3"].map(
        lambda r: SPLIT.get(r, (r,))[0]))
    col_region = part(cells["col_iso3"], cells["row_sector"]).where(~final | split_final, cells["col_iso3"])
    row_label = row_region + "_" + cells["row_sector"]
    col_label = (col_region + "_" + cells["col_sector"].map(lambda s: ICIO_FD.get(s, s))).where(~go, "OUT")
    labels = [f"{p}_{s}" for r in regions for p in SPLIT.get(r, (r,)) for s in industries]
    fd = [f"{p}_{c}" for r in regions for p in (SPLIT.get(r, (r,)) if split_final else (r,))
          for c in [*ICIO_FD.values(), "DPABR"]]
    table = pd.DataFrame(0.0, index=labels, columns=labels + fd + ["OUT"])
    rows, cols = table.index.get_indexer(row_label), table.columns.get_indexer(col_label)
    assert (rows >= 0).all() and (cols >= 0).all()
    values = table.to_numpy()
    np.add.at(values, (rows, cols), cells["value_usd"].to_numpy())
    table = pd.DataFrame(values, index=labels, columns=table.columns)
    output = table.loc[labels, "OUT"].reindex(labels)  # a column's total input = its industry's output
    out_row = pd.Series(0.0, index=table.columns)
    out_row[labels] = output.to_numpy()
    va = out_row - table.sum(axis=0).where(out_row.index.isin(labels), 0.0)
    va[~va.index.isin(labels)] = 0.0
    va["OUT"] = out_row["OUT"] = 0.0
    footer = pd.DataFrame([np.zeros(len(table.columns)), va.to_numpy(), out_row.to_numpy()],
                          index=["TLS", "VA", "OUT"], columns=table.columns)
    full = pd.concat([table, footer])
    full.index.name = "V1"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or f"{year}.csv")
    full.to_csv(path)
    return path
