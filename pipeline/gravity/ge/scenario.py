"""Counterfactual scenarios as YAML files: which data, which baseline year, which agreement.

A scenario file (the shipped ones live in ``pipeline/gravity/scenarios/``)::

    name: nafta                       # id used in the output's `scenario` column
    title: Removing NAFTA
    description: free text
    data:
      source: gravity_panel           # or wiod_services (services panel from WIOD 2013)
      panel: yotov2016_agtpa          # gravity panel id (manifest dataset id)
      sector: MANUF                   # the panel's sector (required when it has several, e.g.
                                      # an ITPD-E broad-sector panel; one-sector model)
      years: [1986, 1990, 1994, 1998, 2002, 2006]   # estimation years (default: all)
      agreements_from: gegravity_wiod_2000_2014     # wiod_services only: panel giving `agreement`
      pair_effects: symmetric         # or directional (one pair effect per direction)
      missing_pairs: predict          # pairs never trading: predict costs from distance etc.
                                      # (the book), or zero (they stay without trade)
    baseline_year: 1994
    reference_country: DEU            # its inward multilateral resistance is the numeraire
    sigma: 7                          # elasticity of substitution (default 7)
    agreement:
      members: [CAN, MEX, USA]        # or `group: TTIP` with `membership_year: 2014` (members
                                      # on 1 July) or `membership_date: 2025-01-05`
      unchanged_within: EU            # group only: pairs of two members of this group (same
                                      # date) keep their dummy (TTIP links the USA to the EU,
                                      # not the EU members to each other anew)
      status: 0                       # the agreement dummy between members in the scenario
      coefficient: estimate           # or a number (the agreement's effect on ln trade)
    monte_carlo:                      # confidence intervals (pipeline/gravity/ge/uncertainty.py)
      draws: 1000                     # coefficient draws (default 500); 0 turns them off
      seed: 0
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SCENARIO_DIR = Path(__file__).resolve().parents[1] / "scenarios"
SOURCES = ("gravity_panel", "wiod_services")
_ISO3 = re.compile(r"[A-Z]{3}")


class ScenarioError(ValueError):
    """A scenario file is malformed; the message names the file, the key and the fix."""


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    description: str
    source: str
    panel: str | None
    years: tuple[int, ...] | None
    agreements_from: str | None
    symmetric_pairs: bool
    predict_missing: bool
    baseline_year: int
    reference_country: str
    sigma: float
    members: tuple[str, ...] | None
    group: str | None
    membership_year: int | None
    status: int
    coefficient: float | None  # None: estimate it
    path: Path | None = None
    monte_carlo_draws: int = 500
    monte_carlo_seed: int = 0
    sector: str | None = None
    membership_date: dt.date | None = None  # the day group members are taken on
    unchanged_within: str | None = None

    @property
    def panel_label(self) -> str:
        """Where the flows come from: the gravity panel id, or the WIOD 2013 services panel."""
        return self.panel if self.source == "gravity_panel" else "wiod2013_services"


def shipped_scenarios() -> list[str]:
    """Names of the scenario files shipped in ``pipeline/gravity/scenarios``."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def resolve_path(name_or_path: str | Path) -> Path:
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise ScenarioError(f"scenario file {path} does not exist")
        return path
    shipped = SCENARIO_DIR / f"{name_or_path}.yaml"
    if shipped.is_file():
        return shipped
    raise ScenarioError(f"unknown scenario {str(name_or_path)!r}: give a YAML file or one of "
                        f"{shipped_scenarios()}")


def _require(doc: dict[str, Any], key: str, where: str) -> Any:
    if key not in doc or doc[key] in (None, ""):
        raise ScenarioError(f"{where}: missing `{key}` (see pipeline/gravity/ge/scenario.py)")
    return doc[key]


def _int(value: Any, where: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ScenarioError(f"{where}: {value!r} is not an integer") from exc


def _check_economies(codes, where: str) -> None:
    """Refuse a code that is no country: a typo (``USX``), an aggregate (``WLD``) or a
    reporting category (``UNS``). A real country that the data lack is the run's business
    (left out with a warning, as South Africa in WIOD)."""
    from pipeline.reference.codes import country_codes

    known = country_codes()
    economies = (known.iso | frozenset(known.non_iso) | frozenset(known.aliases)) \
        - frozenset(known.aggregates) - frozenset(known.not_economies)
    unknown = [c for c in codes if c not in economies]
    if unknown:
        kinds = [("an aggregate" if c in known.aggregates else "a reporting category, no economy"
                  if c in known.not_economies else "no ISO 3166-1 country") for c in unknown]
        named = ", ".join(f"{c} ({k})" for c, k in zip(unknown, kinds))
        raise ScenarioError(f"{where}: {named}; give ISO 3166-1 alpha-3 codes of countries "
                            "(e.g. USA, CAN, MEX)")


def _membership_date(agreement: dict[str, Any], group: Any, where: str) -> dt.date | None:
    """The day a group's members are taken on: 1 July of ``membership_year`` (the rule of
    :func:`pipeline.reference.groups.members_in_year`) or ``membership_date`` itself."""
    year, day = agreement.get("membership_year"), agreement.get("membership_date")
    if not group:
        return None
    if (year is None) == (day is None):
        raise ScenarioError(f"{where}: agreement.group {group!r} needs membership_year (members "
                            "are taken on 1 July of that year) or membership_date (YYYY-MM-DD), "
                            "exactly one")
    if year is not None:
        return dt.date(_int(year, f"{where}: agreement.membership_year"), 7, 1)
    try:
        return day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day))
    except ValueError as exc:
        raise ScenarioError(f"{where}: agreement.membership_date {day!r} is not a date "
                            "(YYYY-MM-DD)") from exc


def parse_scenario(doc: Any, path: Path | None = None) -> Scenario:
    where = str(path or "scenario")
    if not isinstance(doc, dict):
        raise ScenarioError(f"{where}: expected a mapping with name, data, baseline_year, agreement")
    data = _require(doc, "data", where)
    agreement = _require(doc, "agreement", where)
    if not isinstance(data, dict) or not isinstance(agreement, dict):
        raise ScenarioError(f"{where}: `data` and `agreement` must be mappings")
    source = data.get("source", "gravity_panel")
    if source not in SOURCES:
        raise ScenarioError(f"{where}: data.source {source!r} unknown; use one of {list(SOURCES)}")
    panel = data.get("panel")
    if source == "gravity_panel" and not panel:
        raise ScenarioError(f"{where}: data.panel is required for source gravity_panel "
                            "(e.g. yotov2016_agtpa)")
    if source == "wiod_services" and not data.get("agreements_from"):
        raise ScenarioError(f"{where}: data.agreements_from (a gravity panel id with an "
                            "agreement dummy, e.g. gegravity_wiod_2000_2014) is required for "
                            "wiod_services")
    years = data.get("years")
    years = tuple(_int(y, f"{where}: data.years") for y in years) if years else None
    pair_effects = data.get("pair_effects", "symmetric")
    if pair_effects not in ("symmetric", "directional"):
        raise ScenarioError(f"{where}: data.pair_effects must be symmetric or directional")
    missing_pairs = data.get("missing_pairs", "predict")
    if missing_pairs not in ("predict", "zero"):
        raise ScenarioError(f"{where}: data.missing_pairs must be predict or zero")
    members, group = agreement.get("members"), agreement.get("group")
    if bool(members) == bool(group):
        raise ScenarioError(f"{where}: agreement needs exactly one of `members` (ISO3 list) or "
                            "`group` (a country group id such as TTIP, with membership_year)")
    if members:
        bad = [m for m in members if not isinstance(m, str) or not _ISO3.fullmatch(m)]
        if bad:
            raise ScenarioError(f"{where}: agreement.members {bad} are not ISO3 codes")
        _check_economies(members, f"{where}: agreement.members")
    membership_year = agreement.get("membership_year")
    membership_date = _membership_date(agreement, group, where)
    unchanged_within = agreement.get("unchanged_within")
    if unchanged_within is not None and not group:
        raise ScenarioError(f"{where}: agreement.unchanged_within ({unchanged_within!r}) needs "
                            "`group` and its date: the pairs it keeps are taken on that date")
    status = _int(agreement.get("status", 1), f"{where}: agreement.status")
    if status not in (0, 1):
        raise ScenarioError(f"{where}: agreement.status must be 0 (remove) or 1 (create)")
    coefficient = agreement.get("coefficient", "estimate")
    if coefficient != "estimate":
        try:
            coefficient = float(coefficient)
        except (TypeError, ValueError) as exc:
            raise ScenarioError(f"{where}: agreement.coefficient must be `estimate` or a "
                                f"number, got {coefficient!r}") from exc
    sigma = float(doc.get("sigma", 7))
    if sigma <= 1:
        raise ScenarioError(f"{where}: sigma must exceed 1 (the book uses 7)")
    reference = _require(doc, "reference_country", where)
    _check_economies([str(reference)], f"{where}: reference_country")
    monte_carlo = doc.get("monte_carlo") or {}
    if not isinstance(monte_carlo, dict) or set(monte_carlo) - {"draws", "seed"}:
        raise ScenarioError(f"{where}: monte_carlo takes `draws` and `seed` only, got "
                            f"{monte_carlo!r}")
    draws = _int(monte_carlo.get("draws", 500), f"{where}: monte_carlo.draws")
    if draws < 0:
        raise ScenarioError(f"{where}: monte_carlo.draws must be 0 (off) or more, got {draws}")
    return Scenario(
        name=str(_require(doc, "name", where)), title=str(doc.get("title", "")),
        description=" ".join(str(doc.get("description", "")).split()), source=source,
        panel=panel, years=years, agreements_from=data.get("agreements_from"),
        symmetric_pairs=pair_effects == "symmetric", predict_missing=missing_pairs == "predict",
        baseline_year=_int(_require(doc, "baseline_year", where), f"{where}: baseline_year"),
        reference_country=str(reference), sigma=sigma,
        members=tuple(members) if members else None, group=group,
        membership_year=_int(membership_year, where) if membership_year is not None else None,
        membership_date=membership_date, unchanged_within=unchanged_within,
        sector=str(data["sector"]) if data.get("sector") else None, status=status, coefficient=None if coefficient == "estimate" else coefficient, path=path,
        monte_carlo_draws=draws,
        monte_carlo_seed=_int(monte_carlo.get("seed", 0), f"{where}: monte_carlo.seed"))


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a shipped scenario by name (``nafta``) or any YAML file."""
    path = resolve_path(name_or_path)
    try:
        doc = yaml.safe_load(path.read_text())
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: an impossible date (2025-13-01)
        raise ScenarioError(f"{path}: not valid YAML ({exc})") from exc
    return parse_scenario(doc, path)
