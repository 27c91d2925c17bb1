"""UN Comtrade API v1: goods trade by reporter, partner and year (totals and HS chapters).

With ``COMTRADE_API_KEY`` the ``/data/v1/get/C/A/HS`` endpoint (key in the
``Ocp-Apim-Subscription-Key`` header, never in the URL); without it the public
``/public/v1/preview/C/A/HS`` endpoint, which returns at most ``PREVIEW_CAP`` records. Queries
are therefore split by reporter, year and flow, and an answer whose ``count`` reaches the cap
is an error, never a complete result. M49 codes are mapped to ISO3 with Comtrade's own
reference lists (``/files/v1/app/reference/Reporters.json`` and ``partnerAreas.json``).
"""
from __future__ import annotations

from typing import Any, Callable

import pandas as pd

from pipeline.sources.api_parsing import ApiFormatError, decode_json, require_fields
from pipeline.reference.codes import country_codes
from pipeline.sources.http import HttpClient

PREVIEW_CAP = 500
KEYED_CAP = 100_000
FLOWS = {"X": "export", "M": "import"}
RECORD_FIELDS = ("reporterCode", "partnerCode", "flowCode", "refYear", "cmdCode", "primaryValue")
WORLD_M49 = 0
# Comtrade's classificationCode of HS data -> the HS edition of a declared product
# classification (pipeline/reference/product_classifications.yaml: <edition>_<digits>).
HS_EDITIONS = {"H0": "HS92", "H1": "HS96", "H2": "HS02", "H3": "HS07", "H4": "HS12", "H5": "HS17", "H6": "HS22"}


def product_classification(cmd_code: str, classification_code: str | None) -> str:
    """``TOTAL``, or the declared classification of an HS code as reported: ``H5`` and
    ``"8542"`` -> ``HS17_4``. Any other edition or code shape raises, naming both."""
    if cmd_code == "TOTAL":
        return "TOTAL"
    edition = HS_EDITIONS.get(str(classification_code))
    if edition is None or not cmd_code.isdigit() or len(cmd_code) not in (2, 4, 6):
        raise ApiFormatError(
            f"Comtrade record with cmdCode {cmd_code!r} in classification {classification_code!r}: expected HS "
            f"chapters, headings or subheadings (2, 4 or 6 digits) of {sorted(HS_EDITIONS)}; ask for "
            "COMTRADE_COMMODITIES=TOTAL, AG2, AG4 or AG6")
    return f"{edition}_{len(cmd_code)}"


def parse_data(body: bytes, url: str) -> tuple[int, list[dict[str, Any]]]:
    """A Comtrade data answer -> (count, records); errors reported in the body are raised."""
    doc = decode_json(body, url, "a Comtrade {count, data, error} object")
    if not isinstance(doc, dict):
        raise ApiFormatError(f"{url}: expected a JSON object, got {type(doc).__name__}")
    if doc.get("statusCode") and doc.get("statusCode") != 200:
        raise ApiFormatError(f"{url}: Comtrade answered {doc.get('statusCode')}: {doc.get('message')}")
    if doc.get("error"):
        raise ApiFormatError(f"{url}: Comtrade reported an error: {doc['error']}")
    if "data" not in doc:
        raise ApiFormatError(f"{url}: no `data` field in {sorted(doc)}: the API's format changed")
    records = doc["data"] or []
    count = int(doc.get("count", len(records)))
    if count != len(records):
        raise ApiFormatError(f"{url}: `count` says {count} but {len(records)} records arrived (cut answer)")
    return count, records


def parse_reference(body: bytes, url: str, code_field: str, iso_field: str) -> dict[int, str]:
    """M49 code -> ISO3 from a reference list. Field names are matched case-insensitively:
    ``Reporters.json`` spells them ``reporterCode``, ``partnerAreas.json`` ``PartnerCode``."""
    doc = decode_json(body, url, "a Comtrade reference {results: [...]} object")
    results = doc.get("results") if isinstance(doc, dict) else None
    if not results:
        raise ApiFormatError(f"{url}: no `results` in the reference file")
    keys = {k.lower(): k for k in results[0]}
    if code_field.lower() not in keys or iso_field.lower() not in keys:
        raise ApiFormatError(f"{url}: reference entries lack {code_field}/{iso_field} (have {sorted(keys)})")
    code, iso = keys[code_field.lower()], keys[iso_field.lower()]
    return {int(r[code]): r[iso] for r in results if r.get(iso) and not r.get("isGroup")}


class ComtradeClient:
    def __init__(self, http: HttpClient, keyed: bool):
        self.http = http
        self.keyed = keyed
        self.cap = KEYED_CAP if keyed else PREVIEW_CAP
        self.data_path = "data/v1/get/C/A/HS" if keyed else "public/v1/preview/C/A/HS"
        self._codes: dict[int, str] | None = None
        self._reporters: list[dict[str, Any]] | None = None

    def m49_to_iso3(self) -> dict[int, str]:
        if self._codes is None:
            codes: dict[int, str] = {}
            for name, field_code, field_iso in (
                ("partnerAreas.json", "PartnerCode", "PartnerCodeIsoAlpha3"),
                ("Reporters.json", "reporterCode", "reporterCodeIsoAlpha3"),
            ):
                response = self.http.get(f"files/v1/app/reference/{name}")
                codes.update(parse_reference(response.body, response.url, field_code, field_iso))
                if name == "Reporters.json":
                    self._reporters = decode_json(response.body, response.url, "reporters")["results"]
            codes[WORLD_M49] = "WLD"
            self._codes = codes
        return self._codes

    def reporter_code(self, iso3: str, year: int) -> int:
        """The M49 reporter code of ``iso3`` in force in ``year`` (DEU is 280 until 1990, 276 after)."""
        self.m49_to_iso3()
        for r in self._reporters or []:
            start = int(str(r.get("entryEffectiveDate") or "1900")[:4])
            end = int(str(r.get("entryExpiredDate") or "9999")[:4])
            if r.get("reporterCodeIsoAlpha3") == iso3 and not r.get("isGroup") and start <= year <= end:
                return int(r["reporterCode"])
        raise ApiFormatError(
            f"Comtrade has no reporter code for {iso3} in {year}: check COMTRADE_REPORTERS "
            "(ISO3 codes) and the years asked for"
        )

    def fetch(self, reporter_m49: int, year: int, flow: str, commodities: str = "TOTAL") -> list[dict]:
        params = {"reporterCode": reporter_m49, "period": year, "flowCode": flow, "cmdCode": commodities,
                  "partner2Code": 0, "customsCode": "C00", "motCode": 0}
        response = self.http.get(self.data_path, params)
        try:
            count, records = parse_data(response.body, response.url)
            if count >= self.cap:
                raise ApiFormatError(
                    f"{response.url}: {count} records reach the {'keyed' if self.keyed else 'preview'} "
                    f"cap of {self.cap}; the answer is incomplete. Narrow the query (fewer commodity "
                    "codes) or set COMTRADE_API_KEY"
                )
            if records:
                require_fields(records[0], RECORD_FIELDS, response.url, "a trade record")
        except ApiFormatError as exc:
            if self.http.landing and response.landed:
                self.http.landing.reject(response.landed, str(exc))
            raise
        return records

    def fetch_reporters(self, reporters_iso3: list[str], years: list[int], commodities: str = "TOTAL",
                        progress: Callable[[str], None] = lambda m: None) -> pd.DataFrame:
        """Exports and imports of each focus reporter with every partner, one query per
        reporter, year, flow and commodity group (:func:`commodity_queries`: goods totals are
        always asked for). Returns canonical ``bilateral_goods_trade`` columns."""
        codes = self.m49_to_iso3()
        groups = commodity_queries(commodities)
        records: list[dict] = []
        total = len(reporters_iso3) * len(years) * len(FLOWS) * len(groups)
        done = 0
        for iso in reporters_iso3:
            for year in years:
                m49 = self.reporter_code(iso, year)
                for flow in FLOWS:
                    for group in groups:
                        records += self.fetch(m49, year, flow, group)
                        done += 1
            progress(f"comtrade: {done}/{total} queries, {len(records)} records ({iso} done)")
        return records_to_frame(records, codes)


def commodity_queries(commodities: str) -> list[str]:
    """``COMTRADE_COMMODITIES`` -> the ``cmdCode`` of each query: ``TOTAL`` always (the goods
    totals every trade profile needs), each of ``AG1``..``AG6`` (all codes of one HS level) on
    its own, and any explicit codes together: ``"AG2,8542,8541"`` -> ``["TOTAL", "AG2", "8542,8541"]``."""
    items = [c.strip().upper() for c in str(commodities).split(",") if c.strip()]
    levels = [c for c in dict.fromkeys(items) if c.startswith("AG")]
    explicit = [c for c in dict.fromkeys(items) if c != "TOTAL" and not c.startswith("AG")]
    bad = [c for c in levels if c not in {f"AG{n}" for n in range(1, 7)}]
    if bad:
        raise ValueError(f"COMTRADE_COMMODITIES: {bad} are not Comtrade levels (AG1..AG6)")
    return ["TOTAL", *levels] + ([",".join(explicit)] if explicit else [])


def records_to_frame(records: list[dict], codes: dict[int, str]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=list(RECORD_FIELDS) + ["partner2Code", "motCode",
                                                                               "classificationCode"])
    frame = frame[frame["flowCode"].isin(list(FLOWS))]
    frame = frame[(frame["partner2Code"].fillna(0) == 0) & (frame["motCode"].fillna(0) == 0)]
    out = pd.DataFrame(
        {
            "reporter_iso3": frame["reporterCode"].map(codes),
            "partner_iso3": frame["partnerCode"].map(codes),
            "year": frame["refYear"],
            "flow": frame["flowCode"].map(FLOWS),
            "product_classification": [product_classification(str(c), cl) for c, cl
                                       in zip(frame["cmdCode"], frame["classificationCode"])],
            "product_code": frame["cmdCode"].astype(str),
            "value_usd": frame["primaryValue"],
            "source": "comtrade_api",
        }
    )
    unmapped = out["reporter_iso3"].isna() | out["partner_iso3"].isna()
    if unmapped.any():
        codes_missing = sorted(set(frame.loc[unmapped, "partnerCode"]) | set(frame.loc[unmapped, "reporterCode"]))
        raise ApiFormatError(f"Comtrade M49 codes without ISO3 in the reference lists: {codes_missing[:10]}")
    # Aliases first: Comtrade's 490 "Other Asia, nes" arrives as S19, which is Taiwan (alias of
    # TWN in country_codes.yaml); checking validity before resolving it pooled Taiwan into UNS.
    # Residual partners left without a code ("Areas, nes" ...) are pooled as UNS (areas not
    # elsewhere specified) so no value is lost.
    reference = country_codes()
    for column in ("reporter_iso3", "partner_iso3"):
        out[column] = reference.canonical(out[column])
    out.loc[~out["partner_iso3"].isin(reference.valid), "partner_iso3"] = "UNS"
    key = [c for c in out.columns if c not in ("value_usd",)]
    return out.groupby(key, as_index=False, sort=False)["value_usd"].sum(min_count=1)[list(out.columns)]
