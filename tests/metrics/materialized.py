"""What the asset tests of tests/metrics check on every ``dg.materialize`` result."""
from __future__ import annotations


def checked_output_metadata(result, key: str, column: str) -> dict:
    """Metadata of ``key``'s materialization in a passed ``dg.materialize`` result whose one
    contract check passed, after checking the UI gets a plot and a preview showing ``column``."""
    assert result.success
    [check] = result.get_asset_check_evaluations()
    assert check.passed
    [event] = [m for m in result.get_asset_materialization_events() if m.asset_key.to_user_string() == key]
    meta = event.materialization.metadata
    assert "data:image/png;base64," in meta["plot"].value and column in meta["preview"].value
    return meta
