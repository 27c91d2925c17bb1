"""Which assets a refresh runs, given the settings: everything, except branches that the
settings cannot feed (said out loud, never silently).

In live mode without TRADE_BULK_DIR the tables that no API serves (WIOD input-output tables,
gravity panels) have no source, so their branches (value chains, services group exposure,
gravity, agreement impacts, and the scorecard that joins value chains) are left out; services
exposure stays, from BaTIS alone. In bulk mode the OECD tables, which only the API serves, are
left out, and services exposure comes from WIOD alone; so is the STRI branch when TRADE_BULK_DIR
holds none of the manifest's STRI files (the scorecard and services exposure, whose STRI input is
optional, run without it). With goods totals only
(COMTRADE_COMMODITIES=TOTAL, the preview default) the product metrics are left out too.
Leaving them out of the run, rather than letting optional outputs skip at run time, also keeps
clear of Dagster's in-process hang when a failure meets a skipped branch (dagster#33661).
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import dagster as dg

from assets.io_manager import table_name
from assets.live_sources import API_ONLY_TABLES, LIVE_RAW_ASSETS
from pipeline.sources.files import DEFAULT_MANIFEST, load_manifest
from pipeline.sources.live import parse_codes, resolve_mode
from pipeline.warehouse import Warehouse

BULK_ONLY_RAW = ("raw_files__gravity_panel", "raw_files__input_output")
API_ONLY = (*(LIVE_RAW_ASSETS[t] for t in API_ONLY_TABLES), *(f"core__{t}" for t in API_ONLY_TABLES))
EITHER_SOURCE = ("out__services_exposure",)  # optional inputs: runs on whichever side is there
STRI_RAW = ("raw_files__services_restrictiveness", LIVE_RAW_ASSETS["services_restrictiveness"])
STRI_OPTIONAL = ("out__services_exposure", "out__country_scorecard")  # STRI is an optional input
PRODUCT_OUTPUTS = ("out__export_product_concentration", "out__revealed_comparative_advantage",
                   "out__strategic_dependencies", "out__end_use_trade")
PRODUCT_TABLE = ("raw_files__bilateral_product_trade", "core__bilateral_product_trade")  # optional for totals
# End use publishes only countries whose product flows are complete against a world-complete reference
WORLD_PRODUCT_OUTPUTS = ("out__revealed_comparative_advantage", "out__strategic_dependencies", "out__end_use_trade")


BRIEFS = "out__country_briefs"  # reads whatever is published: never left out with a branch


def left_out(env: Mapping[str, str]) -> list[tuple[dg.AssetSelection, str]]:
    """Each branch the settings ``env`` cannot feed, with the reason said in the run log and the UI
    (the country briefs run whatever is left out: a missing table is a line in each brief)."""
    return [(branch - dg.AssetSelection.assets(BRIEFS), reason) for branch, reason in _left_out(env)]


def _left_out(env: Mapping[str, str]) -> list[tuple[dg.AssetSelection, str]]:
    if resolve_mode(env.get("TRADE_SOURCES"), env.get("TRADE_BULK_DIR")) != "live":
        branches = [(dg.AssetSelection.assets(*API_ONLY),
                     "bulk mode: BaTIS and TiVA come only from the OECD API (services exposure uses WIOD)")]
        if not table_files_present(env, "services_restrictiveness"):
            branches.append((
                dg.AssetSelection.assets(*STRI_RAW).downstream() - dg.AssetSelection.assets(*STRI_OPTIONAL),
                f"bulk mode: TRADE_BULK_DIR={env.get('TRADE_BULK_DIR')} holds none of the manifest's OECD STRI "
                f"files ({', '.join(table_patterns(env, 'services_restrictiveness'))}): services restrictiveness is left out; the scorecard "
                "(digital_stri empty) and services exposure (stri empty) run without it"))
        if not table_files_present(env, "bilateral_product_trade"):
            branches.append((
                dg.AssetSelection.assets(*PRODUCT_OUTPUTS).downstream() | dg.AssetSelection.assets(*PRODUCT_TABLE),
                f"bulk mode: TRADE_BULK_DIR={env.get('TRADE_BULK_DIR')} holds none of the manifest's product files "
                f"({', '.join(table_patterns(env, 'bilateral_product_trade'))}): the product table and the product "
                "metrics are left out; goods totals come from the totals table alone"))
        return branches
    branches = []
    if not env.get("TRADE_BULK_DIR"):
        branches.append((
            dg.AssetSelection.assets(*BULK_ONLY_RAW).downstream() - dg.AssetSelection.assets(*EITHER_SOURCE),
            "no API serves the WIOD tables or the gravity panels: value chains, services group "
            "exposure, gravity estimates, agreement impacts and the scorecard need TRADE_BULK_DIR "
            "(services exposure comes from BaTIS alone)"))
    if parse_codes(env.get("COMTRADE_COMMODITIES", "TOTAL")) == ["TOTAL"]:
        branches.append((
            dg.AssetSelection.assets(*PRODUCT_OUTPUTS).downstream() | dg.AssetSelection.assets(*PRODUCT_TABLE),
            "Comtrade goods totals only (COMTRADE_COMMODITIES=TOTAL): product concentration, "
            "RCA and strategic dependencies need product-level data: COMTRADE_COMMODITIES=AG2, AG4 "
            "or AG6 (HS chapters, headings, subheadings), or bulk mode (TRADE_SOURCES=bulk)"))
    else:
        branches.append((
            dg.AssetSelection.assets(*WORLD_PRODUCT_OUTPUTS).downstream(),
            "RCA, strategic dependencies and end-use trade need product data for every exporter of the world "
            "(Atlas, BACI: bulk mode); the focus reporters of a live Comtrade refresh are not the "
            "world, so only product concentration runs"))
    return branches


def table_patterns(env: Mapping[str, str], table: str) -> list[str]:
    """The manifest's file patterns of ``table`` (TRADE_MANIFEST or the shared one)."""
    return [e["pattern"] for e in load_manifest(env.get("TRADE_MANIFEST") or DEFAULT_MANIFEST)
            if e["table"] == table]


def table_files_present(env: Mapping[str, str], table: str) -> bool:
    """True when TRADE_BULK_DIR holds a file matching one of the patterns of ``table`` (globbed, not read)."""
    root = Path(env.get("TRADE_BULK_DIR") or "")
    return root.is_dir() and any(p.is_file() for pattern in table_patterns(env, table) for p in root.glob(pattern))


def refresh_selection(env: Mapping[str, str]) -> tuple[dg.AssetSelection, list[str]]:
    """The assets to materialize under the settings ``env``, and why any are left out."""
    selection = dg.AssetSelection.all()
    for branch, _ in left_out(env):
        selection -= branch
    return selection, [reason for _, reason in left_out(env)]


def left_out_keys(graph, env: Mapping[str, str]) -> dict[dg.AssetKey, str]:
    """Every asset of ``graph`` (an asset graph) the settings cannot run, with the reason."""
    reasons: dict[dg.AssetKey, str] = {}
    for branch, reason in left_out(env):
        for key in branch.resolve(graph):
            reasons.setdefault(key, reason)
    return reasons


def selected_keys(defs: dg.Definitions, selection: dg.AssetSelection) -> list[dg.AssetKey]:
    return sorted(selection.resolve(defs.resolve_asset_graph()), key=lambda k: k.to_user_string())


def asked_keys(defs: dg.Definitions, env: Mapping[str, str]) -> list[dg.AssetKey] | None:
    """The assets ``TRADE_ASSETS`` asks a run for (a Dagster selection string, e.g.
    ``key:raw_files__bilateral_goods_trade+`` = that raw input and everything downstream), among
    those the settings can run; None when unset (the whole refresh). Unselected tables stay as
    published: the run reads them as inputs and the switch carries them over unchanged."""
    text = (env.get("TRADE_ASSETS") or "").strip()
    if not text:
        return None
    keys = selected_keys(defs, refresh_selection(env)[0] & dg.AssetSelection.from_string(text))
    if not keys:
        raise ValueError(f"TRADE_ASSETS={text!r} selects none of the assets these settings can run; "
                         "name assets as in the UI, e.g. key:core__bilateral_goods_trade+")
    if env.get("TRADE_WAREHOUSE_DIR") and (missing := unpublished_inputs(defs, keys, env["TRADE_WAREHOUSE_DIR"])):
        said = "; ".join(f"{key} reads {', '.join(sorted(parents))}" for key, parents in missing.items())
        first = next(iter(missing))
        raise ValueError(f"TRADE_ASSETS={text!r}: {said}, neither in the selection nor published under "
                         f"{env['TRADE_WAREHOUSE_DIR']}: add them (e.g. +key:{first} runs it with everything "
                         "upstream) or run `make run` once without TRADE_ASSETS")
    return keys


def unpublished_inputs(defs: dg.Definitions, keys: list[dg.AssetKey], root: str) -> dict[str, list[str]]:
    """For each selected asset, the inputs it must read (optional ones aside) that the selection
    leaves out and the warehouse ``root`` does not hold: a run of ``keys`` would fail on them."""
    warehouse, graph, chosen = Warehouse(root), defs.resolve_asset_graph(), set(keys)
    missing: dict[str, list[str]] = {}
    for key in keys:
        node = graph.assets_def_for_key(key)
        for name, parent in node.keys_by_input_name.items():
            if parent in chosen or node.node_def.input_def_named(name).metadata.get("optional"):
                continue
            label = parent.path[-1]
            held = (warehouse.raw_path(label).is_file() if not label.startswith(("core__", "out__"))
                    else (warehouse.location(table_name(parent)) / table_name(parent)).exists())
            if not held:
                missing.setdefault(key.to_user_string(), []).append(parent.to_user_string())
    return missing

