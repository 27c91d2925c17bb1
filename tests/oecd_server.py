"""OECD SDMX REST answers in SDMX-CSV 2.0 (``labels=both``, CRLF) over real values.

Served under ``/sdmx/`` by :class:`tests.api_server.FaultyApiServer` (so its faults apply):
``GET /sdmx/public/rest/data/{agency},{dataflow},{version}/{key}?startPeriod=..&endPeriod=..
&updatedAfter=..``. The key is matched dimension by dimension (``A+B``, empty = all,
``all``); nothing matched, or nothing updated after ``updatedAfter``, is OECD's HTTP 404
``NoRecordsFound``. Values:

- BaTIS-shaped (``DSD_BATIS@DF_BATIS``): services exports of 2016 by EBOPS category, partner
  world (``W``), from ``services_trade/un_comtrade_ebops2002_services_exports_2016.csv``.
  EBOPS 2002 main categories are relabelled with their EBOPS 2010 component; communications
  (245) and computer and information (262) both become ``SI`` and are summed (postal and
  courier services, inside 245, belong to ``SC`` in EBOPS 2010: an approximation of the
  test server only). A category a country did not report is served with an empty OBS_VALUE.
- TiVA-shaped (``DSD_TIVA_MAINSH@DF_MAINSH``): ``EXGR_FVA`` for partner ``W``, as a share of
  gross exports (``PT_EXGR``) and in USD million (``USD``, UNIT_MULT 6), computed by
  :func:`pipeline.metrics.value_chains.value_chain_year` on WIOD 2013, year 2011.

- STRI-shaped (``DSD_STRI``, 8 dimensions ``FREQ.REF_AREA.MEASURE.ACTIVITY.METHODOLOGY.STRI_TYPE.
  UNIT_MEASURE.COUNTERPART_AREA``): ``DF_STRI_DIGITAL`` serves the OECD's own answer of
  ``oecd_stri_digital_2020_2024`` (every dimension as the API gave it). ``DF_STRI_MAIN`` serves the
  sectoral values of ``oecd_stri_intra_eea_2014_2018`` in that structure (ACTIVITY = the OECD.Stat
  sector code, MEASURE = the CLAS code): a stand-in, since no MFN sectoral answer is at hand. Its
  values are real but those of the intra-EEA index, and its codes are what the client assumes the
  new API uses, which is exactly what stays unverified (pipeline/sources/oecd_dataflows.yaml).

Values are written with ``repr`` so the client can recover them exactly. A fault
``replace:<old>:<new>`` rewrites the answer's bytes (e.g. a MEASURE code the dataflow does not declare).
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pycountry

CSV_TYPE = "application/vnd.sdmx.data+csv; version=2.0.0; labels=both; charset=utf-8"
NO_RECORDS = b"NoRecordsFound"
LAST_UPDATED = "2025-11-20T09:00:00Z"
EBOPS_2002_TO_2010 = {1: "SC", 2: "SD", 3: "SI", 4: "SE", 5: "SF", 6: "SG", 7: "SI", 8: "SH", 9: "SJ",
                      10: "SK", 11: "SL"}
EBOPS_2010_LABELS = {
    "SC": "Transport", "SD": "Travel", "SE": "Construction", "SF": "Insurance and pension services",
    "SG": "Financial services", "SH": "Charges for the use of intellectual property n.i.e.",
    "SI": "Telecommunications, computer, and information services", "SJ": "Other business services",
    "SK": "Personal, cultural, and recreational services", "SL": "Government goods and services n.i.e.",
}
COMTRADE_NAMES = {  # UN Comtrade short names that pycountry does not look up
    "USA": "USA", "Rep. of Korea": "KOR", "Dem. Rep. of the Congo": "COD", "Dominican Rep.": "DOM",
    "Bosnia Herzegovina": "BIH", "Rep. of Moldova": "MDA", "Solomon Isds": "SLB", "TFYR of Macedonia": "MKD",
    "United Rep. of Tanzania": "TZA", "Congo": "COG", "Bolivia": "BOL", "Russian Federation": "RUS",
    "China, Macao SAR": "MAC",
}


@dataclass(frozen=True)
class Dataflow:
    """One served dataflow: its id, dimension order, labelled observations."""

    structure_id: str
    dimensions: list[str]
    labels: dict[str, str]  # dimension id -> its label
    rows: pd.DataFrame      # dimension codes, TIME_PERIOD, OBS_VALUE, UNIT_MULT, <dim>_label


def iso3_of(name: str) -> str:
    if name in COMTRADE_NAMES:
        return COMTRADE_NAMES[name]
    return pycountry.countries.lookup(name).alpha_3


def area_label(code: str) -> str:
    country = pycountry.countries.get(alpha_3=code)
    return "World" if code == "W" else (country.name if country else code)


def batis_rows(datasets: Path) -> pd.DataFrame:
    """Exports by EBOPS 2010 component, 2016, partner world; one row per country and component."""
    source = pd.read_csv(datasets / "services_trade/un_comtrade_ebops2002_services_exports_2016.csv")
    source = source.assign(REF_AREA=source["country"].map(iso3_of),
                           SERVICE=source["ebops2002_code"].map(EBOPS_2002_TO_2010))
    values = source.groupby(["REF_AREA", "SERVICE"])["export_value_usd"].sum(min_count=1)
    grid = pd.MultiIndex.from_product([sorted(source["REF_AREA"].unique()), sorted(EBOPS_2010_LABELS)],
                                      names=["REF_AREA", "SERVICE"])
    rows = values.reindex(grid).reset_index()
    return pd.DataFrame({
        "REF_AREA": rows["REF_AREA"], "COUNTERPART_AREA": "W", "TRADE_FLOW": "X", "DIM4": "S",
        "SERVICE": rows["SERVICE"], "FREQ": "A", "UNIT_MEASURE": "USD_EXC", "ADJUSTMENT": "B",
        "TIME_PERIOD": "2016", "OBS_VALUE": rows["export_value_usd"] / 1e6, "UNIT_MULT": 6,
        "SERVICE_label": rows["SERVICE"].map(EBOPS_2010_LABELS),
    })


def tiva_rows(totals: pd.DataFrame) -> pd.DataFrame:
    """``EXGR_FVA`` as % of gross exports and in USD million, partner world, from the
    ``totals`` frame of :func:`value_chain_year`."""
    common = {"MEASURE": "EXGR_FVA", "REF_AREA": totals["iso3"].to_numpy(), "ACTIVITY": "_T",
              "COUNTERPART_AREA": "W", "FREQ": "A", "TIME_PERIOD": totals["year"].astype(str).to_numpy()}
    share = pd.DataFrame({**common, "UNIT_MEASURE": "PT_EXGR", "OBS_VALUE": totals["gvc_backward_pct"].to_numpy(),
                          "UNIT_MULT": 0})
    level = pd.DataFrame({**common, "UNIT_MEASURE": "USD", "OBS_VALUE": totals["fva_usd"].to_numpy() / 1e6,
                          "UNIT_MULT": 6})
    return pd.concat([share, level], ignore_index=True)


STRI_DIMENSIONS = ["FREQ", "REF_AREA", "MEASURE", "ACTIVITY", "METHODOLOGY", "STRI_TYPE", "UNIT_MEASURE",
                   "COUNTERPART_AREA"]
STRI_LABELS = {"FREQ": "Frequency of observation", "REF_AREA": "Reference area", "MEASURE": "Measure",
               "ACTIVITY": "Economic activity", "METHODOLOGY": "Methodology", "STRI_TYPE": "STRI type",
               "UNIT_MEASURE": "Unit of measure", "COUNTERPART_AREA": "Counterpart area"}
NOT_APPLICABLE = "Not applicable"


def stri_digital_rows(datasets: Path) -> pd.DataFrame:
    """The Digital STRI as the OECD answered it (the shared file keeps every dimension)."""
    path = datasets / "oecd_stri_digital_2020_2024/digital_trade_index_all_data.json"
    rows = pd.DataFrame.from_records(json.loads(path.read_text()))
    labels = {f"{d}_label": rows[d].where(rows[d] != "_Z", NOT_APPLICABLE)
              for d in STRI_DIMENSIONS if d != "REF_AREA"}
    return rows.assign(OBS_VALUE=rows["OBS_VALUE"].astype(float), UNIT_MULT=0, **labels)


def stri_sectoral_rows(datasets: Path) -> pd.DataFrame:
    """The intra-EEA STRI by sector in DF_STRI_MAIN's structure (module docstring: a stand-in)."""
    source = pd.read_csv(datasets / "oecd_stri_intra_eea_2014_2018/OECD EEA stri.csv", dtype={"YEA": str})
    return pd.DataFrame({
        "FREQ": "A", "REF_AREA": source["COU"], "MEASURE": source["CLAS"], "ACTIVITY": source["SECT"],
        "METHODOLOGY": "_Z", "STRI_TYPE": "_Z", "UNIT_MEASURE": "IX", "COUNTERPART_AREA": "_Z",
        "TIME_PERIOD": source["YEA"], "OBS_VALUE": source["EEA_STRI"].astype(float), "UNIT_MULT": 0,
        "MEASURE_label": source["Classification"], "ACTIVITY_label": source["Sector"],
        "METHODOLOGY_label": NOT_APPLICABLE, "STRI_TYPE_label": NOT_APPLICABLE,
        "COUNTERPART_AREA_label": NOT_APPLICABLE, "UNIT_MEASURE_label": "Index",
    })


class OecdData:
    """The served dataflows, keyed by dataflow id (``DSD_...@DF_...``)."""

    def __init__(self, datasets: Path, tiva_totals: pd.DataFrame):
        self.tiva_totals = tiva_totals
        self.flows = {
            "DSD_BATIS@DF_BATIS": Dataflow(
                "OECD.SDD.TPS:DSD_BATIS@DF_BATIS(1.0)",
                ["REF_AREA", "COUNTERPART_AREA", "TRADE_FLOW", "DIM4", "SERVICE", "FREQ", "UNIT_MEASURE", "ADJUSTMENT"],
                {"REF_AREA": "Reference area", "COUNTERPART_AREA": "Counterpart area", "TRADE_FLOW": "Trade flow",
                 "DIM4": "Type", "SERVICE": "Service", "FREQ": "Frequency of observation",
                 "UNIT_MEASURE": "Unit of measure", "ADJUSTMENT": "Adjustment"},
                batis_rows(datasets)),
            "DSD_TIVA_MAINSH@DF_MAINSH": Dataflow(
                "OECD.STI.PIE:DSD_TIVA_MAINSH@DF_MAINSH(1.1)",
                ["MEASURE", "REF_AREA", "ACTIVITY", "COUNTERPART_AREA", "UNIT_MEASURE", "FREQ"],
                {"MEASURE": "Measure", "REF_AREA": "Reference area", "ACTIVITY": "Economic activity",
                 "COUNTERPART_AREA": "Counterpart area", "UNIT_MEASURE": "Unit of measure",
                 "FREQ": "Frequency of observation"},
                tiva_rows(tiva_totals)),
            "DSD_STRI@DF_STRI_DIGITAL": Dataflow("OECD.TAD.TPD:DSD_STRI@DF_STRI_DIGITAL(1.0)", STRI_DIMENSIONS,
                                                 STRI_LABELS, stri_digital_rows(datasets)),
            "DSD_STRI@DF_STRI_MAIN": Dataflow("OECD.TAD.TPD:DSD_STRI@DF_STRI_MAIN(1.0)", STRI_DIMENSIONS,
                                              STRI_LABELS, stri_sectoral_rows(datasets)),
        }

    def answer(self, path: str, query: dict, fault: str | None) -> tuple[bytes, int]:
        """The body and status for ``/sdmx/<root>/data/{agency},{id},{version}/{key}``."""
        try:
            flow_ref, key = path.split("/data/", 1)[1].split("/", 1)
            flow = self.flows[flow_ref.split(",")[1]]
        except (IndexError, KeyError, ValueError):
            return b"<html><body><h1>404 Not Found</h1></body></html>", 404
        rows = flow.rows
        if key not in ("", "all"):
            segments = key.split(".")
            if len(segments) != len(flow.dimensions):
                return f"Semantic error: key {key!r} has {len(segments)} parts, expected {len(flow.dimensions)}".encode(), 400
            for dim, segment in zip(flow.dimensions, segments):
                if segment:
                    rows = rows[rows[dim].isin(segment.split("+"))]
        start, end = query.get("startPeriod", [None])[0], query.get("endPeriod", [None])[0]
        if start:
            rows = rows[rows["TIME_PERIOD"] >= start]
        if end:
            rows = rows[rows["TIME_PERIOD"] <= end]
        updated_after = query.get("updatedAfter", [None])[0]
        if rows.empty or fault == "empty_result" or (updated_after and updated_after >= LAST_UPDATED):
            return NO_RECORDS, 404
        body = self.render(flow, rows, rename=fault == "rename")
        if fault and fault.startswith("replace:"):
            _, old, new = fault.split(":", 2)
            body = body.replace(old.encode(), new.encode())
        return body, 200

    @staticmethod
    def render(flow: Dataflow, rows: pd.DataFrame, rename: bool = False) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["STRUCTURE", "STRUCTURE_ID", "ACTION"]
                        + [f"{d}: {flow.labels[d]}" for d in flow.dimensions]
                        + ["TIME_PERIOD: Time period", "OBS_VAL" if rename else "OBS_VALUE",
                           "OBS_STATUS: Observation status", "UNIT_MULT: Unit multiplier",
                           "CURRENCY: Currency"])
        for row in rows.to_dict("records"):
            cells = []
            for d in flow.dimensions:
                label = row.get(f"{d}_label") or (area_label(row[d]) if "AREA" in d else row[d])
                cells.append(f"{row[d]}: {label}")
            missing = pd.isna(row["OBS_VALUE"])
            writer.writerow(["DATAFLOW", flow.structure_id, "I", *cells, row["TIME_PERIOD"],
                             "" if missing else repr(float(row["OBS_VALUE"])),
                             "M: Missing value" if missing else "A: Normal value",
                             f"{row['UNIT_MULT']}: {'Millions' if row['UNIT_MULT'] == 6 else 'Units'}",
                             "_Z: Not applicable"])
        return out.getvalue().encode("utf-8")
