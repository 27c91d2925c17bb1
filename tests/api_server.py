"""A local HTTP server speaking the World Bank v2, UN Comtrade v1 and (under ``/sdmx/``, see
:mod:`tests.oecd_server`) OECD SDMX-CSV formats, with faults.

It serves real values from ``../shared/datasets`` (WDI values in the World Bank JSON shape,
Comtrade/DTA records in Comtrade's record shape, Comtrade's recorded reference list) with the
APIs' paging, and injects faults on demand: ``server.inject("/v2/country/all", "429", "500")``
makes the next two matching requests fail that way. Not a mock of our code: the real clients
talk HTTP to it; only their base URLs change.
"""
from __future__ import annotations

import copy
import json
import math
import threading
import time
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pycountry

from pipeline.reference.codes import country_codes
from tests.oecd_server import CSV_TYPE

RECORDED = "comtrade/data_v1_get_C_A_HS__r156_p32-280-276_2010_TOTAL__200_count4__2024-11-15.json"
REPORTERS = "comtrade/files_v1_app_reference_Reporters.json__200__2025-12-06.json"
UNAUTHORIZED = "comtrade/error_401_invalid_subscription_key__data_v1_get_S_A_EB__2023-09-01.json"
HTML_PAGE = b"<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body>Maintenance</body></html>"


class ApiData:
    """The real data the server answers with, loaded once."""

    def __init__(self, datasets: Path, api_responses: Path, wdi_indicators: tuple[str, ...]):
        wdi = pd.read_csv(datasets / "wdi_datahub_extract/wdi_extract_long.csv.gz")
        self.wdi = wdi[wdi["indicator"].isin(wdi_indicators)]
        regions = pd.read_csv(datasets / "penppml_comtrade_dta_1964_2016/countries.csv")
        self.sub_region = dict(zip(regions["iso"], regions["sub.region"]))
        self.economies = self.wdi[["country_code", "country_name"]].drop_duplicates("country_code")
        self.trade = pd.read_csv(datasets / "penppml_comtrade_dta_1964_2016/penppml_trade.csv.gz",
                                 usecols=["exp", "imp", "time", "export"])
        self.reporters_body = (api_responses / REPORTERS).read_bytes()
        reporters = json.loads(self.reporters_body)["results"]
        self.m49 = {r["reporterCode"]: r["reporterCodeIsoAlpha3"] for r in reporters}
        self.iso_to_m49 = {}
        for r in reporters:  # current code per ISO3 (the one without an expiry date)
            if not r.get("entryExpiredDate") and not r["isGroup"]:
                self.iso_to_m49[r["reporterCodeIsoAlpha3"]] = r["reporterCode"]
        self.template = json.loads((api_responses / RECORDED).read_bytes())["data"][0]
        self.baci_dir = datasets / "baci_hs6_bilateral_zaf_afg"
        self._hs: dict[int, tuple[str, pd.DataFrame]] | None = None
        self.unauthorized = (api_responses / UNAUTHORIZED).read_bytes()

    def hs_exports(self, iso3: str, year: int, digits: int) -> tuple[str, pd.DataFrame]:
        """Exports of ``iso3`` in ``year`` by HS code of ``digits`` digits and partner, from CEPII
        BACI (South Africa and Afghanistan: HS 2017 in 2020, HS 1992 in 2021), with Comtrade's
        ``classificationCode`` of that edition; empty for other reporters and years."""
        if self._hs is None:
            self._hs = {}
            for year_, edition, name in ((2020, "H5", "baci_hs17_2020_v202301_exports_zaf_afg.csv.gz"),
                                         (2021, "H0", "baci_hs92_2021_v202301_exports_zaf_afg.csv.gz")):
                self._hs[year_] = (edition, pd.read_csv(self.baci_dir / name, dtype={"hs6": str}))
        edition, frame = self._hs.get(year, ("H5", pd.DataFrame(columns=["exporter_iso3", "importer_iso3", "hs6",
                                                                           "value_kusd"])))
        rows = frame[frame["exporter_iso3"] == iso3]
        rows = rows.assign(code=rows["hs6"].str[:digits])
        return edition, rows.groupby(["importer_iso3", "code"], as_index=False)["value_kusd"].sum()

    def partner_areas(self) -> bytes:
        results = [{"id": 0, "text": "World", "PartnerCode": 0, "PartnerDesc": "World",
                    "PartnerCodeIsoAlpha3": "W00", "isGroup": False}]
        for r in json.loads(self.reporters_body)["results"]:
            results.append({"id": r["reporterCode"], "text": r["text"], "PartnerCode": r["reporterCode"],
                            "PartnerDesc": r["reporterDesc"], "PartnerCodeIsoAlpha3": r["reporterCodeIsoAlpha3"],
                            "isGroup": r["isGroup"]})
        return json.dumps({"results": results}).encode()


class FaultyApiServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, data: ApiData, api_key: str | None = None):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.data = data
        self.api_key = api_key
        self.faults: dict[str, deque[str]] = defaultdict(deque)
        self.requests: list[dict] = []
        self.slow_seconds = 3.0
        self.oecd = None  # a tests.oecd_server.OecdData, set by the OECD fixtures
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def inject(self, path_prefix: str, *faults: str) -> None:
        with self._lock:
            self.faults[path_prefix].extend(faults)

    def next_fault(self, path: str) -> str | None:
        with self._lock:
            for prefix, queue in self.faults.items():
                if path.startswith(prefix) and queue:
                    return queue.popleft()
        return None

    def start(self) -> "FaultyApiServer":
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self


def _pages(records: list, query: dict, strings: bool) -> list:
    per_page = int(query.get("per_page", ["50"])[0])
    page = int(query.get("page", ["1"])[0])
    pages = max(1, math.ceil(len(records) / per_page))
    chunk = records[(page - 1) * per_page: page * per_page]
    meta = {"page": page, "pages": pages, "per_page": per_page, "total": len(records),
            "sourceid": "2", "sourcename": "World Development Indicators", "lastupdated": "2025-12-16"}
    if strings:  # the metadata endpoints send paging fields as strings
        meta = {k: str(v) for k, v in meta.items()}
    return [meta, chunk or None]


class _Handler(BaseHTTPRequestHandler):
    server: FaultyApiServer

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def _send(self, status: int, body: bytes, content_type="application/json", headers=None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        self.server.requests.append({"path": parts.path, "query": parts.query, "headers": dict(self.headers)})
        fault = self.server.next_fault(parts.path)
        if fault == "429":
            return self._send(429, b'{"statusCode": 429, "message": "Rate limit is exceeded. Try again in 1 seconds."}',
                              headers={"Retry-After": "1"})
        if fault in ("500", "503"):
            return self._send(int(fault), b"Internal error")
        if fault == "html200":
            return self._send(200, HTML_PAGE, "text/html")
        if fault == "empty":
            return self._send(200, b"")
        if fault == "slow":
            time.sleep(self.server.slow_seconds)
        body, status = self._route(parts.path, query, fault)
        if fault == "truncated":
            body = body[: len(body) // 2]
        self._send(status, body, CSV_TYPE if parts.path.startswith("/sdmx/") else "application/json")

    def _route(self, path: str, query: dict, fault: str | None) -> tuple[bytes, int]:
        data = self.server.data
        if path.startswith("/sdmx/"):  # OECD SDMX REST, answered by tests/oecd_server.py
            return self.server.oecd.answer(path, query, fault)
        if path.rstrip("/") == "/v2/country":
            return json.dumps(_pages(self._economies(), query, strings=True)).encode(), 200
        if path.startswith("/v2/country/all/indicator/"):
            code = path.rsplit("/", 1)[-1]
            records = [] if fault == "empty_result" else self._indicator(code)
            if fault == "rename":
                records = [{("val" if k == "value" else k): v for k, v in r.items()} for r in records]
            if not records and fault != "empty_result":
                return json.dumps([{"message": [{"id": "120", "key": "Invalid value",
                                                 "value": "The provided parameter value is not valid"}]}]).encode(), 200
            return json.dumps(_pages(records, query, strings=False)).encode(), 200
        if path == "/files/v1/app/reference/Reporters.json":
            return data.reporters_body, 200
        if path == "/files/v1/app/reference/partnerAreas.json":
            return data.partner_areas(), 200
        if path in ("/public/v1/preview/C/A/HS", "/data/v1/get/C/A/HS"):
            if path.startswith("/data/") and self.headers.get("Ocp-Apim-Subscription-Key") != self.server.api_key:
                return data.unauthorized, 401
            return self._comtrade(query, fault), 200
        return b'{"error": "not found"}', 404

    def _economies(self) -> list[dict]:
        aggregates = country_codes().aggregates
        out = []
        for iso3, name in self.server.data.economies.itertuples(index=False):
            country = pycountry.countries.get(alpha_3=iso3)
            is_agg = iso3 in aggregates
            region = {"id": "NA", "iso2code": "NA", "value": "Aggregates"} if is_agg else \
                {"id": "", "iso2code": "", "value": self.server.data.sub_region.get(iso3, "")}
            out.append({"id": iso3, "iso2Code": country.alpha_2 if country else iso3[:2], "name": name,
                        "region": region, "adminregion": {"id": "", "iso2code": "", "value": ""},
                        "incomeLevel": {"id": "NA" if is_agg else "", "iso2code": "", "value": "Aggregates" if is_agg else ""},
                        "lendingType": {"id": "", "iso2code": "", "value": ""},
                        "capitalCity": "", "longitude": "", "latitude": ""})
        return out

    def _indicator(self, code: str) -> list[dict]:
        rows = self.server.data.wdi[self.server.data.wdi["indicator"] == code]
        if rows.empty:
            return []
        years = range(int(rows["year"].min()), int(rows["year"].max()) + 1)
        values = {(r.country_code, r.year): r.value for r in rows.itertuples()}
        names = dict(zip(rows["country_code"], rows["country_name"]))
        out = []
        for iso3 in sorted(names):
            for year in reversed(years):
                value = values.get((iso3, year))
                out.append({"indicator": {"id": code, "value": code}, "country": {"id": iso3[:2], "value": names[iso3]},
                            "countryiso3code": iso3, "date": str(year), "value": value,
                            "unit": "", "obs_status": "", "decimal": 0})
        return out

    def _comtrade(self, query: dict, fault: str | None) -> bytes:
        data = self.server.data
        reporter = int(query["reporterCode"][0])
        year = int(query["period"][0])
        flows = query.get("flowCode", ["X,M"])[0].split(",")
        iso = data.m49.get(reporter)
        records = []
        commodities = query.get("cmdCode", ["TOTAL"])[0]
        if commodities in ("AG2", "AG4", "AG6") and "X" in flows and fault != "empty_result":
            edition, rows = data.hs_exports(iso, year, int(commodities[2]))
            for r in rows.itertuples(index=False):
                if r.importer_iso3 in data.iso_to_m49:
                    rec = copy.deepcopy(data.template)
                    rec.update({"refYear": year, "period": str(year), "refPeriodId": year * 10000 + 101,
                                "reporterCode": reporter, "reporterISO": iso, "flowCode": "X", "flowDesc": "Export",
                                "partnerCode": data.iso_to_m49[r.importer_iso3], "partnerISO": r.importer_iso3,
                                "classificationCode": edition, "cmdCode": r.code, "aggrLevel": len(r.code),
                                "primaryValue": float(r.value_kusd) * 1000, "fobvalue": float(r.value_kusd) * 1000})
                    records.append(rec)
        elif "X" in flows and fault != "empty_result":
            rows = data.trade[(data.trade["exp"] == iso) & (data.trade["time"] == year)]
            if rows.empty:  # after 2016 (the panel's end): goods totals as the sum of BACI's HS6 rows
                _, hs = data.hs_exports(iso, year, 2)
                totals = hs.groupby("importer_iso3", as_index=False)["value_kusd"].sum()
                rows = pd.DataFrame({"imp": totals["importer_iso3"], "export": totals["value_kusd"] * 1000})
            for r in rows.itertuples(index=False):
                if r.imp not in data.iso_to_m49:
                    continue
                rec = copy.deepcopy(data.template)
                rec.update({"refYear": year, "period": str(year), "refPeriodId": year * 10000 + 101,
                            "reporterCode": reporter, "reporterISO": iso, "flowCode": "X", "flowDesc": "Export",
                            "partnerCode": data.iso_to_m49[r.imp], "partnerISO": r.imp,
                            "primaryValue": float(r.export), "fobvalue": float(r.export), "cifvalue": None})
                records.append(rec)
        if fault == "rename":
            records = [{("primaryvalue" if k == "primaryValue" else k): v for k, v in r.items()} for r in records]
        if fault == "capped" and records:  # the preview endpoint stops at 500 records
            records = (records * (500 // len(records) + 1))[:500]
        return json.dumps({"elapsedTime": "0.05 secs", "count": len(records), "data": records,
                           "error": ""}).encode()
