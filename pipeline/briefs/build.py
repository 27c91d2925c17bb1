"""Assemble a country's brief (the JSON companion) and write the briefs of several countries.

The companion is a plain dict: every figure shown, each naming its table, column, key, year,
source and the contract's definition; the HTML page (:mod:`pipeline.briefs.render`) is drawn
from it and nothing else.
"""
from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pipeline import code_version
from pipeline.briefs import sections_chains as chains
from pipeline.briefs import sections_trade as trade
from pipeline.briefs.figures import country_name
from pipeline.briefs.reader import WarehouseView, contract
from pipeline.reference.codes import country_codes
from pipeline.warehouse.objects import is_remote

SECTIONS = (trade.trade_profile, trade.group_exposure, trade.commodities, trade.end_use, chains.strategic,
            chains.value_chains, chains.services, chains.scenarios)
HEADLINES = (("country_trade_profile", "exports_usd", "Goods exports"),
             ("country_trade_profile", "trade_openness_pct", "Trade openness, % of GDP"),
             ("country_group_exposure", "share", "Exports to the EU"))


class UnknownCountry(ValueError):
    """A code asked for a brief is no ISO 3166-1 alpha-3 code of an economy."""


def parse_countries(value: str, setting: str = "TRADE_BRIEF_COUNTRIES") -> list[str]:
    """The ISO3 codes of ``value`` (comma- or space-separated), each checked; an unknown one is
    named with the fix."""
    codes = [c.strip().upper() for c in value.replace(",", " ").split() if c.strip()]
    known = country_codes()
    unknown = [c for c in codes if c not in known.iso or c in known.aggregates]
    if unknown:
        hints = [f"{c} (did you mean {known.aliases[c]}?)" if c in known.aliases else c for c in unknown]
        raise UnknownCountry(f"{setting}: {', '.join(hints)} {'is' if len(hints) == 1 else 'are'} no ISO 3166-1 "
                             "alpha-3 code of an economy; use codes such as BGD, IND, ZAF")
    if not codes:
        raise UnknownCountry(f"{setting} names no country; give ISO3 codes such as BGD,IND")
    return list(dict.fromkeys(codes))


def every_figure(node: Any):
    """Every figure in a companion (dicts with table, column and key), depth first."""
    if isinstance(node, dict):
        if {"table", "column", "key", "value"} <= node.keys():
            yield node
        else:
            for value in node.values():
                yield from every_figure(value)
    elif isinstance(node, list):
        for value in node:
            yield from every_figure(value)


def methods(view: WarehouseView, brief: dict[str, Any]) -> dict[str, Any]:
    """Where each figure comes from: the tables with contract, source, retrieval and build time;
    the code version; a suggested citation."""
    used = sorted({f["table"] for f in every_figure(brief["sections"])})
    tables = []
    for name in used:
        entry = view.entry(name)
        c = contract(name)
        tables.append({"table": name, "contract": f"{c.id} v{c.version}", "description": c.description.strip(),
                       "source": entry.get("source", ""), "retrieved_at": view.retrieved_at(name),
                       "materialized_at": entry.get("last_materialization", ""),
                       "code_version": view.table_code_version(name)})
    definitions = {}
    for f in every_figure(brief["sections"]):
        definitions.setdefault((f["table"], f["column"]), {
            "table": f["table"], "column": f["column"], "definition": f["definition"],
            "years": set(), "sources": set(), "caveats": set()})
        d = definitions[(f["table"], f["column"])]
        d["years"].add(f["year"]) if f["year"] is not None else None
        d["sources"].add(f["source"]) if f["source"] else None
        d["caveats"].add(f["caveat"]) if f["caveat"] else None
    rows = [{**d, "years": sorted(d["years"]), "sources": sorted(d["sources"]), "caveats": sorted(d["caveats"])}
            for d in definitions.values()]
    version = code_version()
    name = brief["name"]
    citation = (f"Trade-exposure pipeline {version}, \"Country brief: {name} ({brief['iso3']})\", built "
                f"{brief['generated_at'][:10]} from warehouse snapshot {view.snapshot_id}"
                + (f" (published {view.published_at})" if view.published_at else "")
                + ". Sources: " + "; ".join(sorted({t["source"] for t in tables if t["source"]})) + ".")
    return {"code_version": version, "snapshot": view.snapshot_id, "published_at": view.published_at,
            "tables": tables, "definitions": rows, "citation": citation}


def headline(view: WarehouseView, brief: dict[str, Any]) -> list[dict[str, Any]]:
    """The brief's three headline figures (those of HEADLINES it shows), for the index page."""
    found = []
    for table, column, label in HEADLINES:
        for f in every_figure(brief["sections"]):
            if f["table"] == table and f["column"] == column and f["key"].get("group_id", "EU") == "EU" \
                    and f["key"].get("direction", "exports") == "exports" and not f.get("point"):
                found.append({**f, "label": label})
                break
    return found


def build_brief(view: WarehouseView, iso3: str) -> dict[str, Any]:
    """The companion of ``iso3``'s brief (every section; missing ones say why)."""
    [iso3] = parse_countries(iso3, "country")
    brief = {"iso3": iso3, "name": country_name(iso3),
             "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
             "sections": [build(view, iso3) for build in SECTIONS]}
    for f in every_figure(brief["sections"]):  # a table without a source column: the catalog's source
        f["source"] = f["source"] or view.entry(f["table"]).get("source", "")
    brief["headline"] = headline(view, brief)
    brief["methods"] = methods(view, brief)
    return brief


def companion(brief: dict[str, Any]) -> dict[str, Any]:
    """The brief without its PNG bytes (the plotted points stay, as figures)."""
    def strip(node):
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k != "png"}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node
    return strip(brief)


def _write(path: Path, text: str) -> None:
    if is_remote(path):  # one PUT: whole or absent (and the run's snapshot prefix is not visible yet)
        path.write_text(text, encoding="utf-8")
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_briefs(view: WarehouseView, countries: list[str], out_dir: Path,
                 keep: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, dict[str, Any]]:
    """Write ``<ISO3>.html`` and ``<ISO3>.json`` of each country and ``index.html`` into ``out_dir``;
    ``keep``: headline figures of briefs already in the directory (kept on the index). Returns the
    briefs by ISO3."""
    from pipeline.briefs.render import render_brief, render_index

    if not is_remote(out_dir):
        out_dir.mkdir(parents=True, exist_ok=True)
    briefs = {}
    for iso3 in parse_countries(",".join(countries), "countries"):
        brief = build_brief(view, iso3)
        _write(out_dir / f"{iso3}.html", render_brief(brief))
        _write(out_dir / f"{iso3}.json", json.dumps(companion(brief), indent=1, default=str) + "\n")
        briefs[iso3] = brief
    listed = {**(keep or {}), **{k: {"name": b["name"], "headline": b["headline"]} for k, b in briefs.items()}}
    _write(out_dir / "index.html", render_index(listed, view.snapshot_id))
    return briefs


def existing_headlines(out_dir: Path) -> dict[str, dict[str, Any]]:
    """Headlines of the companions already in ``out_dir`` (a brief made for one country keeps the others)."""
    found = {}
    for path in sorted(out_dir.glob("*.json")) if out_dir.is_dir() else []:
        data = json.loads(path.read_text())
        found[data["iso3"]] = {"name": data["name"], "headline": data.get("headline", [])}
    return found
