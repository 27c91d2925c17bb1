"""Reference tables built into the project (extendable by the user), published like any other."""
from __future__ import annotations

import dagster as dg

from assets.contract_gate import gate, output_metadata, published_asset
from assets.resources import CountryGroupsResource
from pipeline.reference.groups import GroupDefinitionError, load_country_groups


@published_asset("country_groups", "core")
def core__country_groups(country_groups: CountryGroupsResource):
    """Dated membership of EU, TTIP, TISA, BRICS, OECD and G7 (plus groups from
    TRADE_COUNTRY_GROUPS_FILE). A country is a member in a year when its spell covers 1 July."""
    try:
        groups = load_country_groups(country_groups.path())
    except (GroupDefinitionError, OSError) as exc:
        raise dg.Failure(description=f"country groups: {exc}") from exc
    frame = groups.assign(
        start_date=groups["start_date"].dt.date, end_date=groups["end_date"].dt.date
    )
    source = "pipeline/reference/country_groups.yaml"
    if country_groups.path():
        source += f" + {country_groups.path()}"
    frame = yield from gate("core__country_groups", frame, "country_groups", source)
    yield dg.Output(frame, metadata=output_metadata(frame, source))
